// test-prompt-cache.cpp — runtime/prompt-cache.h on committed test models (Llama-shaped SmolLM2, and Gemma 3 with its
// sliding-window layers): a prefix restored from a snapshot gives bit for bit the logits of the same passes on a fresh
// cache (and a one-pass cold prefill's greedy token), interleaved conversations each find theirs, the byte budget
// holds with the least recently used snapshot evicted first, and a budget of 0 keeps none.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/loaded-model.h"
#include "runtime/prompt-cache.h"

using namespace sotto;

namespace {

// A conversation: a shared head (a template's), then tokens of its own.
std::vector<int32_t> convo(int seed, int n, int n_vocab) {
  std::vector<int32_t> t = {1, 5, 9};
  uint32_t x = uint32_t(seed) * 2654435761u + 12345u;
  while (int(t.size()) < n) {
    x = x * 1664525u + 1013904223u;
    t.push_back(int32_t(3 + (x >> 8) % uint32_t(n_vocab - 3)));
  }
  return t;
}

std::vector<int32_t> extend(std::vector<int32_t> t, int seed, int n, int n_vocab) {
  const auto more = convo(seed, n + 3, n_vocab);
  t.insert(t.end(), more.begin() + 3, more.end());
  return t;
}

class PromptCacheModels : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    lm_ = load_model(std::string(SOTTO_SOURCE_DIR "/tests/fixtures/models/") + GetParam(), 1, false);
    cache_ = lm_.model->new_cache(256);
    const ModelConfig& c = lm_.model->config();
    n_vocab_ = c.n_vocab;
    token_bytes_ = size_t(c.n_layer) * 2 * size_t(c.n_head_kv) * size_t(c.head_dim) * 2;  // K and V rows, F16
  }
  // Runs tokens on cache_ through pc: the kept prefix, then the rest in one pass; the last logits.
  std::vector<float> run(PromptCache& pc, const std::vector<int32_t>& t, size_t* kept = nullptr) {
    const size_t keep = pc.prepare(*lm_.backend, cache_, t);
    if (kept) *kept = keep;
    auto logits = lm_.model->forward(cache_, t.data() + keep, int(t.size() - keep));
    pc.hold(t);
    return logits;
  }
  // The same passes on a fresh cache: `before` first (another conversation whose first `shared` positions t shares),
  // then one pass per span between the cuts, then the rest.
  std::vector<float> fresh(const std::vector<int32_t>& t, const std::vector<size_t>& cuts,
                           const std::vector<int32_t>& before = {}, size_t shared = 0) {
    KvCache c = lm_.model->new_cache(256);
    if (!before.empty()) lm_.model->forward(c, before.data(), int(before.size()));
    c.n_past = int(shared);
    size_t at = shared;
    for (size_t cut : cuts) {
      if (cut > at) lm_.model->forward(c, t.data() + at, int(cut - at));
      at = cut;
    }
    return lm_.model->forward(c, t.data() + at, int(t.size() - at));
  }
  LoadedModel lm_;
  KvCache cache_;
  int n_vocab_ = 0;
  size_t token_bytes_ = 0;
};

TEST_P(PromptCacheModels, InterleavedConversationsRestoreTheirPrefixBitForBit) {
  PromptCache pc(size_t(64) << 20);
  const auto a1 = convo(1, 40, n_vocab_), b1 = convo(2, 30, n_vocab_);
  size_t kept = 0;
  run(pc, a1, &kept);
  EXPECT_EQ(kept, 0u);
  run(pc, b1, &kept);
  EXPECT_EQ(kept, 3u);  // the shared head, from the live cache
  EXPECT_EQ(pc.n_snapshots(), 1u);  // a1, saved before b1 overwrote it
  EXPECT_EQ(pc.bytes(), a1.size() * token_bytes_);
  // a1 ran in one pass, b1 after the head it shared with a1's pass: the fresh runs make the same passes (K/V rows
  // of one pass and of a pass cut in two may differ in the last bit: the rows are what the earlier passes made).
  for (const auto& [prev, seed, cuts, before] :
       {std::tuple{a1, 3, std::vector<size_t>{a1.size()}, std::vector<int32_t>{}},
        {b1, 4, std::vector<size_t>{b1.size()}, a1}}) {
    const auto next = extend(prev, seed, 12, n_vocab_);
    const auto logits = run(pc, next, &kept);
    EXPECT_EQ(kept, prev.size());
    EXPECT_TRUE(pc.restored());
    EXPECT_TRUE(logits == fresh(next, cuts, before, before.empty() ? 0 : 3)) << GetParam() << ": the restored K/V differ from a fresh run's";
    // A cold one-pass prefill: the same greedy token, logits equal to float rounding.
    const auto cold = fresh(next, {});
    EXPECT_EQ(std::max_element(logits.begin(), logits.end()) - logits.begin(),
              std::max_element(cold.begin(), cold.end()) - cold.begin());
    float md = 0, mx = 0;
    for (size_t i = 0; i < cold.size(); i++) md = std::max(md, std::fabs(cold[i] - logits[i])), mx = std::max(mx, std::fabs(cold[i]));
    EXPECT_LE(md, 1e-4f * std::max(mx, 1.0f)) << GetParam();
  }
  // reuse = false keeps nothing, and still saves what it overwrites.
  const size_t n = pc.n_snapshots();
  EXPECT_EQ(pc.prepare(*lm_.backend, cache_, a1, false), 0u);
  EXPECT_EQ(cache_.n_past, 0);
  EXPECT_GE(pc.n_snapshots(), n);
}

TEST_P(PromptCacheModels, TheBudgetHoldsAndTheLeastRecentlyUsedGoesFirst) {
  const size_t n = 20;
  PromptCache pc(2 * n * token_bytes_ + token_bytes_ / 2);  // two snapshots of 20 tokens
  const auto a = convo(11, int(n), n_vocab_), b = convo(12, int(n), n_vocab_), c = convo(13, int(n), n_vocab_);
  size_t kept = 0;
  run(pc, a);
  run(pc, b);  // saves a
  run(pc, c);  // saves b: [b, a]
  EXPECT_EQ(pc.n_snapshots(), 2u);
  EXPECT_EQ(pc.bytes(), 2 * n * token_bytes_);
  run(pc, a, &kept);  // a restored (all but its last token); saving c evicts b, the least recently used: [a, c]
  EXPECT_EQ(kept, n - 1);
  EXPECT_TRUE(pc.restored());
  run(pc, b, &kept);  // b is gone
  EXPECT_EQ(kept, 3u);
  EXPECT_FALSE(pc.restored());
  run(pc, c, &kept);  // c still there
  EXPECT_EQ(kept, n - 1);
  EXPECT_EQ(pc.n_snapshots(), 2u);
  EXPECT_LE(pc.bytes(), pc.max_bytes());
  // A conversation larger than the whole budget is not saved; a budget of 0 keeps nothing.
  const auto big = convo(15, int(3 * n), n_vocab_);
  run(pc, big);
  run(pc, a);
  run(pc, big, &kept);
  EXPECT_EQ(kept, 3u);
  EXPECT_LE(pc.bytes(), pc.max_bytes());
  PromptCache none(0);
  run(none, a);
  run(none, b);
  run(none, a, &kept);
  EXPECT_EQ(kept, 3u);
  EXPECT_EQ(none.n_snapshots(), 0u);
  EXPECT_EQ(none.bytes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Models, PromptCacheModels, ::testing::Values("smollm2-q8_0.gguf", "gemma3-f32.gguf"),
                         [](const auto& info) { const std::string p = info.param; return p.substr(0, p.find('-')); });

}  // namespace
