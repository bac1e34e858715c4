// test-scribe-window.cpp — long transcripts read in windows (apps/scribe/window.h): the plan covers the whole
// transcript in overlapping windows that fit the budget, cut at line, then sentence, then word boundaries; the
// merge of window notes keeps supported values over unsupported ones, lets a later correction win, joins text
// and array items without repeats, never lets "not stated" (null) replace a value, and stays valid under the
// template (checked by the schema's grammar, independent of the merge); and the bundled note model reads a
// 1,400-word consultation in windows that each fit its 1,024-token trained context.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/synthetic-vocab.h"
#include "runtime/loaded-model.h"
#include "scribe/note.h"
#include "scribe/window.h"
#include "text/tokenizer.h"

using namespace sotto;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

int words(std::string_view s) {
  int n = 0;
  bool in = false;
  for (char c : s) {
    const bool sp = c == ' ' || c == '\n' || c == '\t';
    if (!sp && !in) n++;
    in = !sp;
  }
  return n;
}

// Windows: in order, covering [0, size), each overlapping the one before, each within `budget` words.
void expect_cover(const std::string& t, const WindowPlan& p, int budget) {
  ASSERT_FALSE(p.windows.empty());
  EXPECT_EQ(p.windows.front().begin, 0u);
  EXPECT_EQ(p.windows.back().end, t.size());
  for (size_t i = 0; i < p.windows.size(); i++) {
    const Span w = p.windows[i];
    EXPECT_LE(words(std::string_view(t).substr(w.begin, w.end - w.begin)), budget) << "window " << i;
    if (i > 0) {
      EXPECT_GT(w.begin, p.windows[i - 1].begin) << "window " << i << " makes no progress";
      EXPECT_LE(w.begin, p.windows[i - 1].end) << "a gap before window " << i;
    }
  }
}

TEST(ScribeWindow, ShortTranscriptIsOneWindow) {
  const std::string t = "Doctor: How are you?\nPatient: Fine.\n";
  const WindowPlan p = plan_windows(t, 40, 30, 100, 1024, words);
  ASSERT_EQ(p.windows.size(), 1u);
  EXPECT_EQ(p.windows[0].end, t.size());
  EXPECT_EQ(describe_windows(p), "");
  EXPECT_EQ(plan_windows(t, 5000, 30, 100, 0, words).windows.size(), 1u) << "unknown trained context: one window";
}

TEST(ScribeWindow, PlanCutsAtTurnsWithOverlap) {
  std::string t;
  for (int i = 0; i < 120; i++) {
    t += i % 2 ? "Patient: line " : "Doctor: line ";
    t += std::to_string(i);
    t += " says a few more words here.\n";
  }
  // budget = 300 - 50 - 100 = 150 words; each line is 9 words
  const WindowPlan p = plan_windows(t, 1200, 50, 100, 300, words);
  EXPECT_EQ(p.window_tokens, 150);
  ASSERT_GE(p.windows.size(), 7u);
  expect_cover(t, p, 150);
  for (size_t i = 0; i < p.windows.size(); i++) {
    const Span w = p.windows[i];
    EXPECT_TRUE(w.begin == 0 || t[w.begin - 1] == '\n') << "window " << i << " starts mid-line";
    EXPECT_TRUE(t[w.end - 1] == '\n') << "window " << i << " ends mid-line";
    if (i > 0) {
      EXPECT_LT(w.begin, p.windows[i - 1].end) << "window " << i << " does not overlap the one before";
    }
  }
  const std::string d = describe_windows(p);
  EXPECT_NE(d.find("(1,200 prompt tokens)"), std::string::npos) << d;
  EXPECT_NE(d.find("trained on (300 tokens)"), std::string::npos) << d;
  EXPECT_NE(d.find(std::to_string(p.windows.size()) + " overlapping windows of up to 150 tokens"), std::string::npos) << d;
}

TEST(ScribeWindow, LongLinesCutAtSentencesThenWords) {
  std::string t;  // one line: 40 sentences of 6 words, then one 200-word run without a full stop
  for (int i = 0; i < 40; i++) t += "Sentence " + std::to_string(i) + " has six words here. ";
  for (int i = 0; i < 200; i++) {
    t += 'w';
    t += std::to_string(i);
    t += ' ';
  }
  const WindowPlan p = plan_windows(t, 600, 10, 40, 100, words);  // budget 50
  expect_cover(t, p, 50);
  for (const Span& w : p.windows) {
    if (w.end <= t.find("w0 ")) {
      EXPECT_EQ(t[w.end - 1], '.') << "cut mid-sentence: " << t.substr(w.begin, w.end - w.begin);
    }
  }
  const WindowPlan whole = plan_windows(t, 600, 60, 40, 120, words);  // a 20-token budget: read whole, and said
  ASSERT_EQ(whole.windows.size(), 1u);
  EXPECT_TRUE(whole.past_trained);
  EXPECT_NE(describe_windows(whole).find("past what the model was trained on"), std::string::npos) << describe_windows(whole);
}

