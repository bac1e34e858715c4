// test-sampler.cpp — each sampler checked against a direct computation in the test (softmax in double,
// full sort), the chain's determinism, and empirical frequencies of the distribution sampler against the
// probabilities (chi-square bound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "core/error.h"
#include "runtime/sampler.h"

using namespace sotto;

namespace {

// Reference softmax in double.
std::vector<double> ref_softmax(const std::vector<float>& logits, double t = 1.0) {
  double mx = -1e300;
  for (float l : logits) mx = std::max(mx, double(l) / t);
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(double(logits[i]) / t - mx);
  for (auto& x : p) x /= sum;
  return p;
}

// Ids ordered by descending logit, ties by id.
std::vector<int32_t> ref_order(const std::vector<float>& logits) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  return ids;
}

std::vector<float> random_logits(int n, uint64_t seed, float scale = 3.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = float((rng.next_double() * 2.0 - 1.0) * scale);
  return v;
}

std::set<int32_t> ids_of(const Candidates& c) {
  std::set<int32_t> s;
  for (const auto& t : c.data) s.insert(t.id);
  return s;
}

Candidates make_cands(const std::vector<float>& logits) {
  Candidates c;
  c.reset(logits.data(), int(logits.size()));
  return c;
}

}  // namespace

TEST(Sampler, SoftmaxMatchesReference) {
  // Wide range, including masked (-inf) entries; our own exp must stay within float rounding.
  auto logits = random_logits(10000, 3, 60.0f);
  for (size_t i = 0; i < logits.size(); i += 17) logits[i] = -std::numeric_limits<float>::infinity();
  auto ref = ref_softmax(logits);
  auto c = make_cands(logits);
  c.softmax();
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (const auto& t : c.data) {
    const double r = ref[size_t(t.id)];
    sum += t.p;
    if (r == 0) {
      EXPECT_EQ(t.p, 0.0f);
    } else if (r > 1e-30) {  // far below: flush to zero allowed
      // The float argument l - max carries a rounding error of up to 2^-24 |l - max|.
      const double tol = 1e-6 + std::ldexp(std::fabs(double(t.logit) - mx), -23);
      EXPECT_NEAR(t.p / r, 1.0, tol) << "id " << t.id;
    }
  }
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(Sampler, GreedyIsArgmax) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto logits = random_logits(1000 + int(seed) * 37, seed);
    auto c = make_cands(logits);
    make_greedy()->apply(c);
    const int32_t expect = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    ASSERT_GE(c.selected, 0);
    EXPECT_EQ(c.data[size_t(c.selected)].id, expect);
  }
}

TEST(Sampler, GreedyChainIgnoresNaNAndHandlesTails) {
  SamplerParams p;
  p.temperature = 0.0f;
  auto chain = make_chain(p);
  for (int n : {1, 7, 15, 16, 17, 33, 1001}) {
    auto logits = random_logits(n, uint64_t(n));
    logits[0] = std::numeric_limits<float>::quiet_NaN();
    if (n > 1) logits[size_t(n - 1)] = 100.0f;  // the max in the scalar tail
    const int32_t expect = n > 1 ? n - 1 : -1;
    if (expect < 0) {
      EXPECT_THROW(chain.sample(logits.data(), n), Error);
    } else {
      EXPECT_EQ(chain.sample(logits.data(), n), expect) << "n=" << n;
    }
  }
}

TEST(Sampler, GreedyTiesPickLowestId) {
  std::vector<float> logits = {0.0f, 2.0f, -1.0f, 2.0f, 2.0f};
  auto c = make_cands(logits);
  std::reverse(c.data.begin(), c.data.end());  // position must not matter
  make_greedy()->apply(c);
  EXPECT_EQ(c.data[size_t(c.selected)].id, 1);
  SamplerParams p;
  p.temperature = 0.0f;
  auto chain = make_chain(p);  // the argmax fast path
  EXPECT_EQ(chain.sample(logits.data(), int(logits.size())), 1);
}

