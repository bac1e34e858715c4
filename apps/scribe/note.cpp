// note.cpp — see note.h.
#include "note.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/file.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"
#include "text/tokenizer.h"

namespace sotto {

namespace {

// Words of a text with their byte spans: runs of letters/digits (bytes >= 0x80 count as letters, so
// accented and non-Latin words stay whole), lower-cased for ASCII.
struct Word {
  std::string text;
  size_t begin, end;
  bool number;
};

std::vector<Word> words(const std::string& s) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c < 0x80) {
      i++;
      continue;
    }
    size_t j = i;
    bool digits = true;
    while (j < s.size()) {
      const auto d = static_cast<unsigned char>(s[j]);
      if (!std::isalnum(d) && d < 0x80) {
        // keep decimals like 2.5 and 10:30 together
        if ((d == '.' || d == ':') && digits && j + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[j + 1])) &&
            j > i) {
          j++;
          continue;
        }
        break;
      }
      if (!std::isdigit(d)) digits = false;
      j++;
    }
    std::string w = s.substr(i, j - i);
    for (char& ch : w) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    out.push_back({w, i, j, digits});
    i = j;
  }
  return out;
}

const std::set<std::string>& stopwords() {
  static const std::set<std::string> s = {
      "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "he", "her", "his", "in", "is",
      "it", "its", "of", "on", "or", "she", "that", "the", "their", "they", "this", "to", "was", "were", "with",
      "no", "not", "per", "patient", "client", "reports", "reported", "states", "stated"};
  return s;
}

// The non-empty strings of v with their JSON pointers; a string whose schema (s, may be null) fixes it as an
// enum or const is a choice the template offers, not a fact from the transcript, and is left out.
void collect(const json::Value& v, const json::Value* s, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out) {
  auto sub = [&](const char* key, const std::string& name) -> const json::Value* {
    const json::Value* k = s && s->is_object() ? s->find(key) : nullptr;
    if (!k) return nullptr;
    return name.empty() ? k : (k->is_object() ? k->find(name) : nullptr);
  };
  if (v.is_string()) {
    if (!v.str().empty() && !sub("enum", "") && !sub("const", "")) out.emplace_back(path, v.str());
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.arr().size(); i++) collect(v.arr()[i], sub("items", ""), path + "/" + std::to_string(i), out);
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.obj()) collect(x, sub("properties", k), path + "/" + k, out);
  }
}

}  // namespace

NoteTemplate load_template(const std::string& name_or_path, const std::vector<std::string>& search_dirs) {
  NoteTemplate t;
  std::vector<std::string> tried;
  if (std::filesystem::is_regular_file(name_or_path)) {
    t.path = name_or_path;
  } else {
    for (const auto& d : search_dirs) {
      const std::string p = d + "/templates/" + name_or_path + ".schema.json";
      tried.push_back(p);
      if (std::filesystem::is_regular_file(p)) {
        t.path = p;
        break;
      }
    }
    if (t.path.empty()) {
      std::string list;
      for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p;
      fail("template '", name_or_path, "' not found (looked for ", list.empty() ? "a file of that name" : list, ")");
    }
  }
  t.name = std::filesystem::path(t.path).filename().string();
  if (const size_t dot = t.name.find('.'); dot != std::string::npos) t.name.resize(dot);
  t.schema_text = read_file(t.path);
  t.schema = json::parse(t.schema_text, t.path);
  if (!t.schema.is_object() || !t.schema.find("properties")) fail(t.path, ": a template must be an object schema with properties");
  const json::Value* title = t.schema.find("title");
  const json::Value* desc = t.schema.find("description");
  if (!desc || !desc->is_string() || desc->str().empty()) fail(t.path, ": the template needs a \"description\" (the instruction)");
  t.title = title && title->is_string() ? title->str() : t.name;
  t.instruction = desc->str();
  return t;
}

