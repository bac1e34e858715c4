// test-scribe-fhir.cpp — the FHIR R4 export (apps/scribe/fhir.h) checked against the R4 rules it must meet,
// written here independently of the generator: Bundle.type document with identifier (system + value) and
// timestamp (bdl-9, bdl-10), the Composition as the first entry (bdl-11) with a urn:uuid fullUrl matching
// its id; Composition's required elements (status from its value set, type, date, author 1..*, title);
// every section with text, entry or section (cmp-1), emptyReason only without entries (cmp-2), narrative
// status from its value set and an XHTML div in the XHTML namespace; no empty strings, nulls or empty
// arrays anywhere (FHIR JSON forbids them); the SOAP sections' LOINC codes; special characters escaped.
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "scribe/fhir.h"

using namespace sotto;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

FhirOptions opts() {
  FhirOptions o;
  o.bundle_id = "0b6f3c1e-2a4d-4e0f-9a51-7d2c8e1f4a60";
  o.composition_id = "5e2d9a7b-1c3f-4b8e-a6d0-9f1e2c3b4a5d";
  o.timestamp = "2026-11-24T22:30:00Z";
  return o;
}

// No empty strings, nulls, empty arrays or empty objects anywhere in a FHIR JSON resource.
void check_no_empties(const json::Value& v, const std::string& path) {
  EXPECT_FALSE(v.is_null()) << path;
  if (v.is_string()) EXPECT_FALSE(v.str().empty()) << path;
  if (v.is_array()) {
    EXPECT_FALSE(v.arr().empty()) << path;
    for (size_t i = 0; i < v.arr().size(); i++) check_no_empties(v.arr()[i], path + "/" + std::to_string(i));
  }
  if (v.is_object()) {
    EXPECT_FALSE(v.obj().empty()) << path;
    for (const auto& [k, x] : v.obj()) check_no_empties(x, path + "/" + k);
  }
}

const json::Value* section(const json::Value& comp, const std::string& title) {
  for (const json::Value& s : comp.at("section").arr()) {
    if (s.at("title").str() == title) return &s;
  }
  return nullptr;
}

TEST(ScribeFhir, SoapNoteIsAValidDocumentBundle) {
  const NoteTemplate t = load_template("soap", {kRoot});
  const json::Value note = json::parse(R"({
    "subjective": "Chest pain for three days <worse> on stairs & at rest",
    "objective": "Blood pressure 142/88",
    "assessment": "",
    "plan": "ECG and troponin",
    "medications": [{"name": "lisinopril", "dose": "10 mg", "frequency": "daily"}],
    "follow_up": "2026-12-08"})");
  // Round trip through text, as the browser receives it.
  const json::Value b = json::parse(json::dump(note_to_fhir_bundle(t, note, opts())));
  check_no_empties(b, "");
  EXPECT_EQ(b.at("resourceType").str(), "Bundle");
  EXPECT_EQ(b.at("type").str(), "document");
  EXPECT_EQ(b.at("identifier").at("system").str(), "urn:ietf:rfc:3986");
  EXPECT_EQ(b.at("identifier").at("value").str(), "urn:uuid:" + opts().bundle_id);
  EXPECT_EQ(b.at("timestamp").str(), opts().timestamp);
  ASSERT_EQ(b.at("entry").arr().size(), 1u);
  const json::Value& e = b.at("entry").arr()[0];
  EXPECT_EQ(e.at("fullUrl").str(), "urn:uuid:" + opts().composition_id);
  const json::Value& c = e.at("resource");
  EXPECT_EQ(c.at("resourceType").str(), "Composition");
  EXPECT_EQ(c.at("id").str(), opts().composition_id);
  const std::string status = c.at("status").str();
  EXPECT_TRUE(status == "preliminary" || status == "final" || status == "amended" || status == "entered-in-error");
  const json::Value& type = c.at("type").at("coding").arr()[0];
  EXPECT_EQ(type.at("system").str(), "http://loinc.org");
  EXPECT_EQ(type.at("code").str(), "11506-3");
  EXPECT_EQ(c.at("date").str(), opts().timestamp);
  ASSERT_GE(c.at("author").arr().size(), 1u);
  EXPECT_TRUE(c.at("author").arr()[0].find("display") || c.at("author").arr()[0].find("reference"));
  EXPECT_EQ(c.at("title").str(), "Clinical SOAP note");

  ASSERT_EQ(c.at("section").arr().size(), 6u);  // one per template field, schema order
  for (const json::Value& s : c.at("section").arr()) {
    EXPECT_TRUE(s.find("text") || s.find("entry") || s.find("section")) << "cmp-1";
    if (s.find("emptyReason")) EXPECT_FALSE(s.find("entry")) << "cmp-2";
    const std::string ns = s.at("text").at("status").str();
    EXPECT_TRUE(ns == "generated" || ns == "extensions" || ns == "additional" || ns == "empty");
    const std::string div = s.at("text").at("div").str();
    EXPECT_EQ(div.rfind("<div xmlns=\"http://www.w3.org/1999/xhtml\">", 0), 0u) << div;
    EXPECT_EQ(div.substr(div.size() - 6), "</div>");
  }
  const std::pair<const char*, const char*> codes[] = {{"Subjective", "61150-9"}, {"Objective", "61149-1"},
                                                       {"Assessment", "51848-0"}, {"Plan", "18776-5"},
                                                       {"Medications", "10160-0"}};
  for (const auto& [title, code] : codes) {
    const json::Value* s = section(c, title);
    ASSERT_TRUE(s) << title;
    EXPECT_EQ(s->at("code").at("coding").arr()[0].at("code").str(), code) << title;
    EXPECT_EQ(s->at("code").at("coding").arr()[0].at("system").str(), "http://loinc.org");
  }
  EXPECT_EQ(section(c, "Subjective")->at("text").at("div").str(),
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Chest pain for three days &lt;worse&gt; on stairs &amp; at "
            "rest</p></div>");
  EXPECT_EQ(section(c, "Medications")->at("text").at("div").str(),
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><ul><li>Name: lisinopril; Dose: 10 mg; Frequency: "
            "daily</li></ul></div>");
  EXPECT_TRUE(section(c, "Assessment")->find("emptyReason"));
  EXPECT_FALSE(section(c, "Plan")->find("emptyReason"));
  EXPECT_TRUE(section(c, "Follow up")) << "uncoded sections keep their title";
}