TEST(Sampler, TopKKeepsExactlyTheKLargest) {
  auto logits = random_logits(5000, 7);
  auto order = ref_order(logits);
  for (int k : {1, 2, 40, 4999, 5000, 6000}) {
    auto c = make_cands(logits);
    make_top_k(k)->apply(c);
    const size_t kk = std::min<size_t>(size_t(k), logits.size());
    ASSERT_EQ(c.size(), kk) << "k=" << k;
    EXPECT_EQ(ids_of(c), std::set<int32_t>(order.begin(), order.begin() + ptrdiff_t(kk))) << "k=" << k;
    if (kk < logits.size()) {
      EXPECT_TRUE(c.sorted);  // k >= size is a no-op
    }
    if (c.sorted) {
      for (size_t i = 1; i < c.size(); ++i) EXPECT_GE(c.data[i - 1].logit, c.data[i].logit);
    }
  }
  auto c = make_cands(logits);
  make_top_k(0)->apply(c);  // off
  EXPECT_EQ(c.size(), logits.size());
}

TEST(Sampler, TopKFastPathMatchesFullPath) {
  // Candidates::reset_top_k (used by the chain when top-k comes first) against reset + full sort.
  auto logits = random_logits(262144, 9, 6.0f);
  for (size_t i = 0; i < logits.size(); i += 3) logits[i] = -std::numeric_limits<float>::infinity();
  for (size_t i = 1; i < logits.size(); i += 1000) logits[i] = 5.5f;  // ties across blocks
  for (size_t k : {1u, 7u, 40u, 300u, 5000u}) {
    Candidates fast;
    fast.reset_top_k(logits.data(), int(logits.size()), k);
    auto full = make_cands(logits);
    full.sort();
    ASSERT_EQ(fast.size(), k);
    EXPECT_TRUE(fast.sorted);
    for (size_t i = 0; i < k; ++i) {
      ASSERT_EQ(fast.data[i].id, full.data[i].id) << "k=" << k << " i=" << i;
      ASSERT_EQ(fast.data[i].logit, full.data[i].logit);
    }
  }
  // Mostly masked: fewer finite logits than k blocks need; falls back and still keeps the k best.
  std::vector<float> masked(100000, -std::numeric_limits<float>::infinity());
  masked[77] = 1.0f;
  masked[99999] = 2.0f;
  Candidates c;
  c.reset_top_k(masked.data(), int(masked.size()), 40);
  ASSERT_EQ(c.size(), 40u);
  EXPECT_EQ(c.data[0].id, 99999);
  EXPECT_EQ(c.data[1].id, 77);
  EXPECT_EQ(c.data[2].id, 0);  // then the -inf ones by id
}

TEST(Sampler, TopKTiesAreDeterministic) {
  std::vector<float> logits(100, 1.0f);
  auto c = make_cands(logits);
  make_top_k(3)->apply(c);
  EXPECT_EQ(ids_of(c), (std::set<int32_t>{0, 1, 2}));
}

TEST(Sampler, TopPKeepsSmallestPrefixReachingP) {
  // Large vocabulary and p close to 1 so the growing partial sort needs several rounds.
  for (float p : {0.1f, 0.5f, 0.9f, 0.99f, 0.999f}) {
    auto logits = random_logits(20000, 11, 4.0f);
    auto probs = ref_softmax(logits);
    auto order = ref_order(logits);
    size_t n = 0;
    double cum = 0;
    while (n < order.size()) {
      cum += probs[size_t(order[n++])];
      if (cum >= p) break;
    }
    auto c = make_cands(logits);
    make_top_p(p)->apply(c);
    // Float vs double cumulative sums may disagree right at the boundary by one token.
    EXPECT_NEAR(double(c.size()), double(n), 1.0) << "p=" << p;
    // The kept set is the best prefix (sorted when the sampler says so).
    const size_t m = std::min(c.size(), n);
    auto kept_ids = ids_of(c);
    for (size_t i = 0; i < m; ++i) EXPECT_TRUE(kept_ids.count(order[i])) << "p=" << p << " rank " << i;
    if (c.sorted) {
      for (size_t i = 0; i < m; ++i) EXPECT_EQ(c.data[i].id, order[i]) << "p=" << p << " i=" << i;
    }
    double kept = 0;
    for (const auto& t : c.data) kept += probs[size_t(t.id)];
    EXPECT_GE(kept, p - 1e-5);
    EXPECT_LT(kept - probs[size_t(c.data.back().id)], p + 1e-5);  // dropping the last falls short
  }
}

