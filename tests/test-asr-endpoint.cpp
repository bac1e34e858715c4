// test-asr-endpoint.cpp — early end of speech (runtime/transcribe.h EndpointOptions) on espeak-ng speech with the
// bundled speech model, against the same audio transcribed with the VAD's full 400 ms wait (the reference):
//   - a phrase the caller's check accepts (here: the text the reference heard for it, as a command set of what the
//     model hears would) closes after the pause, not after 400 ms, with the reference's samples and tokens;
//   - a phrase with a 300 ms pause in the middle is not cut: its first half is checked and refused, and the phrase
//     comes out whole, as in the reference, early at its end when the check accepts it whole, else after the full
//     wait (its final then reuses the pause check's decode of the same samples: the same tokens);
//   - the decoder's signal alone (eos_min 0) does cut that phrase at its pause: the bundled model ends every phrase
//     with a sentence end and an eos of probability ~1, which is why voice does not turn it on (docs/voice.md);
//   - the same with the decode speculatively earlier in the pause (endpoint.decode_ms): the text is decoded at the
//     shorter pause and the end still decided at pause_ms; a phrase paused between the two is never cut, even by a
//     check that accepts anything;
//   - the same segments for 100 ms chunks, 1-sample chunks and irregular chunks (the check runs at the VAD's frame);
//   - partials never run ahead of the audio fed nor back into a phrase already final;
//   - a pause outside [padding, min_silence) is refused with one line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "audio/resample.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"
#include "espeak.h"

using namespace sotto;