// A fact the model abstained on (null) is marked "Not stated." (top level, with an emptyReason) or
// "not stated" inside an item; the bundle stays free of empty values.
TEST(ScribeFhir, NullFactsAreMarkedNotStated) {
  const NoteTemplate t = load_template("soap", {kRoot});
  const json::Value note = json::parse(R"({
    "subjective": "Cough for a week", "objective": null, "assessment": null, "plan": "",
    "medications": [{"name": "paracetamol", "dose": null, "frequency": "as needed"}], "follow_up": null})");
  const json::Value b = json::parse(json::dump(note_to_fhir_bundle(t, note, opts())));
  check_no_empties(b, "");
  const json::Value& c = b.at("entry").arr()[0].at("resource");
  const std::string open = "<div xmlns=\"http://www.w3.org/1999/xhtml\">";
  EXPECT_EQ(section(c, "Objective")->at("text").at("div").str(), open + "<p>Not stated.</p></div>");
  EXPECT_TRUE(section(c, "Objective")->find("emptyReason"));
  EXPECT_EQ(section(c, "Follow up")->at("text").at("div").str(), open + "<p>Not stated.</p></div>");
  EXPECT_EQ(section(c, "Plan")->at("text").at("div").str(), open + "<p>None recorded.</p></div>");
  EXPECT_EQ(section(c, "Medications")->at("text").at("div").str(),
            open + "<ul><li>Name: paracetamol; Dose: not stated; Frequency: as needed</li></ul></div>");
  EXPECT_FALSE(section(c, "Medications")->find("emptyReason"));
  EXPECT_FALSE(section(c, "Subjective")->find("emptyReason"));
}

TEST(ScribeFhir, BadArgumentsAreErrors) {
  const NoteTemplate t = load_template("soap", {kRoot});
  const json::Value note = json::parse(R"({"subjective": "x"})");
  FhirOptions o = opts();
  o.bundle_id = "not-a-uuid";
  EXPECT_THROW(note_to_fhir_bundle(t, note, o), Error);
  o = opts();
  o.timestamp = "2026-11-24";  // a date is not an instant
  EXPECT_THROW(note_to_fhir_bundle(t, note, o), Error);
  o.timestamp = "2026-11-24T22:30:00+01:00";
  EXPECT_NO_THROW(note_to_fhir_bundle(t, note, o));
  EXPECT_THROW(note_to_fhir_bundle(t, json::parse("[1]"), opts()), Error);
}

}  // namespace
