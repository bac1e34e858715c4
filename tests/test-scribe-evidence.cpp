// test-scribe-evidence.cpp — evidence-constrained notes (NoteOptions::evidence, sotto note --evidence) with the
// bundled note model: on several transcripts (the bundled samples, the held-out fixture examples of all four
// templates, and awkward bytes: quotes, backslashes, a tab, an empty transcript) every free-text value of the note
// is a substring of the transcript, and the note is valid under its template. Both are checked here by hand,
// independently of grammar/evidence.cpp: free-text positions are read off the schema by this file's own walk
// (a plain string type, no enum/format/pattern, directly or in an ["string", "null"] type list), validity by a
// small validator of the keywords the templates use ("a substring": of the transcript, or of the transcript
// without its disfluencies, whose table is tested here). Also: a bad --evidence value is a one-line usage error.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>

#include "cli-run.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/device-sampler.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "scribe/evidence.h"
#include "scribe/note.h"

using namespace sotto;
using namespace cli_run;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

LoadedModel& model() {
  static LoadedModel lm = load_model(kRoot + "/models/sotto-notes-q8_0.gguf", 2, true);
  return lm;
}

bool has_type(const json::Value& s, const std::string& t) {
  const json::Value* ty = s.find("type");
  if (!ty) return false;
  if (ty->is_string()) return ty->str() == t;
  for (const json::Value& x : ty->arr()) {
    if (x.str() == t) return true;
  }
  return false;
}

bool plain_string(const json::Value& s) {
  return has_type(s, "string") && !s.find("enum") && !s.find("format") && !s.find("pattern") && !s.find("anyOf");
}

// Every free-text value of `v` (under schema `s`) must occur in `text` or in `clean` (the transcript without its
// disfluencies); returns how many were checked.
// With `missing`, values not found are counted there instead of failing the test.
int check_copied(const json::Value& s, const json::Value& v, const std::string& text, const std::string& path,
                 const std::string& clean, int* missing = nullptr) {
  if (v.is_string() && plain_string(s)) {
    const bool found = text.find(v.str()) != std::string::npos || clean.find(v.str()) != std::string::npos;
    if (missing) *missing += !found;
    else EXPECT_TRUE(found) << path << " = '" << v.str() << "' is not in the transcript";
    return 1;
  }
  int n = 0;
  if (v.is_object() && s.find("properties")) {
    for (const auto& [k, x] : v.obj()) {
      if (const json::Value* sub = s.at("properties").find(k)) n += check_copied(*sub, x, text, path + "/" + k, clean, missing);
    }
  }
  if (v.is_array() && s.find("items")) {
    for (size_t i = 0; i < v.arr().size(); ++i) n += check_copied(s.at("items"), v.arr()[i], text, path + "/" + std::to_string(i), clean, missing);
  }
  return n;
}

// The keywords of templates/*.schema.json: type, enum, maxLength, maxItems, required, properties,
// additionalProperties false, items, format date, pattern, anyOf, minimum, maximum. "" when valid.
std::string invalid(const json::Value& s, const json::Value& v, const std::string& path) {
  if (const json::Value* any = s.find("anyOf")) {
    for (const json::Value& b : any->arr()) {
      if (invalid(b, v, path).empty()) return "";
    }
    return path + ": no anyOf branch";
  }
  const char* kind = v.is_null() ? "null" : v.is_string() ? "string" : v.is_bool() ? "boolean" : v.is_array() ? "array"
                     : v.is_object() ? "object" : "number";
  if (s.find("type") && !has_type(s, kind) && !(std::string(kind) == "number" && has_type(s, "integer"))) {
    return path + ": type " + kind;
  }
  if (const json::Value* e = s.find("enum")) {
    bool in = false;
    for (const json::Value& x : e->arr()) in = in || json::dump(x) == json::dump(v);
    if (!in) return path + ": not in enum";
  }
  if (v.is_string()) {
    size_t chars = 0;
    for (unsigned char c : v.str()) chars += (c & 0xC0) != 0x80;
    if (const json::Value* m = s.find("maxLength"); m && chars > size_t(m->number())) return path + ": too long";
    if (const json::Value* f = s.find("format"); f && f->str() == "date" && !is_calendar_date(v.str())) return path + ": not a date";
    if (const json::Value* p = s.find("pattern"); p && !std::regex_search(v.str(), std::regex(p->str()))) return path + ": pattern";
  }
  if (v.is_number()) {
    if (const json::Value* m = s.find("minimum"); m && v.number() < m->number()) return path + ": below minimum";
    if (const json::Value* m = s.find("maximum"); m && v.number() > m->number()) return path + ": above maximum";
  }
  if (v.is_array()) {
    if (const json::Value* m = s.find("maxItems"); m && v.arr().size() > size_t(m->number())) return path + ": too many items";
    for (size_t i = 0; i < v.arr().size(); ++i) {
      if (std::string e = invalid(s.at("items"), v.arr()[i], path + "/" + std::to_string(i)); !e.empty()) return e;
    }
  }
  if (v.is_object()) {
    const json::Value& props = s.at("properties");
    if (const json::Value* req = s.find("required")) {
      for (const json::Value& k : req->arr()) {
        if (!v.find(k.str())) return path + ": missing " + k.str();
      }
    }
    for (const auto& [k, x] : v.obj()) {
      const json::Value* sub = props.find(k);
      if (!sub) return path + ": extra property " + k;
      if (std::string e = invalid(*sub, x, path + "/" + k); !e.empty()) return e;
    }
  }
  return "";
}