const char* kSchema = R"({
  "type": "object",
  "properties": {
    "subjective": {"type": "string", "maxLength": 60},
    "assessment": {"type": ["string", "null"], "maxLength": 100},
    "medications": {"type": "array", "maxItems": 2, "items": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 40}, "dose": {"type": "string", "maxLength": 20}},
        "required": ["name", "dose"], "additionalProperties": false}},
    "follow_up": {"type": "string", "format": "date"},
    "smoker": {"type": "boolean"}
  },
  "required": ["subjective", "assessment", "medications", "follow_up", "smoker"],
  "additionalProperties": false
})";

bool valid_under_schema(const json::Value& note) {
  auto sv = grammar::make_synthetic_vocab(1000, 11);
  grammar::CompiledGrammar cg(grammar::compile_json_schema(kSchema, "window.schema.json"),
                              std::make_shared<grammar::TokenTrie>(sv.pieces, sv.eog_ids));
  const int32_t s = cg.advance(cg.initial_state(), json::dump(note));
  return s >= 0 && cg.can_end(s);
}

TEST(ScribeWindow, MergeKeepsSupportedValuesAndLaterCorrections) {
  const std::string w0 = "Patient: I have had a dry cough for three weeks. I do not smoke, I stopped years ago.\n"
                         "Doctor: It looks like asthma. Start amoxicillin 250 mg. See you on the 3rd of March 2027.\n";
  const std::string w1 = "Doctor: Actually make the amoxicillin 500 mg. And add salbutamol 100 micrograms.\n"
                         "Patient: The cough is worse at night.\n";
  const std::string t = w0 + w1;
  const std::vector<Span> win = {{0, w0.size()}, {w0.size(), t.size()}};
  const json::Value n0 = json::parse(R"({"subjective": "dry cough for three weeks", "assessment": "asthma",
      "medications": [{"name": "amoxicillin", "dose": "250 mg"}], "follow_up": "2027-03-03", "smoker": false})");
  // Window 1 does not say the follow-up date nor the diagnosis: its model invented both (unsupported there).
  const json::Value n1 = json::parse(R"({"subjective": "cough worse at night", "assessment": "pneumonia",
      "medications": [{"name": "amoxicillin", "dose": "500 mg"}, {"name": "salbutamol", "dose": "100 micrograms"}],
      "follow_up": "2026-01-01", "smoker": true})");
  const json::Value m = merge_window_notes(json::parse(kSchema), {n0, n1}, t, win);
  EXPECT_EQ(m.find("follow_up")->str(), "2027-03-03") << "the supported date stays";
  EXPECT_EQ(m.find("assessment")->str(), "asthma") << "an unsupported diagnosis does not replace a supported one";
  const auto& meds = m.find("medications")->arr();
  ASSERT_EQ(meds.size(), 2u);
  EXPECT_EQ(meds[0].find("name")->str(), "amoxicillin");
  EXPECT_EQ(meds[0].find("dose")->str(), "500 mg") << "the later correction wins";
  EXPECT_EQ(meds[1].find("name")->str(), "salbutamol");
  EXPECT_EQ(m.find("subjective")->str(), "dry cough for three weeks; cough worse at night");
  EXPECT_FALSE(m.find("smoker")->boolean());
  EXPECT_TRUE(valid_under_schema(m)) << json::dump(m);
  // The note keys come in schema order.
  std::string keys;
  for (const auto& [k, v] : m.obj()) keys += k + " ";
  EXPECT_EQ(keys, "subjective assessment medications follow_up smoker ");
}

