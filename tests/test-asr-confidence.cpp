// test-asr-confidence.cpp — speech confidence and the hallucination guards (runtime/speech-confidence.h):
//  - word grouping: tables of pieces -> words (leading-space convention, a piece across a space, specials, stray
//    byte-fallback bytes, byte offsets into the text) and the word confidence (the minimum of its tokens);
//  - token probabilities against an independent computation: every token the transcriber emits for the bundled
//    model on the sample dictation (its deferred path: softmax on the backend, gathered at the device argmax) equals
//    the softmax at that token of the host logits of AsrModel::decode, recomputed here in double precision, and the
//    token is their argmax; the Whisper fixture (byte-level BPE, a 4-token prompt) likewise;
//  - the guards: tables of word sequences that must and must not be flagged (repetition, too many words for the
//    audio, low word and phrase confidence), and the JSON form both front ends print.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "audio/resample.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "backend/backend.h"
#include "models/asr-model.h"
#include "runtime/speech-confidence.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"

using namespace sotto;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

std::vector<TranscriptWord> words_of(const std::vector<std::string>& texts, const std::vector<float>& conf = {}) {
  std::vector<TranscriptWord> w;
  std::string text;
  for (size_t i = 0; i < texts.size(); i++) {
    TranscriptWord x;
    x.text = texts[i];
    x.begin = text.size() + (i ? 1 : 0);
    text += (i ? " " : "") + texts[i];
    x.end = text.size();
    x.confidence = conf.empty() ? 1.0f : conf[i];
    w.push_back(x);
  }
  return w;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> o;
  size_t a = 0;
  while (a < s.size()) {
    size_t b = s.find(' ', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) o.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return o;
}

// The flags of one kind as [first, end) pairs.
std::vector<std::pair<int, int>> of_kind(const std::vector<SpeechFlag>& f, SpeechFlag::Kind k) {
  std::vector<std::pair<int, int>> o;
  for (const SpeechFlag& x : f) {
    if (x.kind == k) o.push_back({x.first_word, x.end_word});
  }
  return o;
}

}  // namespace

TEST(SpeechWords, GroupedByLeadingSpaceWithMinimumConfidence) {
  // SentencePiece pieces decode "▁" to a space: " Take" starts a word, "let" continues one.
  const std::vector<std::string> pieces = {" Take", " one", " tab", "let", ".", " Then", " rest"};
  const std::vector<float> probs = {0.9f, 0.99f, 0.6f, 0.8f, 0.95f, 0.5f, 1.0f};
  const std::string text = "Take one tablet. Then rest";
  const auto w = group_pieces(pieces, probs, text);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w[0].text, "Take");
  EXPECT_EQ(w[2].text, "tablet.");
  EXPECT_FLOAT_EQ(w[2].confidence, 0.6f);  // min(0.6, 0.8, 0.95)
  EXPECT_EQ(w[2].first_token, 2);
  EXPECT_EQ(w[2].n_tokens, 3);
  EXPECT_EQ(w[3].text, "Then");
  EXPECT_FLOAT_EQ(w[3].confidence, 0.5f);
  EXPECT_EQ(w[4].begin, 22u);
  for (const auto& x : w) EXPECT_EQ(text.substr(x.begin, x.end - x.begin), x.text);
}

