// test-speaker.cpp — speaker labels (runtime/speakers.h, models/speaker.h).
//  - The speaker-embedding model against the float64 PyTorch reference (tools/ref/speaker_ref.py) on the tiny
//    random-weight fixtures of tools/ref/make_speaker_fixture.py (tests/fixtures/speaker: f32 with 3 blocks, f16 with
//    2 and stride 2 first): from the reference's log-mel, max |diff| <= 2e-5 per component of the unit-length
//    embedding (f32 arithmetic; measured values printed); from the audio through the engine's log-mel, <= 1e-3.
//  - Clustering on constructed embeddings: two or three noisy directions, a count given or found by the threshold,
//    short turns joining, labels in order of first appearance, determinism.
//  - Segment labels: the most-overlapping turn's speaker, and a segment spanning a change re-recognized in parts.
//  - One-line errors: a GGUF that is not a speaker model, too little audio.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <random>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/speaker.h"
#include "runtime/speakers.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/speaker/";

std::vector<float> floats(const GgufTensorInfo& t) {
  const float* p = static_cast<const float*>(t.view.data);
  return std::vector<float>(p, p + t.view.nelements());
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); i++) d = std::max(d, double(std::fabs(a[i] - b[i])));
  return d;
}

class SpeakerParity : public ::testing::TestWithParam<std::string> {};

TEST_P(SpeakerParity, EmbeddingMatchesPyTorch) {
  auto f = GgufFile::open(kDir + GetParam() + ".gguf");
  auto ref = GgufFile::open(kDir + GetParam() + ".ref.gguf");
  const std::vector<float> audio = floats(ref->tensor("audio")), mel = floats(ref->tensor("mel")),
                           emb = floats(ref->tensor("emb"));
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    SpeakerModel m(*f, *be);
    ASSERT_EQ(size_t(m.config().n_embd), emb.size());
    const int n_frames = int(mel.size() / size_t(m.config().n_mels));
    const std::vector<float> got = m.embed_mel(mel.data(), n_frames);
    ASSERT_EQ(got.size(), emb.size());
    double norm = 0;
    for (float v : got) norm += double(v) * v;
    EXPECT_NEAR(norm, 1.0, 1e-5);
    const double d_mel = max_diff(got, emb);
    EXPECT_LE(d_mel, 2e-5) << GetParam();
    const std::vector<float> from_audio = embed_speech(m, audio.data(), int64_t(audio.size()));
    const double d_audio = max_diff(from_audio, emb);
    EXPECT_LE(d_audio, 1e-3) << GetParam();
    std::printf("%s, %d thread(s): max |diff| from the log-mel %.2e, from the audio %.2e\n", GetParam().c_str(), threads,
                d_mel, d_audio);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SpeakerParity, ::testing::Values("speaker-f32", "speaker-f16"));