struct Case {
  std::string tmpl, transcript;
};

std::vector<Case> cases() {
  std::vector<Case> out = {
      {"soap", read_file(kRoot + "/samples/visit-soap.txt")},
      {"soap", read_file(kRoot + "/samples/visit-soap-conversation.txt")},
      {"hr", read_file(kRoot + "/samples/hr-interview.txt")},
      // Bytes a copy must escape: quotes, a backslash, a tab.
      {"soap", "Patient says \"it burns\" when swallowing\tfor 3 days. Throat red. Likely pharyngitis. Plan: "
               "salt water gargles, paracetamol 1 g four times daily. Path C:\\notes\\a.txt was mentioned."},
      {"legal", ""},  // nothing to copy: free-text values can only be empty or null
  };
  std::ifstream in(kRoot + "/tests/fixtures/notes/heldout.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const json::Value ex = json::parse(line, "heldout.jsonl");
    out.push_back({ex.at("template").str(), ex.at("transcript").str()});
  }
  return out;
}

}  // namespace

TEST(ScribeEvidence, FreeTextValuesAreTranscriptSubstringsAndNotesAreValid) {
  int n_values = 0, n_notes = 0;
  for (const Case& c : cases()) {
    const NoteTemplate t = load_template(c.tmpl, {kRoot});
    NoteOptions opt;
    opt.evidence = true;
    opt.max_tokens = 600;
    const NoteResult r = write_note(model(), t, c.transcript, opt);
    SCOPED_TRACE(c.tmpl + ": " + c.transcript.substr(0, 60) + " -> " + r.text);
    EXPECT_EQ(invalid(t.schema, r.note, ""), "");
    n_values += check_copied(t.schema, r.note, c.transcript, "", without_disfluencies(c.transcript));
    EXPECT_EQ(r.evidence.left_source, 0);
    EXPECT_GT(r.evidence.masks, 0);
    ++n_notes;
  }
  EXPECT_GE(n_notes, 12);
  EXPECT_GE(n_values, 40);  // the check is not vacuous
}

TEST(ScribeEvidence, OffWritesValuesTheTranscriptDoesNotHold) {
  // The twin of the property above: without the constraint the model rewords (so the check above can fail).
  int reworded = 0;
  for (const Case& c : cases()) {
    const NoteTemplate t = load_template(c.tmpl, {kRoot});
    NoteOptions opt;
    opt.evidence = false;
    opt.max_tokens = 600;
    NoteResult r;
    try {
      r = write_note(model(), t, c.transcript, opt);
    } catch (const Error&) {
      continue;  // without the constraint the empty transcript's note loops to max-tokens
    }
    check_copied(t.schema, r.note, c.transcript, "", without_disfluencies(c.transcript), &reworded);
  }
  EXPECT_GE(reworded, 3);
}

TEST(ScribeEvidence, DisfluenciesAreDroppedAsTheReferencesDrop) {
  const std::pair<const char*, const char*> table[] = {
      {"History of right, a dry cough um, for 20 days", "History of a dry cough for 20 days"},
      {"Um, so it, it started you know, last week. I mean, it hurts", "so it started last week. it hurts"},
      {"sort of, better. Okay so, next", "better. next"},
      {"cough, cough and the right arm", "cough and the right arm"},  // a false start; "right" without comma stays
      {"Dr: um,\nPatient: fine", "Dr: um,\nPatient: fine"},  // a newline joins the words: nothing dropped
      {"so um,", "so um,"},                                    // the last word stays
      {"", ""},
  };
  for (const auto& [in, want] : table) EXPECT_EQ(without_disfluencies(in), want) << in;
  EXPECT_EQ(evidence_source("a um, b"), std::string("a um, b\x01" "a b"));
}

