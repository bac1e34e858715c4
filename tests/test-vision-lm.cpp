// test-vision-lm.cpp — the whole SmolVLM path (images -> processor -> vision tower -> <image> rows spliced into the
// language model's input) against the PyTorch reference (tools/ref/smolvlm_ref.py) through the fixtures of
// tools/ref/make_vlm_fixtures.py: a tiny random-weight SmolLM2-shaped LM (hidden 48, SmolVLM's control tokens) with
// the tiny vision tower (tests/fixtures/vision/tiny-mmproj-f32.gguf), two PNG images and a question.
// The prompt tokens must be equal; the last position's logits within kTol x the reference's standard deviation (max
// |diff|; the reference ran in float64 on the stored f32 weights); greedy tokens equal, with the whole prompt in one
// pass and through generate() with small prefill chunks that cut the <image> runs. The f16 and q8_0 towers of the same
// weights: logits within 1e-3 / 2e-2 sd of the f32 reference, the same greedy tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backend/backend.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/model.h"
#include "models/siglip.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "runtime/vision-prompt.h"
#include "text/tokenizer.h"

using namespace sotto;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";
const char kQuestion[] = "What is in these pictures?";  // make_vlm_fixtures.py QUESTION
constexpr double kTol = 1e-5;                          // x sd of the reference logits

struct Fixture {
  Fixture() = default;
  explicit Fixture(const std::string& mmproj) : mm_file(GgufFile::open(kDir + mmproj)) {}
  std::unique_ptr<GgufFile> lm_file = GgufFile::open(kDir + "tiny-vlm-f32.gguf");
  std::unique_ptr<GgufFile> mm_file = GgufFile::open(kDir + "tiny-mmproj-f32.gguf");
  std::unique_ptr<GgufFile> ref = GgufFile::open(kDir + "tiny-vlm.ref.gguf");
  ThreadPool pool{2};
  std::unique_ptr<Backend> be = make_cpu_backend(pool);
  std::unique_ptr<Model> lm = Model::load(*lm_file, *be);
  std::unique_ptr<Tokenizer> tok = Tokenizer::from_gguf(*lm_file);
  std::unique_ptr<VisionModel> vm = VisionModel::load(*mm_file, *be);

  ImageInput image(const std::string& name) {
    image::ProcessorConfig pc;
    pc.tile = vm->config().image_size;
    pc.longest_edge = 4 * pc.tile;
    pc.image_seq_len = vm->config().n_tokens();
    const image::Processed p = image::process(image::load_image(kDir + name), pc);
    ImageInput in;
    in.layout = image::image_prompt(p.rows, p.cols, pc.image_seq_len);
    for (const auto& t : p.tiles) {
      const std::vector<float> px = image::pixel_values(t, pc);
      const std::vector<float> e = vm->embed(px.data());
      in.rows.insert(in.rows.end(), e.begin(), e.end());
    }
    return in;
  }
  std::vector<ImageInput> images() { return {image("processor-small.png"), image("processor-tall.png")}; }
  std::vector<int32_t> ints(const char* name) const {
    const auto& t = ref->tensor(name);
    const int32_t* p = t.view.as<const int32_t>();
    return {p, p + t.ne[0]};
  }
};

TEST(VisionLm, PromptTokensEqualTheReference) {
  Fixture f;
  const VisionPrompt p = make_vision_prompt(*f.tok, kQuestion, f.images(), f.lm->config().n_embd);
  EXPECT_EQ(p.tokens, f.ints("tokens"));
  EXPECT_EQ(p.embd.size(), size_t(88 * 48));  // (13 + 9) tiles x 4 <image> tokens
  // Placeholders in the text put the images at the same places as "images before the text".
  const VisionPrompt q = make_vision_prompt(*f.tok, std::string("<image><image>") + kQuestion, f.images(), 48);
  EXPECT_EQ(q.tokens, p.tokens);
  const std::vector<EmbdSpan> sp = p.spans();
  ASSERT_EQ(sp.size(), size_t(22));  // one run of 4 per tile
  EXPECT_EQ(sp[0].rows, p.embd.data());
  EXPECT_EQ(sp[21].rows, p.embd.data() + 84 * 48);
}

TEST(VisionLm, LogitsAndGreedyTokensMatchTheReference) {
  Fixture f;
  const VisionPrompt p = make_vision_prompt(*f.tok, kQuestion, f.images(), f.lm->config().n_embd);
  const std::vector<EmbdSpan> sp = p.spans();
  KvCache cache = f.lm->new_cache(512, DType::F32);
  std::vector<float> logits =
      f.lm->forward_embd(cache, p.tokens.data(), int(p.tokens.size()), sp.data(), int(sp.size()));
  const auto& rt = f.ref->tensor("logits");
  ASSERT_EQ(size_t(rt.ne[0]), logits.size());
  const float* r = rt.view.as<const float>();
  double mean = 0, var = 0, max_diff = 0;
  for (size_t i = 0; i < logits.size(); i++) mean += r[i];
  mean /= double(logits.size());
  for (size_t i = 0; i < logits.size(); i++) {
    var += (r[i] - mean) * (r[i] - mean);
    max_diff = std::max(max_diff, std::fabs(double(logits[i]) - r[i]));
  }
  const double sd = std::sqrt(var / double(logits.size()));
  std::printf("last-position logits: max |diff| %.3g = %.3g sd (tolerance %.0e sd)\n", max_diff, max_diff / sd, kTol);
  EXPECT_LT(max_diff / sd, kTol);

  const std::vector<int32_t> want = f.ints("greedy");
  std::vector<int32_t> got;
  for (size_t i = 0; i < want.size(); i++) {
    const int32_t t = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    got.push_back(t);
    logits = f.lm->forward(cache, &t, 1);
  }
  EXPECT_EQ(got, want);

  // generate() with chunks of 7 (every <image> run of 4 is cut somewhere) and an f16 cache: the same greedy tokens.
  KvCache c2 = f.lm->new_cache(512);
  SamplerParams gp;
  gp.temperature = 0;
  SamplerChain chain = make_chain(gp);
  GenerateParams params;
  params.max_tokens = int(want.size());
  params.n_batch = 7;
  const GenerateResult res = generate(*f.lm, c2, *f.tok, chain, p.tokens, params, {}, sp);
  EXPECT_EQ(res.tokens, want);
  EXPECT_EQ(res.stats.n_prompt, int(p.tokens.size()));
}

