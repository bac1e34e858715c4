// test-scribe-support-speech.cpp — the speech model's doubts carried into the support check
// (apps/scribe/support-speech.h): the uncertain spans of a transcript made from segments (and the same from
// `sotto transcribe --json`), and a table of note values that must / must not be flagged "rests on uncertain
// speech": a value supported only by uncertain words is flagged, one with any certain support is not, one already
// flagged keeps its own reason; the Markdown says so; bad span input is refused with one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "runtime/speech-confidence.h"
#include "runtime/transcribe.h"
#include "scribe/note.h"
#include "scribe/support-speech.h"
#include "scribe/support.h"

using namespace sotto;

namespace {

// A segment of `text` whose words (split at spaces) have the confidences `conf`, flagged by the real guards.
TranscriptSegment segment(const std::string& text, const std::vector<float>& conf, double seconds = 5.0) {
  TranscriptSegment s;
  s.text = text;
  size_t a = 0, i = 0;
  while (a < text.size()) {
    size_t b = text.find(' ', a);
    if (b == std::string::npos) b = text.size();
    TranscriptWord w;
    w.text = text.substr(a, b - a);
    w.begin = a;
    w.end = b;
    w.confidence = conf.at(i++);
    s.words.push_back(w);
    a = b + 1;
  }
  EXPECT_EQ(i, conf.size()) << text;
  s.flags = speech_flags(s.words, seconds);
  return s;
}

std::vector<float> sure(size_t n) { return std::vector<float>(n, 1.0f); }

// A long sure phrase (its mean stays above kLowPhraseConfidence) with word i at probability p.
const std::string kLong = " and the rest of the examination was entirely normal with clear chest sounds and a soft abdomen"
                          " and no swelling of the ankles at all";
TranscriptSegment with_low(const std::string& text, size_t i, float p) {
  std::vector<float> c(size_t(std::count(text.begin(), text.end(), ' ')) + 1, 1.0f);
  c.at(i) = p;
  return segment(text, c);
}

const FieldSupport& field(const std::vector<FieldSupport>& v, const std::string& path) {
  for (const FieldSupport& f : v) {
    if (f.path == path) return f;
  }
  throw std::runtime_error("no field " + path);
}

// The transcript of the issue: a sure first phrase, then a sentence recalled from training (every word about 0.9).
std::vector<TranscriptSegment> issue_segments() {
  return {segment("Plan is urine sample and salbutamol review.", sure(7)),
          segment("Salbutamol 100 micrograms, four times daily.", {0.95f, 0.9f, 0.92f, 0.9f, 0.91f, 0.9f})};
}

}  // namespace

TEST(SupportSpeech, UncertainSpansOfATranscript) {
  const SpeechTranscript t = speech_transcript(issue_segments());
  EXPECT_EQ(t.text, "Plan is urine sample and salbutamol review.\nSalbutamol 100 micrograms, four times daily.\n");
  ASSERT_EQ(t.uncertain.size(), 1u);  // the whole second phrase, one reason
  EXPECT_EQ(t.text.substr(t.uncertain[0].begin, t.uncertain[0].end - t.uncertain[0].begin),
            "Salbutamol 100 micrograms, four times daily.");
  EXPECT_NE(t.uncertain[0].reason.find("whole phrase is uncertain"), std::string::npos) << t.uncertain[0].reason;

  // A low word inside a sure phrase: that word only, its reason.
  const SpeechTranscript t2 = speech_transcript({with_low("heart rate 96 today" + kLong, 2, 0.4f)});
  ASSERT_EQ(t2.uncertain.size(), 1u);
  EXPECT_EQ(t2.text.substr(t2.uncertain[0].begin, t2.uncertain[0].end - t2.uncertain[0].begin), "96");
  EXPECT_EQ(t2.uncertain[0].reason, "low confidence (0.40)");

  // The same from `sotto transcribe --json` output.
  for (const auto& segs : {issue_segments(), std::vector<TranscriptSegment>{with_low("heart rate 96 today" + kLong, 2, 0.4f)},
                           std::vector<TranscriptSegment>{segment("heart rate 96 today", {1, 1, 0.4f, 1})}}) {
    std::string j = "{\"segments\": [";
    for (size_t i = 0; i < segs.size(); i++) {
      j += (i ? ", " : "") + std::string("{\"start\": 0, \"end\": 1, \"text\": ") + json::quote(segs[i].text) + ", " +
           speech_confidence_json(segs[i].words, segs[i].flags) + "}";
    }
    j += "], \"duration\": 1}";
    const SpeechTranscript a = speech_transcript(segs), b = speech_transcript_from_json(json::parse(j), "t.json");
    EXPECT_EQ(a.text, b.text);
    ASSERT_EQ(a.uncertain.size(), b.uncertain.size());
    for (size_t i = 0; i < a.uncertain.size(); i++) {
      EXPECT_EQ(a.uncertain[i].begin, b.uncertain[i].begin);
      EXPECT_EQ(a.uncertain[i].end, b.uncertain[i].end);
      EXPECT_EQ(a.uncertain[i].reason, b.uncertain[i].reason);
    }
  }
}