TEST(ScribeEvidence, BadOptionIsAOneLineUsageError) {
  if (access(sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
  const auto r = run("note --transcript " + kRoot + "/samples/visit-soap.txt --evidence maybe");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("--evidence must be on or off"), std::string::npos) << r.out;
}

// The device path (WebGPU notes): DeviceSampler with the evidence link masks each step as the CPU chain [grammar,
// evidence, greedy] filters it: on random logits (the bundled model's vocabulary, the SOAP
// template, a sample transcript), the argmax over the device mask is the chain's token at every step, and the
// evidence link was active on the way (at least 100 steps inside free text). Greedy (the app's notes are greedy by default).
TEST(ScribeEvidence, DeviceMaskPicksTheTokensOfTheCpuChain) {
  const NoteTemplate t = load_template("soap", {kRoot});
  const std::string transcript = read_file(kRoot + "/samples/visit-soap.txt");
  std::shared_ptr<const grammar::TokenTrie> trie = grammar::make_token_trie(*model().tokenizer);
  const int32_t n_vocab = trie->n_vocab(), n_logits = n_vocab + 5;  // a padded row, as models have
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  // Quotes and the start of null held back, so the notes' values are mostly strings that run long under the
  // constraint (random logits would otherwise close them or write null at once).
  std::vector<float> held_back(static_cast<size_t>(n_vocab), 0.0f);
  for (int32_t id = 0; id < n_vocab; ++id) {
    const std::string& pc = trie->piece(id);
    const size_t b = pc.find_first_not_of(' ');
    const bool null_start = b != std::string::npos && std::string("null").compare(0, pc.size() - b, pc, b) == 0;
    if (pc.find('"') != std::string::npos || null_start) held_back[size_t(id)] = 6.0f;
  }
  int constrained = 0, steps = 0, fallbacks = 0;
  for (int run = 0; run < 6; ++run) {
    auto cg = [&] { return std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(t.schema_text, t.path), trie); };
    SamplerParams sp;
    sp.temperature = 0.0f;  // greedy
    SamplerChain chain = make_chain(sp);
    chain.add_front(std::make_unique<EvidenceSampler>(trie, t.schema, transcript));
    chain.add_front(make_grammar_sampler(cg(), model().tokenizer.get()));
    auto link = std::make_unique<EvidenceSampler>(trie, t.schema, transcript);
    EvidenceSampler* ev = link.get();
    DeviceSampler ds(sp, cg(), model().tokenizer.get(), std::move(link));
    std::vector<float> logits(static_cast<size_t>(n_logits));
    for (int step = 0; step < 400; ++step) {
      for (int32_t id = 0; id < n_logits; ++id) logits[size_t(id)] = nd(rng) - (id < n_vocab ? held_back[size_t(id)] : 0.0f);
      const int32_t want = chain.sample(logits.data(), n_logits);
      const GpuSampleParams& p = ds.step(n_logits);
      ASSERT_NE(p.mask, nullptr);
      int32_t got = -1;
      for (int32_t id = 0; id < n_logits; ++id) {
        if (((p.mask[size_t(id) >> 5] >> (id & 31)) & 1) && (got < 0 || logits[size_t(id)] > logits[size_t(got)])) got = id;
      }
      ASSERT_EQ(got, want) << "run " << run << " step " << step;
      chain.accept(want);
      ds.accept(got);
      ++steps;
      if (model().tokenizer->is_eog(want)) break;
      // Tokens the grammar forces (keys, punctuation) are run without sampling on both paths, as generate does.
      const std::vector<int32_t> forced = chain.forced_tokens();
      ASSERT_EQ(ds.forced_tokens(), forced);
      for (int32_t f : forced) {
        chain.accept(f);
        ds.accept(f);
      }
    }
    constrained += ev->stats().masks;
    fallbacks += ev->stats().fallbacks;
  }
  EXPECT_GE(constrained, 100) << "the evidence link was active in " << constrained << " of " << steps << " steps";
  std::printf("device mask == CPU chain on %d steps, %d of them inside free text, %d fallbacks\n", steps, constrained,
              fallbacks);
}