// The quantized towers of the same weights (tiny-mmproj-{f16,q8_0}.gguf, make_vision_fixtures.py's seeds) in front of
// the same LM: the last logits against the reference of the f32 tower, within a stated fraction of their sd, and the
// reference's greedy answer, token for token.
TEST(VisionLm, QuantizedTowersKeepTheGreedyAnswer) {
  for (auto [mm, tol] : {std::pair{"tiny-mmproj-f16.gguf", 1e-3}, {"tiny-mmproj-q8_0.gguf", 2e-2}}) {
    Fixture f{mm};
    const VisionPrompt p = make_vision_prompt(*f.tok, kQuestion, f.images(), f.lm->config().n_embd);
    const std::vector<EmbdSpan> sp = p.spans();
    KvCache cache = f.lm->new_cache(512, DType::F32);
    std::vector<float> logits =
        f.lm->forward_embd(cache, p.tokens.data(), int(p.tokens.size()), sp.data(), int(sp.size()));
    const auto& rt = f.ref->tensor("logits");
    ASSERT_EQ(size_t(rt.ne[0]), logits.size());
    const float* r = rt.view.as<const float>();
    double mean = 0, var = 0, max_diff = 0;
    for (size_t i = 0; i < logits.size(); i++) mean += r[i];
    mean /= double(logits.size());
    for (size_t i = 0; i < logits.size(); i++) {
      var += (r[i] - mean) * (r[i] - mean);
      max_diff = std::max(max_diff, std::fabs(double(logits[i]) - r[i]));
    }
    const double sd = std::sqrt(var / double(logits.size()));
    std::printf("%s: last logits vs the f32 reference: max |diff| %.3g sd (tolerance %.0e sd)\n", mm, max_diff / sd,
                tol);
    EXPECT_LT(max_diff / sd, tol) << mm;
    const std::vector<int32_t> want = f.ints("greedy");
    std::vector<int32_t> got;
    for (size_t i = 0; i < want.size(); i++) {
      const int32_t t = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      got.push_back(t);
      logits = f.lm->forward(cache, &t, 1);
    }
    EXPECT_EQ(got, want) << mm;
  }
}

TEST(VisionLm, Errors) {
  Fixture f;
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::vector<ImageInput> two = f.images();
  EXPECT_EQ(msg([&] { make_vision_prompt(*f.tok, "<image> and <image> and <image>?", two, 48); }),
            "the prompt has 3 <image> placeholders for 2 images (one --image each, or none to put the images before "
            "the text)");
  EXPECT_NE(msg([&] { make_vision_prompt(*f.tok, "?", two, 64); }).find("embedding values for 52 <image> tokens of 64"),
            std::string::npos);
  auto smol = GgufFile::open(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/smollm2-f32.gguf");
  auto plain = Tokenizer::from_gguf(*smol);
  EXPECT_EQ(msg([&] { make_vision_prompt(*plain, "?", two, 48); }),
            "the language model's vocabulary has no <image> token (not a SmolVLM language model?)");
  KvCache cache = f.lm->new_cache(16);
  const int32_t ids[3] = {1, 2, 3};
  const float rows[48 * 2] = {};
  const EmbdSpan bad{2, 2, rows};
  EXPECT_EQ(msg([&] { f.lm->forward_embd(cache, ids, 3, &bad, 1); }),
            "forward: embedding span [2, 4) is not inside the pass of 3 positions");
}

TEST(VisionLm, ChatTemplate) {
  EXPECT_EQ(idefics3_chat("<fake_token_around_image><global-img><image><fake_token_around_image>Hi?"),
            "<|im_start|>User:<fake_token_around_image><global-img><image><fake_token_around_image>Hi?"
            "<end_of_utterance>\nAssistant:");
  EXPECT_EQ(idefics3_chat("Hi?", "Be brief."),
            "<|im_start|>System: Be brief.<end_of_utterance>\nUser: Hi?<end_of_utterance>\nAssistant:");
  EXPECT_EQ(splice_images("A <image> B <image>", {"[1]", "[2]"}), "A [1] B [2]");
  EXPECT_EQ(splice_images("Q", {"[1]", "[2]"}), "[1][2]Q");
}

}  // namespace