TEST(Sampler, TopPWideNucleusKeepsInputOrder) {
  // A flat distribution: the nucleus is thousands of tokens, kept in the incoming (id) order.
  auto logits = random_logits(50000, 13, 0.5f);
  auto c = make_cands(logits);
  make_top_p(0.9f)->apply(c);
  ASSERT_GT(c.size(), 4096u);
  EXPECT_FALSE(c.sorted);
  for (size_t i = 1; i < c.size(); ++i) ASSERT_LT(c.data[i - 1].id, c.data[i].id);
  auto probs = ref_softmax(logits);
  double kept = 0, min_kept = 1;
  for (const auto& t : c.data) {
    kept += probs[size_t(t.id)];
    min_kept = std::min(min_kept, probs[size_t(t.id)]);
  }
  EXPECT_GE(kept, 0.9 - 1e-5);
  EXPECT_LT(kept - min_kept, 0.9 + 1e-5);
  // Nothing left out is more likely than the least likely kept token.
  auto in = ids_of(c);
  for (size_t i = 0; i < logits.size(); ++i) {
    if (!in.count(int32_t(i))) {
      ASSERT_LE(probs[i], min_kept);
    }
  }
}

TEST(Sampler, TopPAfterTopKUsesRenormalisedMass) {
  auto logits = random_logits(3000, 12, 4.0f);
  auto order = ref_order(logits);
  const int k = 50;
  std::vector<float> top(static_cast<size_t>(k));
  for (int i = 0; i < k; ++i) top[size_t(i)] = logits[size_t(order[size_t(i)])];
  auto probs = ref_softmax(top);  // already in descending order
  size_t n = 0;
  double cum = 0;
  while (n < probs.size()) {
    cum += probs[n++];
    if (cum >= 0.8) break;
  }
  auto c = make_cands(logits);
  make_top_k(k)->apply(c);
  make_top_p(0.8f)->apply(c);
  EXPECT_EQ(c.size(), n);
}

TEST(Sampler, TopPMinKeep) {
  std::vector<float> logits = {10.0f, 0.0f, -1.0f, -2.0f};
  auto c = make_cands(logits);
  make_top_p(0.5f, 3)->apply(c);
  EXPECT_EQ(c.size(), 3u);
}

TEST(Sampler, MinPThresholdRelativeToMax) {
  for (float mp : {0.01f, 0.05f, 0.2f, 0.9f}) {
    auto logits = random_logits(4000, 21, 5.0f);
    auto probs = ref_softmax(logits);
    const double pmax = *std::max_element(probs.begin(), probs.end());
    std::set<int32_t> expect;
    for (size_t i = 0; i < probs.size(); ++i)
      if (probs[i] >= mp * pmax) expect.insert(int32_t(i));
    auto c = make_cands(logits);
    make_min_p(mp)->apply(c);
    EXPECT_EQ(ids_of(c), expect) << "min_p=" << mp;
  }
}

TEST(Sampler, MinPKeepsOrderAndMinKeep) {
  std::vector<float> logits = {0.0f, 10.0f, 9.0f, -5.0f, 9.5f};
  auto c = make_cands(logits);
  make_min_p(0.3f)->apply(c);  // p_i >= 0.3 p_max <=> logit >= 10 + ln 0.3 = 8.796
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.data[0].id, 1);
  EXPECT_EQ(c.data[1].id, 2);
  EXPECT_EQ(c.data[2].id, 4);
  auto c2 = make_cands(logits);
  make_min_p(0.99f, 2)->apply(c2);
  EXPECT_EQ(ids_of(c2), (std::set<int32_t>{1, 4}));
}

TEST(Sampler, TemperatureScalesProbabilities) {
  auto logits = random_logits(500, 31);
  for (float t : {0.25f, 0.7f, 1.0f, 1.5f, 4.0f}) {
    auto c = make_cands(logits);
    make_temperature(t)->apply(c);
    c.softmax();
    auto ref = ref_softmax(logits, t);
    for (const auto& d : c.data) EXPECT_NEAR(d.p, ref[size_t(d.id)], 1e-6 + 1e-5 * ref[size_t(d.id)]) << "t=" << t;
  }
  auto c = make_cands(logits);
  make_temperature(0.0f)->apply(c);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.data[0].id, int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  EXPECT_THROW(make_temperature(-1.0f), Error);
}