TEST(ScribeWindow, MergeRepeatsNothingAndKeepsLimits) {
  const std::string w0 = "Patient: dry cough for three weeks, worse at night, and a sore throat with hoarse voice.\n";
  const std::string w1 = "Doctor: so a dry cough for three weeks, worse at night. Take paracetamol 1 g, ibuprofen 400 mg, "
                         "cetirizine 10 mg.\n";
  const std::string t = w0 + w1;
  const std::vector<Span> win = {{0, w0.size()}, {w0.size(), t.size()}};
  const json::Value n0 = json::parse(R"({"subjective": "dry cough for three weeks, worse at night", "assessment": null,
      "medications": [], "follow_up": "2027-03-03", "smoker": false})");
  const json::Value n1 = json::parse(R"({"subjective": "dry cough for three weeks", "assessment": null,
      "medications": [{"name": "paracetamol", "dose": "1 g"}, {"name": "ibuprofen", "dose": "400 mg"}],
      "follow_up": "2027-03-03", "smoker": false})");
  const json::Value n2 = json::parse(R"({"subjective": "a sore throat with hoarse voice and dry cough for three weeks worse at night",
      "assessment": null, "medications": [{"name": "cetirizine", "dose": "10 mg"}], "follow_up": "2027-03-03", "smoker": false})");
  const std::vector<Span> win3 = {{0, w0.size()}, {w0.size(), t.size()}, {0, t.size()}};
  const json::Value m = merge_window_notes(json::parse(kSchema), {n0, n1, n2}, t, win3);
  const std::string s = m.find("subjective")->str();
  EXPECT_LE(s.size(), 60u) << s;
  EXPECT_EQ(s.find("dry cough"), s.rfind("dry cough")) << "repeated: " << s;
  EXPECT_TRUE(m.find("assessment")->is_null()) << "not stated in every window stays not stated";
  EXPECT_EQ(m.find("medications")->arr().size(), 2u) << "maxItems";
  EXPECT_TRUE(valid_under_schema(m)) << json::dump(m);

  // "not stated" in a later window does not erase what an earlier one said
  const json::Value a0 = json::parse(R"({"subjective": "cough", "assessment": "asthma", "medications": [], "follow_up": "2027-03-03", "smoker": false})");
  const json::Value a1 = json::parse(R"({"subjective": "cough", "assessment": null, "medications": [], "follow_up": "2027-03-03", "smoker": false})");
  const std::string ta = "Patient: cough. Doctor: this is asthma.\n", tb = "Patient: cough again.\n";
  const json::Value ma = merge_window_notes(json::parse(kSchema), {a0, a1}, ta + tb, {{0, ta.size()}, {ta.size(), ta.size() + tb.size()}});
  EXPECT_EQ(ma.find("assessment")->str(), "asthma");
  EXPECT_THROW(merge_window_notes(json::parse(kSchema), {a0}, ta, {{0, ta.size()}, {0, 1}}), Error);
  EXPECT_THROW(merge_window_notes(json::parse(kSchema), {a0, a1}, ta, {{0, ta.size()}, {0, ta.size() + 5}}), Error);
}

TEST(ScribeWindow, BundledModelReadsALongConsultationInWindows) {
  LoadedModel lm = load_model(kRoot + "/models/sotto-notes-q8_0.gguf", 2, true);
  const int n_ctx_train = lm.model->config().n_ctx_train;
  ASSERT_EQ(n_ctx_train, 1024);
  const NoteTemplate t = load_template("soap", {kRoot});
  // ~1,400 words: small talk and digressions around the history, examination and plan (also the app's test)
  const std::string tr = read_file(kRoot + "/tests/fixtures/notes/long-consultation.txt");
  NoteOptions opt;
  const NoteResult r = write_note(lm, t, tr, opt);
  ASSERT_GE(r.windows.windows.size(), 3u);
  EXPECT_GT(r.windows.prompt_tokens, n_ctx_train);
  for (const Span& w : r.windows.windows) {
    const std::string part = tr.substr(w.begin, w.end - w.begin);
    const int n = int(note_prompt_tokens(*lm.tokenizer, note_user_turn(t, part)).size());
    EXPECT_LE(n + note_reserve_tokens(n_ctx_train, opt.max_tokens), n_ctx_train) << part;
  }
  for (const json::Value& key : t.schema.at("required").arr()) EXPECT_TRUE(r.note.find(key.str())) << key.str();
  EXPECT_EQ(r.support.size() > 0, true);
  EXPECT_NE(describe_windows(r.windows).find("overlapping windows"), std::string::npos);
  // The schema's grammar accepts the merged note (the merge keeps types, limits and required keys).
  auto sv = grammar::make_synthetic_vocab(1000, 11);
  grammar::CompiledGrammar cg(grammar::compile_json_schema(t.schema_text, t.path),
                              std::make_shared<grammar::TokenTrie>(sv.pieces, sv.eog_ids));
  const int32_t s = cg.advance(cg.initial_state(), r.text);
  EXPECT_TRUE(s >= 0 && cg.can_end(s)) << r.text;
}

}  // namespace