TEST(SupportSpeech, ValuesRestingOnlyOnUncertainSpeechAreFlagged) {
  const SpeechTranscript t = speech_transcript(issue_segments());
  struct Row {
    const char* value;
    bool flagged;
    bool on_speech;  // flagged for uncertain speech (not for words missing from the transcript)
  };
  const std::vector<Row> rows = {
      {"micrograms four times daily", true, true},  // said only in the recalled phrase
      {"urine sample", false, false},               // said in the sure phrase
      {"salbutamol", false, false},                 // said in both: certain support exists
      {"paracetamol", true, false},                 // not said at all: the check's own flag, no speech reason
  };
  for (const Row& r : rows) {
    json::Value note = json::Value::object();
    note.set("plan", json::Value(std::string(r.value)));
    std::vector<FieldSupport> s = check_support(note, t.text);
    const bool before = field(s, "/plan").flagged;
    mark_uncertain_speech(s, t.text, t.uncertain);
    const FieldSupport& f = field(s, "/plan");
    EXPECT_EQ(f.flagged, r.flagged) << r.value;
    EXPECT_EQ(!f.uncertain_speech.empty(), r.on_speech) << r.value;
    if (r.on_speech) {
      EXPECT_FALSE(before) << r.value;
      EXPECT_TRUE(f.unsupported.empty()) << r.value;
      EXPECT_NE(f.uncertain_speech[0].find("Salbutamol 100 micrograms"), std::string::npos) << f.uncertain_speech[0];
    }
    // Without uncertain speech nothing changes.
    std::vector<FieldSupport> plain = check_support(note, t.text);
    mark_uncertain_speech(plain, t.text, {});
    EXPECT_EQ(plain[0].flagged, before) << r.value;
    EXPECT_TRUE(plain[0].uncertain_speech.empty());
  }
}

TEST(SupportSpeech, NumbersAndMarkdown) {
  // "96" is the only unsure word; the heart rate rests on it, the temperature does not.
  const SpeechTranscript t = speech_transcript({with_low("temperature 38.2 heart rate 96 today" + kLong, 4, 0.3f)});
  const json::Value note = json::parse(R"({"heart_rate": 96, "temperature": 38.2})");
  const json::Value schema = json::parse(R"({"title": "Vitals", "description": "d", "type": "object", "properties": {
      "heart_rate": {"type": "integer"}, "temperature": {"type": "number"}}})");
  std::vector<FieldSupport> s = check_support(note, t.text, &schema);
  ASSERT_FALSE(field(s, "/heart_rate").flagged);
  mark_uncertain_speech(s, t.text, t.uncertain);
  EXPECT_TRUE(field(s, "/heart_rate").flagged);
  EXPECT_FALSE(field(s, "/temperature").flagged);
  NoteTemplate tm;
  tm.title = "Vitals";
  tm.schema = schema;
  const std::string md = note_to_markdown(tm, note, s);
  EXPECT_NE(md.find("- `/heart_rate`: rests on uncertain speech (listen again): \"96\" (low confidence (0.30))"), std::string::npos) << md;
  EXPECT_EQ(md.find("`/temperature`"), std::string::npos) << md;
  const json::Value j = support_to_json(s);
  EXPECT_EQ(j.arr()[0].at("uncertain_speech").arr()[0].str(), "\"96\" (low confidence (0.30))");
  EXPECT_EQ(j.arr()[1].find("uncertain_speech"), nullptr);
}

TEST(SupportSpeech, SpanInputIsChecked) {
  EXPECT_EQ(uncertain_from_json(json::parse(R"j([[0, 3, "low confidence (0.40)"]])j"), 10, "u").size(), 1u);
  EXPECT_THROW(uncertain_from_json(json::parse(R"([[0, 11, "r"]])"), 10, "u"), Error);
  EXPECT_THROW(uncertain_from_json(json::parse(R"([[5, 3, "r"]])"), 10, "u"), Error);
  EXPECT_THROW(uncertain_from_json(json::parse(R"([[0, 3]])"), 10, "u"), Error);
  EXPECT_THROW(uncertain_from_json(json::parse(R"({"a": 1})"), 10, "u"), Error);
  EXPECT_THROW(speech_transcript_from_json(json::parse(R"({"text": "x"})"), "t.json"), Error);
  EXPECT_THROW(speech_transcript_from_json(
                   json::parse(R"({"segments": [{"text": "ab", "words": [{"begin": 0, "end": 9}]}]})"), "t.json"),
               Error);
  try {
    uncertain_from_json(json::parse(R"([[0, 11, "r"]])"), 10, "u");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "u: uncertain span [0, 11) outside the 10-byte transcript");
  }
}