namespace {

constexpr int kSr = 16000;

// The clip without its leading and trailing silence (samples under 1% of the peak).
std::vector<float> trimmed(const std::vector<float>& x) {
  float mx = 0;
  for (float v : x) mx = std::max(mx, std::fabs(v));
  size_t a = 0, b = x.size();
  while (a < b && std::fabs(x[a]) <= 0.01f * mx) a++;
  while (b > a && std::fabs(x[b - 1]) <= 0.01f * mx) b--;
  return {x.begin() + long(a), x.begin() + long(b)};
}

struct Fixture {
  std::unique_ptr<GgufFile> file;
  ThreadPool pool{1};
  std::unique_ptr<Backend> be;
  std::unique_ptr<AsrModel> model;
  std::unique_ptr<Tokenizer> tok;
  Fixture() {
    file = GgufFile::open(std::string(SOTTO_SOURCE_DIR) + "/models/sotto-asr-q8_0.gguf");
    be = make_cpu_backend(pool);
    model = AsrModel::load(*file, *be);
    tok = Tokenizer::from_gguf(*file);
  }
};

std::vector<TranscriptSegment> run(Transcriber& tr, const std::vector<float>& audio, int chunk, uint32_t seed = 0) {
  std::vector<TranscriptSegment> got;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> len(1, kSr);
  for (size_t pos = 0; pos < audio.size();) {
    const size_t n = std::min(audio.size() - pos, size_t(chunk > 0 ? chunk : len(rng)));
    for (auto& s : tr.feed(audio.data() + pos, n)) got.push_back(std::move(s));
    pos += n;
  }
  for (auto& s : tr.finish()) got.push_back(std::move(s));
  return got;
}

class Endpoint : public testing::Test {
 protected:
  void SetUp() override {
    if (!have_espeak()) {
      if (std::getenv("CI")) FAIL() << "espeak-ng not installed (tools/install-deps.sh installs it)";
      GTEST_SKIP() << "espeak-ng not installed";
    }
    // 0.5 s silence, a command, 1 s, a phrase with a 300 ms pause in the middle, 1 s; a little noise for the floor.
    audio.assign(kSr / 2, 0.0f);
    const std::vector<float> a = trimmed(speak("stop line three")), b1 = trimmed(speak("turn on the lights")),
                             b2 = trimmed(speak("in the kitchen"));
    ASSERT_GT(a.size(), size_t(kSr / 2));
    audio.insert(audio.end(), a.begin(), a.end());
    audio.resize(audio.size() + kSr, 0.0f);
    audio.insert(audio.end(), b1.begin(), b1.end());
    pause_at = int64_t(audio.size());
    audio.resize(audio.size() + kSr * 3 / 10, 0.0f);
    audio.insert(audio.end(), b2.begin(), b2.end());
    audio.resize(audio.size() + kSr, 0.0f);
    std::mt19937 g(1);
    std::normal_distribution<float> nd(0.0f, 1e-4f);
    for (float& v : audio) v += nd(g);
    Transcriber ref(*fx.model, *fx.tok);
    reference = run(ref, audio, 1600);
    ASSERT_EQ(reference.size(), 2u) << "the reference keeps the paused phrase whole";
    ASSERT_LT(reference[1].start, pause_at);
    ASSERT_GT(reference[1].end, pause_at + kSr * 3 / 10);
  }
  Fixture fx;
  std::vector<float> audio;
  int64_t pause_at = 0;
  std::vector<TranscriptSegment> reference;
};

TEST_F(Endpoint, CompleteCommandEndsEarlyPausedPhraseIsNotCut) {
  TranscribeOptions o;
  o.endpoint.pause_ms = 200;
  // The caller's signal: "a command", i.e. what the model hears for either whole phrase.
  o.endpoint.complete = [&](const TranscriptSegment& s) {
    return s.text == reference[0].text || s.text == reference[1].text;
  };
  for (int decode_ms : {0, 100})
  for (int chunk : {1600, 1, 0}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk) + ", decode at " + std::to_string(decode_ms) + " ms");
    o.endpoint.decode_ms = decode_ms;
    Transcriber tr(*fx.model, *fx.tok, o);
    std::vector<std::pair<int64_t, bool>> checks;  // end, ended
    std::vector<std::string> check_texts;
    tr.on_pause_check = [&](const TranscriptSegment& s, bool ended) {
      checks.push_back({s.end, ended});
      check_texts.push_back(s.text);
    };
    const auto got = run(tr, audio, chunk, 3);
    ASSERT_EQ(got.size(), reference.size());
    for (size_t i = 0; i < got.size(); i++) {
      EXPECT_EQ(got[i].start, reference[i].start);
      EXPECT_EQ(got[i].end, reference[i].end);
      EXPECT_EQ(got[i].tokens, reference[i].tokens);
      EXPECT_EQ(got[i].text, reference[i].text);
    }
    // The command closed on the pause check: known within 200 ms of audio (+ the chunk it came in) of its speech end.
    EXPECT_EQ(got[0].endpoint, "complete");
    if (chunk == 1) {
      for (const auto& s : got) {
        EXPECT_LE(s.known_at - s.speech_end, int64_t(kSr / 5 + kSr / 100));
        EXPECT_GE(s.known_at - s.speech_end, int64_t(kSr / 5)) << "decided at pause_ms, not at the decode";
        // The final's text was decoded at the speculative pause (its 10 ms frame), else when the phrase closed.
        const int64_t at = (decode_ms ? decode_ms : 200) * kSr / 1000;
        EXPECT_GE(s.decoded_at - s.speech_end, at);
        EXPECT_LE(s.decoded_at - s.speech_end, at + kSr / 100);
      }
    }
    // The paused phrase: its first half was checked (at the pause) and refused; it closed early at its end.
    bool refused_at_pause = false;
    for (size_t k = 0; k < checks.size(); k++) {
      if (checks[k].first > pause_at - kSr / 10 && checks[k].first < pause_at + kSr / 5) {
        refused_at_pause = !checks[k].second;
        EXPECT_NE(check_texts[k], reference[1].text);
      }
    }
    EXPECT_TRUE(refused_at_pause) << "the mid-phrase pause was checked";
    EXPECT_EQ(got[1].endpoint, "complete");
  }
  // A phrase the check refuses waits the VAD's full silence and keeps the reference's tokens.
  o.endpoint.complete = [&](const TranscriptSegment& s) { return s.text == reference[0].text; };
  Transcriber tr(*fx.model, *fx.tok, o);
  const auto got = run(tr, audio, 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].endpoint, "complete");
  EXPECT_EQ(got[1].endpoint, "silence");
  EXPECT_GE(got[1].known_at - got[1].speech_end, int64_t(kSr * 4 / 10));
  EXPECT_EQ(got[1].tokens, reference[1].tokens);
}