TEST(Sampler, RepetitionPenaltyMath) {
  const float rep = 1.3f, freq = 0.25f, pres = 0.5f;
  auto s = make_penalties(4, rep, freq, pres);
  const int32_t prompt[] = {9, 1, 2};  // 9 falls out of the window of 4
  s->observe_prompt(prompt, 3);
  s->accept(2);
  s->accept(3);  // window: 1, 2, 2, 3
  std::vector<float> logits = {1.0f, 2.0f, -1.5f, 0.0f, 4.0f, 0, 0, 0, 0, 3.0f};
  std::vector<int> count(logits.size(), 0);
  count[1] = 1;
  count[2] = 2;
  count[3] = 1;
  for (bool shuffled : {false, true}) {
    auto c = make_cands(logits);
    if (shuffled) std::reverse(c.data.begin(), c.data.end());  // the hashed path
    s->apply(c);
    for (const auto& d : c.data) {
      float l = logits[size_t(d.id)];
      const int n = count[size_t(d.id)];
      float expect = l;
      if (n > 0) expect = (l > 0 ? l / rep : l * rep) - float(n) * freq - pres;
      EXPECT_FLOAT_EQ(d.logit, expect) << "id " << d.id << (shuffled ? " shuffled" : "");
    }
  }
  s->reset();
  auto c = make_cands(logits);
  s->apply(c);
  for (const auto& d : c.data) EXPECT_EQ(d.logit, logits[size_t(d.id)]);
}

TEST(Sampler, RngIsUniform) {
  Rng rng(5);
  double sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.next_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.002);
}