TEST(SpeechWords, PiecesAcrossSpacesSpecialsAndStrayBytes) {
  // A piece holding a space belongs to the words on both sides; an empty piece (a special) and a lone space to none.
  {
    const auto w = group_pieces({"no", " f", "ever a", "nd", " ", ""}, {1.0f, 0.7f, 0.4f, 0.9f, 0.1f, 0.05f},
                                "no fever and");
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(w[1].text, "fever");
    EXPECT_FLOAT_EQ(w[1].confidence, 0.4f);
    EXPECT_EQ(w[2].text, "and");
    EXPECT_FLOAT_EQ(w[2].confidence, 0.4f);  // min(0.4, 0.9): the lone space and the special do not count
    EXPECT_EQ(w[2].first_token, 2);
    EXPECT_EQ(w[2].n_tokens, 2);
  }
  {
    // A stray byte-fallback byte: U+FFFD in the word, as in the segment's text.
    const std::string raw = std::string(" caf") + "\xC3";
    const std::string text = speech_text_utf8(raw).substr(1);
    const auto w = group_pieces({" caf", "\xC3"}, {1.0f, 0.3f}, text);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].text, "caf\xEF\xBF\xBD");
    EXPECT_FLOAT_EQ(w[0].confidence, 0.3f);
  }
  // Offsets follow repeated words in order.
  const auto w = group_pieces({" the", " the", " the"}, {1, 1, 1}, "the the the");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].begin, 8u);
  EXPECT_THROW(group_pieces({" a"}, {}, "a"), Error);
  EXPECT_THROW(group_pieces({" a"}, {1.0f}, "b"), Error);
}

TEST(SpeechGuards, RepetitionTable) {
  struct Row {
    const char* words;
    std::vector<std::pair<int, int>> flagged;
  };
  const std::vector<Row> rows = {
      {"take one tablet take one tablet take one tablet", {{3, 9}}},
      {"Fees were came to growth. growth. growth.", {{5, 7}}},
      {"the the the the the", {{1, 5}}},
      {"see you in two weeks, two weeks, two weeks, two weeks and then", {{5, 11}}},
      {"no, no", {}},                                     // said twice: people do
      {"History of, of palpitations", {}},                // the training data's disfluency
      {"a b a b", {}},                                    // two copies
      {"one two three four five six", {}},
      {"heart rate 96 and 96 again 96", {}},              // not in a row
      {"x y z x y z", {}},
  };
  for (const Row& r : rows) {
    const auto f = speech_flags(words_of(split(r.words)), 60.0);
    EXPECT_EQ(of_kind(f, SpeechFlag::repetition), r.flagged) << r.words;
  }
  const auto f = speech_flags(words_of(split("take one tablet take one tablet take one tablet")), 60.0);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].reason, "repeated 3 times: \"take one tablet\"");
}

TEST(SpeechGuards, TooManyWordsForTheAudio) {
  struct Row {
    int n_words;
    double seconds;
    std::vector<std::pair<int, int>> flagged;
  };
  // At most floor(6 * seconds) + 1 words.
  const std::vector<Row> rows = {
      {7, 1.0, {}}, {8, 1.0, {{7, 8}}}, {20, 1.0, {{7, 20}}}, {1, 0.0, {}}, {3, 0.1, {{1, 3}}},
      {60, 10.0, {}}, {62, 10.0, {{61, 62}}}, {30, 2.5, {{16, 30}}},
  };
  for (const Row& r : rows) {
    std::vector<std::string> w;
    for (int i = 0; i < r.n_words; i++) w.push_back("w" + std::to_string(i));
    EXPECT_EQ(of_kind(speech_flags(words_of(w), r.seconds), SpeechFlag::too_many_words), r.flagged)
        << r.n_words << " words in " << r.seconds << " s";
  }
}