TEST(Speaker, Errors) {
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto asr = GgufFile::open(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/asr/moonshine-f32.gguf");
  EXPECT_FALSE(SpeakerModel::is_speaker_model(*asr));
  try {
    SpeakerModel m(*asr, *be);
    FAIL() << "loaded a speech model as a speaker model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a speaker model"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  auto f = GgufFile::open(kDir + "speaker-f32.gguf");
  SpeakerModel m(*f, *be);
  std::vector<float> x(300, 0.1f);
  EXPECT_THROW(embed_speech(m, x.data(), int64_t(x.size())), Error);
  SpeakerOptions bad;
  bad.n_speakers = -1;
  std::vector<float> y(32000, 0.0f);
  EXPECT_THROW(diarize(m, y.data(), int64_t(y.size()), bad), Error);
  // Silence: no turns, no error.
  EXPECT_TRUE(diarize(m, y.data(), int64_t(y.size()), SpeakerOptions{}).empty());
}

// Unit vectors near one of `centres` (noise sd `noise` per component before normalising).
std::vector<std::vector<float>> noisy(const std::vector<int>& who, const std::vector<std::vector<float>>& centres,
                                      float noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, noise);
  std::vector<std::vector<float>> out;
  for (int w : who) {
    std::vector<float> v = centres[size_t(w)];
    double n = 0;
    for (float& x : v) {
      x += nd(rng);
      n += double(x) * x;
    }
    for (float& x : v) x = float(x / std::sqrt(n));
    out.push_back(v);
  }
  return out;
}

std::vector<std::vector<float>> centres(int k, int dim) {
  std::vector<std::vector<float>> c(size_t(k), std::vector<float>(size_t(dim), 0.0f));
  for (int i = 0; i < k; i++) c[size_t(i)][size_t(i)] = 1.0f;  // orthogonal: cosine 0 between speakers
  return c;
}

TEST(SpeakerCluster, TwoSpeakersByCountAndByThreshold) {
  // Speaker "B" (index 1) talks first, so it is label 0; a short turn (0.4 s) of speaker A must still join A.
  const std::vector<int> who = {1, 0, 1, 0, 0, 1, 0, 1, 1, 0};
  const std::vector<double> sec = {2.0, 3.1, 1.5, 0.4, 2.2, 4.0, 1.8, 2.5, 0.3, 1.2};
  const auto emb = noisy(who, centres(2, 16), 0.12f, 7);
  for (int n : {0, 2}) {
    SpeakerOptions o;
    o.n_speakers = n;
    const std::vector<int> lab = cluster_speakers(emb, sec, o);
    ASSERT_EQ(lab.size(), who.size());
    for (size_t i = 0; i < who.size(); i++) EXPECT_EQ(lab[i], who[i] == 1 ? 0 : 1) << "turn " << i << ", n " << n;
    EXPECT_EQ(lab, cluster_speakers(emb, sec, o));  // deterministic
  }
  SpeakerOptions one;
  one.n_speakers = 1;
  for (int l : cluster_speakers(emb, sec, one)) EXPECT_EQ(l, 0);
  EXPECT_TRUE(cluster_speakers({}, {}, SpeakerOptions{}).empty());
}

TEST(SpeakerCluster, ThreeSpeakersFoundAndForcedToTwo) {
  const std::vector<int> who = {0, 1, 2, 0, 1, 2, 2, 0};
  const std::vector<double> sec(who.size(), 2.0);
  const auto emb = noisy(who, centres(3, 12), 0.1f, 3);
  const std::vector<int> lab = cluster_speakers(emb, sec, SpeakerOptions{});
  EXPECT_EQ(lab, who);  // first appearance order equals the construction's
  SpeakerOptions two;
  two.n_speakers = 2;
  const std::vector<int> l2 = cluster_speakers(emb, sec, two);
  int distinct = 0;
  for (int v = 0; v < 3; v++) distinct += std::count(l2.begin(), l2.end(), v) > 0;
  EXPECT_EQ(distinct, 2);
  // Turns of one constructed speaker stay together.
  for (size_t i = 0; i < who.size(); i++) {
    for (size_t j = 0; j < who.size(); j++) {
      if (who[i] == who[j]) {
        EXPECT_EQ(l2[i], l2[j]);
      }
    }
  }
}

TEST(SpeakerLabels, SegmentsTakeTheirTurnsSpeakerOrSplit) {
  auto turn = [](double a, double b, int s) {
    SpeakerTurn t;
    t.start = int64_t(a * 16000);
    t.end = int64_t(b * 16000);
    t.speaker = s;
    return t;
  };
  const std::vector<SpeakerTurn> turns = {turn(0.5, 3.0, 0), turn(3.2, 6.0, 1), turn(6.1, 6.3, 0), turn(7.0, 9.0, 0)};
  EXPECT_EQ(speaker_of(turns, 16000, 32000), 0);
  EXPECT_EQ(speaker_of(turns, 4 * 16000, 5 * 16000), 1);
  EXPECT_EQ(speaker_of(turns, int64_t(6.6 * 16000), int64_t(6.7 * 16000)), 0);  // no overlap: the nearest turn
  EXPECT_EQ(speaker_of({}, 0, 100), -1);
  auto seg = [](double a, double b, const char* text) {
    TranscriptSegment s;
    s.start = int64_t(a * 16000);
    s.end = int64_t(b * 16000);
    s.text = text;
    return s;
  };
  // Segment 1 spans speakers 0 and 1 (both long): split half-way through the gap [3.0, 3.2); segment 2 holds
  // speaker 1's tail of 0.1 s only and mostly speaker 0: not split.
  const std::vector<TranscriptSegment> segs = {seg(0.4, 6.05, "joined"), seg(5.95, 9.1, "one")};
  std::vector<std::pair<int64_t, int64_t>> calls;
  std::vector<int> who;
  const auto out = label_segments(segs, turns, [&](int64_t a, int64_t b) {
    calls.push_back({a, b});
    TranscriptSegment s;
    s.text = "part " + std::to_string(calls.size());
    return s;
  }, who);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0], std::make_pair(int64_t(0.4 * 16000), int64_t(3.1 * 16000)));
  EXPECT_EQ(calls[1], std::make_pair(int64_t(3.1 * 16000), int64_t(6.05 * 16000)));
  EXPECT_EQ(out[0].text, "part 1");
  EXPECT_EQ(out[0].start, int64_t(0.4 * 16000));
  EXPECT_EQ(out[1].end, int64_t(6.05 * 16000));
  EXPECT_EQ(out[2].text, "one");
  EXPECT_EQ(who, (std::vector<int>{0, 1, 0}));
}

}  // namespace