TEST(Sampler, SeededDeterminism) {
  auto logits = random_logits(2000, 41, 2.0f);
  auto draw = [&](uint64_t seed) {
    SamplerParams p;
    p.seed = seed;
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 0.98f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.1f;
    auto chain = make_chain(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 300; ++i) {
      out.push_back(chain.sample(logits.data(), int(logits.size())));
      chain.accept(out.back());
    }
    return out;
  };
  const auto a = draw(123), b = draw(123), c = draw(124);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// Pearson chi-square of observed counts against expected probabilities, over the cells with p > 0.
static double chi_square(const std::vector<int>& counts, const std::vector<double>& probs, int n) {
  double chi = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
      continue;
    }
    const double e = probs[i] * n;
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

TEST(Sampler, DistFrequenciesMatchProbabilities) {
  std::vector<float> logits = {1.0f, 0.5f, 0.0f, -0.5f, 2.0f, -1.0f, 1.5f, 0.2f, -2.0f, 0.8f};
  auto probs = ref_softmax(logits);
  auto dist = make_dist(2024);
  std::vector<int> counts(logits.size(), 0);
  const int n = 100000;
  Candidates c;
  for (int i = 0; i < n; ++i) {
    c.reset(logits.data(), int(logits.size()));
    dist->apply(c);
    ++counts[size_t(c.data[size_t(c.selected)].id)];
  }
  // df = 9; the 0.999 quantile of chi-square(9) is 27.88.
  EXPECT_LT(chi_square(counts, probs, n), 27.88);
}

TEST(Sampler, ChainFrequenciesMatchFilteredTemperedDistribution) {
  // top-k 5 then temperature 0.7: expected p = softmax(top5 / 0.7), zero elsewhere.
  std::vector<float> logits = {1.0f, 0.5f, 0.0f, -0.5f, 2.0f, -1.0f, 1.5f, 0.2f, -2.0f, 0.8f};
  auto order = ref_order(logits);
  std::vector<float> masked(logits.size(), -std::numeric_limits<float>::infinity());
  for (int i = 0; i < 5; ++i) masked[size_t(order[size_t(i)])] = logits[size_t(order[size_t(i)])];
  auto probs = ref_softmax(masked, 0.7);
  SamplerChain chain;
  chain.add(make_top_k(5));
  chain.add(make_temperature(0.7f));
  chain.add(make_dist(99));
  std::vector<int> counts(logits.size(), 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) ++counts[size_t(chain.sample(logits.data(), int(logits.size())))];
  // df = 4; the 0.999 quantile of chi-square(4) is 18.47.
  EXPECT_LT(chi_square(counts, probs, n), 18.47);
}

namespace {
// A stand-in for the grammar link: masks odd ids to -inf, and counts accept() calls.
class MaskOdd final : public Sampler {
 public:
  std::string name() const override { return "mask-odd"; }
  void apply(Candidates& c) override {
    for (auto& t : c.data)
      if (t.id % 2) t.logit = -std::numeric_limits<float>::infinity();
    c.sorted = false;
    c.has_probs = false;
  }
  void accept(int32_t) override { ++accepted; }
  int accepted = 0;
};
}  // namespace

TEST(Sampler, MaskingLinkIsRespectedByEverySampler) {
  auto logits = random_logits(301, 51, 1.0f);
  SamplerParams p;
  p.temperature = 1.2f;
  p.top_k = 0;
  p.top_p = 0.9f;
  p.min_p = 0.01f;
  p.repeat_penalty = 1.2f;
  p.seed = 3;
  auto chain = make_chain(p);
  auto mask = std::make_unique<MaskOdd>();
  MaskOdd* m = mask.get();
  chain.add_front(std::move(mask));
  for (int i = 0; i < 500; ++i) {
    const int32_t t = chain.sample(logits.data(), int(logits.size()));
    EXPECT_EQ(t % 2, 0);
    chain.accept(t);
  }
  EXPECT_EQ(m->accepted, 500);
  EXPECT_EQ(chain.describe(), "mask-odd -> penalties -> top-p -> min-p -> temperature -> dist");
}

TEST(Sampler, AllMaskedIsAnError) {
  std::vector<float> logits(8, -std::numeric_limits<float>::infinity());
  SamplerChain g;
  g.add(make_greedy());
  EXPECT_THROW(g.sample(logits.data(), 8), Error);
  SamplerChain d;
  d.add(make_top_k(4));
  d.add(make_dist(1));
  EXPECT_THROW(d.sample(logits.data(), 8), Error);
}

TEST(Sampler, ChainFastPathsMatchLinkByLink) {
  // The chain runs penalties on raw logits, top-k without a full array, greedy as an argmax; applying the
  // same links one by one with apply() on a full candidates array must give the same candidates and token.
  const auto flat = random_logits(262144, 71, 5.0f);
  auto peaky = flat;  // a nucleus of a few dozen tokens
  for (size_t i = 0; i < 30; ++i) peaky[i * 8111 + 5] += 16.0f + float(i % 3);
  const int32_t hist[] = {5, 17, 17, 90000, 262143, 3, 8116};
  for (int variant = 0; variant < 6; ++variant) {
    const auto& logits = variant >= 3 ? peaky : flat;
    SamplerParams p;
    p.repeat_penalty = variant == 4 ? 1.0f : 1.3f;  // 4: top-p is the first link
    p.frequency_penalty = variant == 4 ? 0.0f : 0.2f;
    p.presence_penalty = variant == 4 ? 0.0f : 0.1f;
    p.seed = 77;
    if (variant == 1) p.temperature = 0.0f;
    if (variant == 2 || variant == 3 || variant == 4) p.top_k = 0;
    if (variant == 5) p.top_k = 100000;
    auto chain = make_chain(p);
    auto ref = make_chain(p);  // its links are driven by hand
    chain.observe_prompt(hist, 7);
    ref.observe_prompt(hist, 7);
    for (int step = 0; step < 5; ++step) {
      const int32_t got = chain.sample(logits.data(), int(logits.size()));
      auto c = make_cands(logits);
      for (size_t i = 0; i < ref.size(); ++i) ref.at(i).apply(c);
      ASSERT_GE(c.selected, 0);
      EXPECT_EQ(got, c.data[size_t(c.selected)].id) << "variant " << variant << " step " << step;
      if (variant != 1) {  // greedy's fast path keeps only the winner
        ASSERT_EQ(chain.candidates().size(), c.size());
        for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(chain.candidates().data[i].id, c.data[i].id);
      }
      chain.accept(got);
      ref.accept(got);
    }
  }
}

TEST(Sampler, ChainWithoutSelectorIsAnError) {
  std::vector<float> logits = {1, 2, 3};
  SamplerChain chain;
  chain.add(make_top_k(2));
  EXPECT_THROW(chain.sample(logits.data(), 3), Error);
}

TEST(Sampler, MakeChainGreedyAndValidation) {
  SamplerParams p;
  p.temperature = 0.0f;
  auto chain = make_chain(p);
  EXPECT_EQ(chain.describe(), "greedy");
  auto logits = random_logits(777, 61);
  EXPECT_EQ(chain.sample(logits.data(), 777),
            int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  p = SamplerParams{};
  EXPECT_EQ(make_chain(p).describe(), "top-k -> top-p -> min-p -> temperature -> dist");
  p.top_p = 0.0f;
  EXPECT_THROW(make_chain(p), Error);
  p = SamplerParams{};
  p.min_p = 1.5f;
  EXPECT_THROW(make_chain(p), Error);
  p = SamplerParams{};
  p.repeat_penalty = 0.0f;
  EXPECT_THROW(make_chain(p), Error);
}
