// fhir.cpp — see fhir.h.
#include "scribe/fhir.h"

#include <cctype>
#include <cstring>

#include "core/error.h"

namespace sotto {

namespace {

struct SectionCode {
  const char* key;
  const char* code;
  const char* display;
};

// LOINC section codes of the C-CDA SOAP sections.
const SectionCode kSectionCodes[] = {
    {"subjective", "61150-9", "Subjective Narrative"},
    {"objective", "61149-1", "Objective Narrative"},
    {"assessment", "51848-0", "Evaluation note"},
    {"plan", "18776-5", "Plan of care note"},
    {"medications", "10160-0", "History of Medication use Narrative"},
};

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); i++) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// YYYY-MM-DDThh:mm:ss(.sss)?(Z|+hh:mm|-hh:mm)
bool is_instant(const std::string& s) {
  const char* pat = "dddd-dd-ddTdd:dd:dd";
  const size_t n = std::strlen(pat);
  if (s.size() < n + 1) return false;
  for (size_t i = 0; i < n; i++) {
    if (pat[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != pat[i]) return false;
  }
  size_t i = n;
  if (s[i] == '.') {
    i++;
    const size_t d0 = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++;
    if (i == d0) return false;
  }
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size();
  return s.size() - i == 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':';
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string heading(const std::string& key) {
  std::string h = key;
  for (char& c : h) if (c == '_') c = ' ';
  if (!h.empty()) h[0] = char(std::toupper(static_cast<unsigned char>(h[0])));
  return h;
}

bool is_empty(const json::Value& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.str().find_first_not_of(" \t\r\n") == std::string::npos;
  if (v.is_array()) return v.arr().empty();
  if (v.is_object()) {
    for (const auto& [k, x] : v.obj()) {
      if (!is_empty(x)) return false;
    }
    return true;
  }
  return false;
}

// XHTML for a value (inside the narrative div).
std::string xhtml(const json::Value& v) {
  if (v.is_string()) return xml_escape(v.str());
  if (v.is_array()) {
    std::string out = "<ul>";
    for (const json::Value& x : v.arr()) out += "<li>" + xhtml(x) + "</li>";
    return out + "</ul>";
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : v.obj()) {
      if (is_empty(x) && !x.is_null()) continue;
      out += (out.empty() ? "" : "; ") + xml_escape(heading(k)) + ": " + (x.is_null() ? "not stated" : xhtml(x));
    }
    return out;
  }
  return xml_escape(json::dump(v));
}

json::Value coding(const std::string& system, const std::string& code, const std::string& display) {
  json::Value c = json::Value::object();
  c.set("system", system);
  c.set("code", code);
  c.set("display", display);
  json::Value list = json::Value::array();
  list.push_back(std::move(c));
  json::Value cc = json::Value::object();
  cc.set("coding", std::move(list));
  return cc;
}

}  // namespace

json::Value note_to_fhir_bundle(const NoteTemplate& t, const json::Value& note, const FhirOptions& opt) {
  if (!is_uuid(opt.bundle_id)) fail("fhir: bundle id '", opt.bundle_id, "' is not a UUID");
  if (!is_uuid(opt.composition_id)) fail("fhir: composition id '", opt.composition_id, "' is not a UUID");
  if (!is_instant(opt.timestamp)) fail("fhir: timestamp '", opt.timestamp, "' is not an instant (YYYY-MM-DDThh:mm:ssZ)");
  if (opt.status != "preliminary" && opt.status != "final" && opt.status != "amended") fail("fhir: bad status '", opt.status, "'");
  if (!note.is_object()) fail("fhir: the note is not a JSON object");
  if (opt.author.empty()) fail("fhir: the author is empty");

  json::Value sections = json::Value::array();
  for (const auto& [key, schema] : t.schema.at("properties").obj()) {
    json::Value sec = json::Value::object();
    sec.set("title", heading(key));
    for (const SectionCode& sc : kSectionCodes) {
      if (key == sc.key) sec.set("code", coding("http://loinc.org", sc.code, sc.display));
    }
    const json::Value* v = note.find(key);
    const bool empty = !v || is_empty(*v);
    json::Value text = json::Value::object();
    text.set("status", "generated");
    text.set("div", std::string("<div xmlns=\"http://www.w3.org/1999/xhtml\">") +
                        (empty ? (v && v->is_null() ? "<p>Not stated.</p>" : "<p>None recorded.</p>")
                               : (v->is_array() ? xhtml(*v) : "<p>" + xhtml(*v) + "</p>")) +
                        "</div>");
    sec.set("text", std::move(text));
    if (empty) {
      sec.set("emptyReason", coding("http://terminology.hl7.org/CodeSystem/list-empty-reason", "unavailable", "Unavailable"));
    }
    sections.push_back(std::move(sec));
  }

  json::Value comp = json::Value::object();
  comp.set("resourceType", "Composition");
  comp.set("id", opt.composition_id);
  comp.set("status", opt.status);
  json::Value type = coding("http://loinc.org", "11506-3", "Progress note");
  type.set("text", t.title);
  comp.set("type", std::move(type));
  comp.set("date", opt.timestamp);
  json::Value author = json::Value::object();
  author.set("display", opt.author);
  json::Value authors = json::Value::array();
  authors.push_back(std::move(author));
  comp.set("author", std::move(authors));
  comp.set("title", t.title);
  comp.set("section", std::move(sections));

  json::Value entry = json::Value::object();
  entry.set("fullUrl", "urn:uuid:" + opt.composition_id);
  entry.set("resource", std::move(comp));
  json::Value entries = json::Value::array();
  entries.push_back(std::move(entry));

  json::Value bundle = json::Value::object();
  bundle.set("resourceType", "Bundle");
  bundle.set("id", opt.bundle_id);
  json::Value ident = json::Value::object();
  ident.set("system", "urn:ietf:rfc:3986");
  ident.set("value", "urn:uuid:" + opt.bundle_id);
  bundle.set("identifier", std::move(ident));
  bundle.set("type", "document");
  bundle.set("timestamp", opt.timestamp);
  bundle.set("entry", std::move(entries));
  return bundle;
}

}  // namespace sotto