// "2026-12-02" -> {2026, 12, 2}; false for anything else.
bool parse_iso_date(const std::string& v, int& y, int& m, int& d) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  y = std::stoi(v.substr(0, 4));
  m = std::stoi(v.substr(5, 2));
  d = std::stoi(v.substr(8, 2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

// An ISO date value is supported when the transcript says its year, its month (by name or number) and its
// day (a number or an ordinal: "2", "2nd"): the ways people say "2026-12-02". Spans cover the words found.
void check_date(int y, int m, int d, const std::vector<Word>& tw, FieldSupport& fs) {
  static const char* months[] = {"january", "february", "march", "april", "may", "june", "july",
                                 "august", "september", "october", "november", "december"};
  static const char* ord[] = {"th", "st", "nd", "rd"};
  const std::string day = std::to_string(d), nth = day + ord[(d % 100 >= 11 && d % 100 <= 13) || d % 10 > 3 ? 0 : d % 10];
  auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  const std::vector<std::pair<std::string, std::vector<std::string>>> parts = {
      {std::to_string(y), {std::to_string(y)}},
      {months[m - 1], {months[m - 1], std::to_string(m), two(m)}},
      {day, {day, two(d), nth}}};
  for (const auto& [name, forms] : parts) {
    auto it = std::find_if(tw.begin(), tw.end(), [&](const Word& w) {
      return std::find(forms.begin(), forms.end(), w.text) != forms.end();
    });
    if (it == tw.end()) {
      fs.unsupported.push_back(name);
    } else {
      fs.spans.push_back({it->begin, it->end});
    }
  }
}

std::vector<FieldSupport> check_support(const json::Value& note, const std::string& transcript,
                                        const json::Value* schema) {
  const std::vector<Word> tw = words(transcript);
  std::set<std::string> vocab;
  for (const Word& w : tw) vocab.insert(w.text);
  std::vector<std::pair<std::string, std::string>> fields;
  collect(note, schema, "", fields);
  std::vector<FieldSupport> out;
  for (const auto& [path, value] : fields) {
    FieldSupport fs;
    fs.path = path;
    fs.value = value;
    if (int y, m, d; parse_iso_date(value, y, m, d)) {
      check_date(y, m, d, tw, fs);
      fs.flagged = !fs.unsupported.empty();
      out.push_back(std::move(fs));
      continue;
    }
    const std::vector<Word> vw = words(value);
    for (const Word& w : vw) {
      const bool content = w.number || (w.text.size() >= 3 && !stopwords().count(w.text));
      if (content && !vocab.count(w.text)) fs.unsupported.push_back(w.text);
    }
    // Spans: the longest runs of consecutive value words found consecutively in the transcript.
    for (size_t i = 0; i < vw.size();) {
      size_t best_len = 0, best_at = 0;
      for (size_t j = 0; j < tw.size(); j++) {
        size_t k = 0;
        while (i + k < vw.size() && j + k < tw.size() && vw[i + k].text == tw[j + k].text) k++;
        if (k > best_len) {
          best_len = k;
          best_at = j;
        }
      }
      if (best_len == 0) {
        i++;
        continue;
      }
      // A lone stopword is no evidence.
      if (best_len > 1 || !stopwords().count(vw[i].text)) {
        fs.spans.push_back({tw[best_at].begin, tw[best_at + best_len - 1].end});
      }
      i += best_len;
    }
    fs.flagged = !fs.unsupported.empty();
    out.push_back(std::move(fs));
  }
  return out;
}

NoteResult write_note(LoadedModel& lm, const NoteTemplate& t, const std::string& transcript, const NoteOptions& opt,
                      const TextCallback& on_text) {
  auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(t.schema_text, t.path),
                                                       grammar::make_token_trie(*lm.tokenizer));
  SamplerParams sp;
  sp.temperature = opt.temperature;
  sp.seed = opt.seed;
  SamplerChain chain = make_chain(sp);
  chain.add_front(make_grammar_sampler(std::move(cg), lm.tokenizer.get()));
  const std::string user = t.instruction + "\n\nTranscript:\n" + transcript + "\n\nAnswer with the JSON note only.";
  std::vector<int32_t> prompt;
  try {
    prompt = encode_prompt(*lm.tokenizer, user, true, "");
  } catch (const Error&) {  // no chat format: plain prompt
    prompt = encode_prompt(*lm.tokenizer, user + "\n", false, "");
  }
  if (int(prompt.size()) >= opt.n_ctx) {
    fail("the transcript is too long for the context: ", std::to_string(prompt.size()), " prompt tokens, context ",
         std::to_string(opt.n_ctx), " (raise --ctx-size)");
  }
  KvCache cache = lm.model->new_cache(opt.n_ctx);
  GenerateParams gp;
  gp.max_tokens = opt.max_tokens;
  GenerateResult r = generate(*lm.model, cache, *lm.tokenizer, chain, prompt, gp, on_text);
  if (r.stats.stop != StopReason::Eog) {
    fail("the note was not finished (stopped by ", stop_reason_name(r.stats.stop),
         " after ", std::to_string(r.stats.n_generated), " tokens); raise --max-tokens or --ctx-size");
  }
  NoteResult res;
  res.text = r.text;
  res.note = json::parse(r.text, "generated note");
  res.support = check_support(res.note, transcript, &t.schema);
  res.stats = r.stats;
  return res;
}

namespace {
std::string heading(const std::string& key) {
  std::string h = key;
  for (char& c : h) if (c == '_') c = ' ';
  if (!h.empty()) h[0] = char(std::toupper(static_cast<unsigned char>(h[0])));
  return h;
}

void md_value(const json::Value& v, std::string& out, int depth) {
  if (v.is_string()) {
    out += v.str().empty() ? "_(none)_" : v.str();
  } else if (v.is_array()) {
    if (v.arr().empty()) out += "_(none)_";
    for (const json::Value& x : v.arr()) {
      out += '\n';
      out.append(size_t(depth) * 2, ' ');
      out += "- ";
      md_value(x, out, depth + 1);
    }
  } else if (v.is_object()) {
    bool first = true;
    for (const auto& [k, x] : v.obj()) {
      out += first ? "" : "; ";
      first = false;
      out += heading(k) + ": ";
      md_value(x, out, depth + 1);
    }
  } else {
    out += json::dump(v);
  }
}
}  // namespace

std::string note_to_markdown(const NoteTemplate& t, const json::Value& note, const std::vector<FieldSupport>& support) {
  std::string out = "# " + t.title + "\n";
  for (const auto& [key, schema] : t.schema.at("properties").obj()) {
    out += "\n## " + heading(key) + "\n\n";
    const json::Value* v = note.find(key);
    if (v) md_value(*v, out, 0);
    out += "\n";
  }
  std::string flags;
  for (const FieldSupport& f : support) {
    if (!f.flagged) continue;
    flags += "- `" + f.path + "`: not in the transcript: ";
    for (size_t i = 0; i < f.unsupported.size(); i++) flags += (i ? ", " : "") + f.unsupported[i];
    flags += "\n";
  }
  if (!flags.empty()) out += "\n## Check against the transcript\n\n" + flags;
  return out;
}

}  // namespace sotto