// A speculative decode decides nothing: the 300 ms mid-phrase pause is decoded at 100 ms, but the end is decided at
// 390 ms, which that pause never reaches, so even a check that takes any text as complete does not cut the phrase.
TEST_F(Endpoint, SpeculativeDecodeDecidesOnlyAtThePause) {
  TranscribeOptions o;
  o.endpoint.pause_ms = 390;
  o.endpoint.decode_ms = 100;
  int checked = 0;
  o.endpoint.complete = [&](const TranscriptSegment&) { checked++; return true; };
  Transcriber tr(*fx.model, *fx.tok, o);
  const auto got = run(tr, audio, 320);
  ASSERT_EQ(got.size(), reference.size());
  for (size_t i = 0; i < got.size(); i++) {
    EXPECT_EQ(got[i].start, reference[i].start);
    EXPECT_EQ(got[i].end, reference[i].end);
    EXPECT_EQ(got[i].tokens, reference[i].tokens);
    EXPECT_EQ(got[i].endpoint, "complete");
  }
  EXPECT_EQ(checked, 3) << "the command, the paused phrase's first half, the paused phrase whole";
  // Out of order or out of the VAD's range: one line.
  for (auto [pause, decode] : {std::pair{200, 300}, std::pair{200, 20}, std::pair{200, -1}}) {
    o.endpoint.pause_ms = pause;
    o.endpoint.decode_ms = decode;
    try {
      Transcriber bad(*fx.model, *fx.tok, o);
      ADD_FAILURE() << decode << " ms accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("speculative decode"), std::string::npos) << e.what();
    }
  }
}

TEST_F(Endpoint, DecoderSignalAloneCutsAtThePause) {
  TranscribeOptions o;
  o.endpoint.pause_ms = 200;
  o.endpoint.eos_min = 0.0f;  // any eos after a sentence end
  Transcriber tr(*fx.model, *fx.tok, o);
  const auto got = run(tr, audio, 1600);
  ASSERT_EQ(got.size(), 3u) << "the paused phrase is cut in two by the eos signal";
  EXPECT_EQ(got[1].start, reference[1].start);
  EXPECT_LT(got[1].end, pause_at + kSr / 5);
  EXPECT_EQ(got[1].endpoint, "eos");
  EXPECT_GT(got[1].eos_prob, 0.5f);
}

TEST_F(Endpoint, PartialsNeverRunAheadOfTheAudio) {
  TranscribeOptions o;
  o.endpoint.pause_ms = 200;
  o.endpoint.complete = [&](const TranscriptSegment& s) { return s.text == reference[0].text; };
  Transcriber tr(*fx.model, *fx.tok, o);
  std::vector<TranscriptSegment> got;
  int partials = 0;
  for (size_t pos = 0; pos < audio.size(); pos += 1600) {
    for (auto& s : tr.feed(audio.data() + pos, std::min<size_t>(1600, audio.size() - pos))) got.push_back(std::move(s));
    TranscriptSegment p;
    if (tr.partial(p)) {
      partials++;
      EXPECT_LE(p.end, tr.n_fed());
      if (!got.empty()) EXPECT_GE(p.start, got.back().end);
    }
  }
  for (auto& s : tr.finish()) got.push_back(std::move(s));
  EXPECT_GE(partials, 4);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].endpoint, "complete");
  EXPECT_EQ(got[1].tokens, reference[1].tokens);
}

TEST_F(Endpoint, PauseOutsideTheVadsRangeIsRefused) {
  for (int ms : {20, 400, 1000}) {
    TranscribeOptions o;
    o.endpoint.pause_ms = ms;
    try {
      Transcriber tr(*fx.model, *fx.tok, o);
      ADD_FAILURE() << ms << " ms accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("early-end pause"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

}  // namespace