TEST(SpeechGuards, LowWordAndPhraseConfidence) {
  const auto w = words_of(split("salbutamol 100 micrograms four times daily"), {1.0f, 0.3f, 0.85f, 1.0f, 1.0f, 0.95f});
  const auto f = speech_flags(w, 3.0);
  EXPECT_EQ(of_kind(f, SpeechFlag::low_confidence), (std::vector<std::pair<int, int>>{{1, 3}}));
  ASSERT_EQ(of_kind(f, SpeechFlag::low_phrase_confidence), (std::vector<std::pair<int, int>>{{0, 6}}));  // mean 0.85
  const std::vector<bool> u = uncertain_words(w, f);
  EXPECT_EQ(std::count(u.begin(), u.end(), true), 6);
  // A sure phrase with one unsure word: only that word.
  const auto w2 = words_of(split("a b c d e f g h i j"), {1, 1, 1, 1, 0.8f, 1, 1, 1, 1, 1});
  const auto f2 = speech_flags(w2, 3.0);
  EXPECT_TRUE(of_kind(f2, SpeechFlag::low_phrase_confidence).empty());  // mean 0.98
  const std::vector<bool> u2 = uncertain_words(w2, f2);
  EXPECT_EQ(std::count(u2.begin(), u2.end(), true), 1);
  EXPECT_TRUE(u2[4]);
  // Thresholds are strict: exactly at them is not flagged.
  const auto f3 = speech_flags(words_of({"x"}, {kLowWordConfidence}), 1.0);
  EXPECT_TRUE(of_kind(f3, SpeechFlag::low_confidence).empty());
  EXPECT_TRUE(speech_flags({}, 0.0).empty());
}

TEST(SpeechGuards, JsonForm) {
  const auto w = words_of(split("take one tablet take one tablet take one tablet"));
  const auto f = speech_flags(w, 60.0);
  const json::Value v = json::parse("{" + speech_confidence_json(w, f) + "}");
  ASSERT_EQ(v.at("words").arr().size(), 9u);
  EXPECT_EQ(v.at("words").arr()[2].at("text").str(), "tablet");
  EXPECT_EQ(v.at("words").arr()[2].at("uncertain").boolean(), false);
  EXPECT_EQ(v.at("words").arr()[3].at("uncertain").boolean(), true);
  EXPECT_EQ(v.at("words").arr()[3].at("begin").integer(), 16);
  ASSERT_EQ(v.at("flags").arr().size(), 1u);
  EXPECT_EQ(v.at("flags").arr()[0].at("kind").str(), "repetition");
  EXPECT_EQ(v.at("flags").arr()[0].at("words").arr()[0].integer(), 3);
}

namespace {

// Softmax of logits at `tok`, in double, and whether tok is their argmax (the first on ties).
double ref_prob(const std::vector<float>& l, int32_t tok, bool& is_argmax) {
  double mx = l[0];
  size_t am = 0;
  for (size_t i = 1; i < l.size(); i++) {
    if (l[i] > mx) mx = l[i], am = i;
  }
  double sum = 0;
  for (float x : l) sum += std::exp(double(x) - mx);
  is_argmax = am == size_t(tok);
  return std::exp(double(l[size_t(tok)]) - mx) / sum;
}

// Every token of every phrase the transcriber emits: its probability against ref_prob of AsrModel::decode's host
// logits for the same phrase and prefix. Returns the number of tokens compared.
int compare_with_host_logits(const std::string& model_path, const std::vector<float>& audio) {
  auto file = GgufFile::open(model_path);
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  Transcriber tr(*model, *tok);
  std::vector<std::vector<float>> phrases;
  tr.on_phrase_audio = [&](int64_t, const std::vector<float>& s) { phrases.push_back(s); };
  const auto segs = tr.transcribe(audio.data(), audio.size());
  EXPECT_EQ(segs.size(), phrases.size());
  int n = 0;
  const AsrConfig& c = model->config();
  for (size_t p = 0; p < segs.size() && p < phrases.size(); p++) {
    const TranscriptSegment& s = segs[p];
    EXPECT_EQ(s.probs.size(), s.tokens.size());
    if (s.probs.size() != s.tokens.size()) continue;
    // The prompt as PhraseDecoder builds it.
    std::vector<int32_t> prompt = {c.decoder_start};
    if (const int32_t sot = tok->token_id("<|startoftranscript|>"); sot >= 0 && c.n_mels > 0) {
      prompt = {sot};
      for (const char* t : {"<|en|>", "<|transcribe|>", "<|notimestamps|>"}) {
        if (const int32_t id = tok->token_id(t); id >= 0) prompt.push_back(id);
      }
    }
    // A fresh decode of the same phrase through the host path: a Transcriber on exactly these samples recomputes
    // the encoder; the decoder then runs token by token with host logits.
    AsrState st = model->new_state(int(prompt.size() + s.tokens.size()) + 1);
    std::vector<float> x = phrases[p];
    if (c.n_mels > 0) {
      // Whisper: recognize() is the reference for the encoder input; compare through a second decoder run.
      PhraseDecoder d(*model, *tok, x.data(), int64_t(x.size()));
      while (d.step()) {
      }
      EXPECT_EQ(d.segment().tokens, s.tokens);
      EXPECT_EQ(d.segment().probs, s.probs);
      continue;
    }
    if (int64_t(x.size()) < model->min_samples()) x.resize(size_t(model->min_samples()), 0.0f);
    model->encode(st, x.data(), int64_t(x.size()));
    std::vector<float> logits = model->decode(st, prompt.data(), int(prompt.size()));
    for (size_t i = 0; i < s.tokens.size(); i++) {
      bool am = false;
      const double ref = ref_prob(logits, s.tokens[i], am);
      EXPECT_TRUE(am) << "phrase " << p << " token " << i << " is not the argmax of the host logits";
      EXPECT_NEAR(s.probs[i], ref, 1e-5 + 1e-5 * ref) << "phrase " << p << " token " << i;
      n++;
      logits = model->decode(st, &s.tokens[i], 1);
    }
    // The words' confidence is the minimum of their tokens' probabilities.
    for (const TranscriptWord& w : s.words) {
      float lo = 1.0f;
      for (int k = w.first_token; k < w.first_token + w.n_tokens; k++) lo = std::min(lo, s.probs[size_t(k)]);
      EXPECT_EQ(w.confidence, lo) << w.text;
      EXPECT_EQ(s.text.substr(w.begin, w.end - w.begin), w.text);
    }
  }
  return n;
}

}  // namespace

