// test-asr-parity.cpp — the Moonshine and Whisper models against float64 PyTorch references (tools/ref/moonshine_ref.py,
// tools/ref/whisper_ref.py; Whisper fixtures: d 48, 2 + 2 layers, 4/3 heads, 80 mels, 80 frames, fed the log-mel) on
// the shrunk random-weight fixtures in tests/fixtures/asr (made by tools/ref/make_asr_fixtures.py: f32 tied, and f16
// untied with different encoder and decoder head counts), and moonshine-hf: a Hugging Face-layout checkpoint (safetensors
// with BF16 tensors, config.json, tokenizer.json) converted by tools/ref/convert_asr.py, whose reference was computed
// from the checkpoint itself (tools/ref/make_asr_hf_fixture.py), which tests the converter. The reference ran on exactly
// the weights the engine sees, so the only differences are the engine's f32 arithmetic.
//
// Tolerances, as fractions of the standard deviation (sd) of the reference tensor:
//   encoder output: max |diff| <= 1e-4 sd     decoder logits: max |diff| <= 1e-4 sd
// (measured errors are printed; they are ~1e-6..1e-5 sd). The decoder is run as the streaming decoder runs it: half
// the tokens in one pass, then one token at a time against the cache, on 1 and 2 threads.
// Also: one-line errors for too-short audio, tokens out of range, decoding before encoding, cache overflow.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "parity-fixtures.h"

using namespace sotto;

namespace {

const std::string kFixtures = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/asr/";
// SOTTO_ASR_PARITY_DIR points the parity test at other fixtures, e.g. the real-size ones of tools/ref/make_asr_real.py.
const char* kEnvDir = std::getenv("SOTTO_ASR_PARITY_DIR");
const std::string kDir = kEnvDir ? std::string(kEnvDir) + "/" : kFixtures;

std::vector<std::string> fixtures() { return parity_fixtures(kDir); }

float sd_of(const float* p, int64_t n) {
  double m = 0, v = 0;
  for (int64_t i = 0; i < n; i++) m += p[i];
  m /= double(n);
  for (int64_t i = 0; i < n; i++) v += (p[i] - m) * (p[i] - m);
  return float(std::sqrt(v / double(n)));
}

float max_diff(const float* a, const float* b, int64_t n) {
  float d = 0;
  for (int64_t i = 0; i < n; i++) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

class AsrParity : public ::testing::TestWithParam<std::string> {};

TEST_P(AsrParity, EncoderAndLogitsMatchPyTorch) {
  const std::string name = GetParam();
  auto f = GgufFile::open(kDir + name + ".gguf");
  auto ref = GgufFile::open(kDir + name + ".ref.gguf");
  const auto& audio_t = ref->tensor("audio");
  const auto& enc_t = ref->tensor("enc");
  const auto& tok_t = ref->tensor("tokens");
  const auto& lg_t = ref->tensor("logits");
  const int64_t n_samples = audio_t.ne[0], E = enc_t.ne[0], T = enc_t.ne[1];
  const int n_tok = int(tok_t.ne[0]);
  const int64_t V = lg_t.ne[0];
  const float* want_enc = enc_t.view.as<const float>();
  const float* want_lg = lg_t.view.as<const float>();
  const int32_t* toks = tok_t.view.as<const int32_t>();
  const float enc_sd = sd_of(want_enc, E * T), lg_sd = sd_of(want_lg, V * n_tok);

  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    auto be = make_cpu_backend(pool);
    auto model = AsrModel::load(*f, *be);
    ASSERT_EQ(model->config().n_embd, E);
    ASSERT_EQ(model->config().n_vocab, V);
    if (model->config().n_mels == 0) {
      ASSERT_EQ(model->n_frames(n_samples), T);
    }
    AsrState st = model->new_state(n_tok + 2);
    const bool mel = model->config().n_mels > 0;  // Whisper: the "audio" tensor holds the log-mel [n_frames][n_mels]
    auto encode = [&] {
      if (mel) {
        model->encode_mel(st, audio_t.view.as<const float>(), int(n_samples / model->config().n_mels));
      } else {
        model->encode(st, audio_t.view.as<const float>(), n_samples);
      }
    };
    encode();
    ASSERT_EQ(st.n_frames, T);
    std::vector<float> enc(size_t(E * T));
    be->read(st.enc, enc.data(), enc.size() * sizeof(float));
    const float enc_err = max_diff(enc.data(), want_enc, E * T);
    EXPECT_LE(enc_err, 1e-4f * enc_sd) << name << " threads " << threads;

    const int half = n_tok / 2;
    std::vector<float> got = model->decode(st, toks, half, true);
    for (int t = half; t < n_tok; t++) {
      std::vector<float> one = model->decode(st, toks + t, 1, false);
      got.insert(got.end(), one.begin(), one.end());
    }
    ASSERT_EQ(int64_t(got.size()), V * n_tok);
    const float lg_err = max_diff(got.data(), want_lg, V * n_tok);
    EXPECT_LE(lg_err, 1e-4f * lg_sd) << name << " threads " << threads;
    if (threads == 1) {
      std::printf("%-22s encoder max|diff|/sd = %.2e, logits max|diff|/sd = %.2e (tolerance 1e-4)\n", name.c_str(),
                  enc_err / enc_sd, lg_err / lg_sd);
    }
    // The same logits again after re-encoding: encode() resets the decoder.
    encode();
    std::vector<float> again = model->decode(st, toks, n_tok, true);
    EXPECT_LE(max_diff(again.data(), want_lg, V * n_tok), 1e-4f * lg_sd);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AsrParity, ::testing::ValuesIn(fixtures()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(AsrFixtures, Present) { EXPECT_GE(fixtures().size(), kEnvDir ? 1u : 6u); }

TEST(Moonshine, ErrorsAreOneLine) {
  auto f = GgufFile::open(kFixtures + "moonshine-f32.gguf");
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*f, *be);
  AsrState st = model->new_state(4);
  const int32_t tok = 1;
  auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { model->decode(st, &tok, 1); }).find("no audio encoded"), std::string::npos);
  std::vector<float> pcm(size_t(model->min_samples()), 0.01f);
  EXPECT_NE(message([&] { model->encode(st, pcm.data(), int64_t(pcm.size()) - 1); }).find("need at least"),
            std::string::npos);
  model->encode(st, pcm.data(), int64_t(pcm.size()));
  EXPECT_EQ(st.n_frames, 1);
  const int32_t bad = 100000;
  EXPECT_NE(message([&] { model->decode(st, &bad, 1); }).find("out of range"), std::string::npos);
  const int32_t five[5] = {1, 3, 4, 5, 6};
  EXPECT_NE(message([&] { model->decode(st, five, 5); }).find("exceed the context"), std::string::npos);
  EXPECT_NE(message([&] { model->new_state(0); }).find("out of range"), std::string::npos);
  // A decoder-only model is not a speech model.
  auto llm = GgufFile::open(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/llama32-f32.gguf");
  EXPECT_NE(message([&] { AsrModel::load(*llm, *be); }).find("not a speech model"), std::string::npos);
}

}  // namespace