TEST(SpeechConfidence, TokenProbabilitiesMatchHostSoftmaxOnTheBundledModel) {
  audio::Wav w = audio::read_wav(kRoot + "/samples/visit-soap.wav", true);
  std::vector<float> x = w.sample_rate == 16000 ? w.samples : audio::resample(w.samples.data(), w.samples.size(), w.sample_rate, 16000);
  const int n = compare_with_host_logits(kRoot + "/models/sotto-asr-q8_0.gguf", x);
  EXPECT_GT(n, 60);  // the sample's ~70 words
}

TEST(SpeechConfidence, RandomWeightFixturesMatchToo) {
  // The f32 Moonshine fixture (exact weights, random: its tokens are not words) and the Whisper fixture (byte-level
  // BPE, a 4-token prompt, the log-mel path: checked as a second decoder run of the same phrase).
  std::vector<float> x(16000 * 2);
  for (size_t i = 0; i < x.size(); i++) x[i] = 0.3f * std::sin(float(i) * 0.05f) * (i % 16000 < 12000 ? 1.0f : 0.0f);
  EXPECT_GT(compare_with_host_logits(kRoot + "/tests/fixtures/asr/moonshine-f32.gguf", x), 0);
  compare_with_host_logits(kRoot + "/tests/fixtures/asr/whisper-f32.gguf", x);
  auto file = GgufFile::open(kRoot + "/tests/fixtures/asr/whisper-f32.gguf");
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  Transcriber tr(*model, *tok);
  const int64_t window = int64_t(model->config().n_mel_frames) * 160;
  const TranscriptSegment s = tr.recognize(x.data(), std::min<int64_t>(window, int64_t(x.size())));
  ASSERT_FALSE(s.probs.empty());
  ASSERT_EQ(s.probs.size(), s.tokens.size());
  for (float p : s.probs) {
    EXPECT_GT(p, 0.0f);
    EXPECT_LE(p, 1.0f);
  }
}
