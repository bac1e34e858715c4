// sampler.cpp — the candidates array, the PRNG, the individual samplers and the chain (see sampler.h).
#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <unordered_map>

#include "core/error.h"

namespace sotto {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::string num(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(x));
  return buf;
}

// Descending by logit, ties by ascending id: a total order, so every sort gives one answer.
inline bool better(const TokenData& a, const TokenData& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// e^x for x <= 0 (softmax arguments), our own so that results do not depend on the C library's exp:
// Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, degree-6 Taylor polynomial for e^r (relative error
// < 2e-7), scaled by 2^n through the exponent bits. Below -87 (and for -inf and NaN) it returns 0.
inline float exp_nonpos(float x) {
  const float kLog2e = 1.44269504088896341f;
  const float kLn2Hi = 0.693145751953125f, kLn2Lo = 1.42860682030941723212e-6f;
  const float xc = x >= -87.0f ? x : -87.0f;  // NaN too
  const float n = (xc * kLog2e + 12582912.0f) - 12582912.0f;  // round to nearest (|.| < 2^22)
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;
  float pr = 1.0f / 720.0f;
  pr = pr * r + 1.0f / 120.0f;
  pr = pr * r + 1.0f / 24.0f;
  pr = pr * r + 1.0f / 6.0f;
  pr = pr * r + 0.5f;
  pr = pr * r + 1.0f;
  pr = pr * r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;  // n in [-126, 0]
  float scale;
  std::memcpy(&scale, &bits, 4);
  return x >= -87.0f ? pr * scale : 0.0f;
}

// The largest value, ignoring NaN; -inf for n == 0. GCC/Clang vector extensions (8 floats: AVX, or two
// SIMD128 halves in wasm): the compilers do not vectorise a float max reduction on their own.
float max_of(const float* x, size_t n) {
  typedef float v8 __attribute__((vector_size(32)));
  v8 m0, m1;
  for (int j = 0; j < 8; ++j) m0[j] = m1[j] = kNegInf;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    v8 a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + 8, sizeof b);
    m0 = a > m0 ? a : m0;  // NaN compares false: ignored
    m1 = b > m1 ? b : m1;
  }
  float r = kNegInf;
  for (int j = 0; j < 8; ++j) {
    r = m0[j] > r ? m0[j] : r;
    r = m1[j] > r ? m1[j] : r;
  }
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
}

// Index of the first maximum (lowest id among ties) of logits in id order; -1 if all are -inf or NaN.
// One vectorised pass of block maxima, then a scalar scan of the first block holding the maximum.
int32_t argmax_first(const float* x, size_t n) {
  constexpr size_t kBlock = 1024;
  float best = kNegInf;
  size_t best_block = 0;
  for (size_t b = 0; b < n; b += kBlock) {
    const float m = max_of(x + b, std::min(kBlock, n - b));
    if (m > best) {
      best = m;
      best_block = b;
    }
  }
  if (best == kNegInf) return -1;
  for (size_t i = best_block; i < n; ++i)
    if (x[i] == best) return int32_t(i);
  return -1;
}

// out[i] = e^(x[i] - max) (out may be x) and returns their sum: eight partial sums in double, combined in a
// fixed order (deterministic and vectorisable). NaN inputs give 0.
double exp_sum(const float* x, size_t n, float max, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = exp_nonpos(x[i] - max);
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += double(out[i + j]);
  for (; i < n; ++i) acc[0] += double(out[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

// ---- Candidates

void Candidates::reset(const float* logits, int n_vocab) {
  data.resize(size_t(n_vocab));
  for (int i = 0; i < n_vocab; ++i) data[size_t(i)] = TokenData{i, logits[i], 0.0f};
  sorted = false;
  has_probs = false;
  selected = -1;
}

void Candidates::softmax() {
  if (data.empty()) fail("sampler: no candidate tokens left");
  const size_t n = data.size();
  work.resize(n);
  for (size_t i = 0; i < n; ++i) work[i] = data[i].logit;
  const float max_logit = max_of(work.data(), n);
  if (max_logit == kNegInf) fail("sampler: every candidate token is masked out");
  const float inv = float(1.0 / exp_sum(work.data(), n, max_logit, work.data()));
  for (size_t k = 0; k < n; ++k) data[k].p = work[k] * inv;
  has_probs = true;
}

void Candidates::sort() {
  if (sorted) return;
  std::sort(data.begin(), data.end(), better);
  sorted = true;
}

namespace {

// A lower bound of the k-th largest of n logits: the k-th largest of the maxima (block_max(start)) of
// 64-wide blocks (k blocks each hold a value at least that large). Only values at or above it can be in
// the top k: usually a few hundred out of 262k. -inf when the input is too small for this to pay off
// (or too few logits are finite).
constexpr size_t kTopKBlock = 64;

template <typename BlockMax>
float top_k_bound(size_t n, size_t k, BlockMax block_max, std::vector<float>& work) {
  const size_t n_blocks = n / kTopKBlock;
  if (k == 0 || n_blocks < 4 * k) return kNegInf;
  work.resize(2 * n_blocks);  // [block maxima | a copy for nth_element]
  for (size_t b = 0; b < n_blocks; ++b) work[b] = work[n_blocks + b] = block_max(b * kTopKBlock);
  auto sel = work.begin() + ptrdiff_t(n_blocks);
  std::nth_element(sel, sel + ptrdiff_t(k - 1), work.end(), std::greater<float>());
  return sel[ptrdiff_t(k - 1)];
}

// Calls take(i) for every i in [0, n) with logit_at(i) >= bound, in order, visiting only the blocks whose
// maximum (work[b], left by top_k_bound) reaches the bound.
template <typename LogitAt, typename Take>
void gather_at_least(size_t n, float bound, const std::vector<float>& work, LogitAt logit_at, Take take) {
  const size_t n_blocks = n / kTopKBlock;
  for (size_t b = 0; b < n_blocks; ++b) {
    if (!(work[b] >= bound)) continue;
    for (size_t i = b * kTopKBlock; i < (b + 1) * kTopKBlock; ++i)
      if (logit_at(i) >= bound) take(i);
  }
  for (size_t i = n_blocks * kTopKBlock; i < n; ++i)
    if (logit_at(i) >= bound) take(i);
}

// Block maximum over candidates (strided logits): eight independent lanes, no single dependency chain.
float block_max_of(const TokenData* d) {
  float m[8];
  for (float& v : m) v = kNegInf;
  for (size_t j = 0; j < kTopKBlock; j += 8)
    for (size_t q = 0; q < 8; ++q) m[q] = d[j + q].logit > m[q] ? d[j + q].logit : m[q];
  float r = m[0];
  for (int q = 1; q < 8; ++q) r = m[q] > r ? m[q] : r;
  return r;
}

// Sorts the k best of `out` to its front and drops the rest.
void keep_best_sorted(std::vector<TokenData>& out, size_t k) {
  k = std::min(k, out.size());
  std::partial_sort(out.begin(), out.begin() + ptrdiff_t(k), out.end(), better);
  out.erase(out.begin() + ptrdiff_t(k), out.end());
}

// The k best of d into out, sorted; d is not changed.
void best_k_into(const std::vector<TokenData>& d, size_t k, std::vector<float>& work, std::vector<TokenData>& out) {
  const float bound = top_k_bound(d.size(), k, [&](size_t i) { return block_max_of(d.data() + i); }, work);
  out.clear();
  if (bound != kNegInf) {
    gather_at_least(
        d.size(), bound, work, [&](size_t i) { return d[i].logit; }, [&](size_t i) { out.push_back(d[i]); });
  } else {
    out = d;
  }
  keep_best_sorted(out, k);
}

}  // namespace

void Candidates::reset_top_k(const float* logits, int n_vocab, size_t k) {
  const size_t n = size_t(n_vocab);
  const float bound = top_k_bound(n, k, [&](size_t i) { return max_of(logits + i, kTopKBlock); }, work);
  if (bound == kNegInf) {
    reset(logits, n_vocab);
    keep_top(k);
    return;
  }
  data.clear();
  gather_at_least(n, bound, work, [&](size_t i) { return logits[i]; },
                  [&](size_t i) { data.push_back(TokenData{int32_t(i), logits[i], 0.0f}); });
  keep_best_sorted(data, k);
  sorted = true;
  has_probs = false;
  selected = -1;
}

void Candidates::keep_top(size_t k) {
  if (k >= data.size()) {
    sort();
    return;
  }
  if (sorted) {
    data.erase(data.begin() + ptrdiff_t(k), data.end());
  } else {
    best_k_into(data, k, work, spare);
    data.swap(spare);
  }
  sorted = true;
  has_probs = false;
}

// ---- Rng

static uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Rng::seed_with(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t v, int k) { return (v << k) | (v >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

// ---- samplers

namespace {

class Greedy final : public Sampler {
 public:
  std::string name() const override { return "greedy"; }
  void apply(Candidates& c) override {
    if (c.data.empty()) fail("sampler: no candidate tokens left");
    size_t best = c.data.size();
    for (size_t i = 0; i < c.data.size(); ++i) {
      if (std::isnan(c.data[i].logit)) continue;
      if (best == c.data.size() || better(c.data[i], c.data[best])) best = i;
    }
    if (best == c.data.size() || c.data[best].logit == kNegInf)
      fail("sampler: every candidate token is masked out");
    c.selected = int32_t(best);
  }
};

class Dist final : public Sampler {
 public:
  explicit Dist(uint64_t seed) : rng_(seed) {}
  std::string name() const override { return "dist"; }
  void apply(Candidates& c) override {
    if (!c.has_probs) c.softmax();
    double total = 0.0;
    for (const auto& t : c.data) total += t.p;
    const double target = rng_.next_double() * total;
    double cum = 0.0;
    int32_t last_nonzero = -1;
    for (size_t i = 0; i < c.data.size(); ++i) {
      if (c.data[i].p <= 0.0f) continue;
      last_nonzero = int32_t(i);
      cum += c.data[i].p;
      if (cum > target) {
        c.selected = int32_t(i);
        return;
      }
    }
    c.selected = last_nonzero;  // rounding left target just past the sum
  }

 private:
  Rng rng_;
};

class Temperature final : public Sampler {
 public:
  explicit Temperature(float t) : t_(t) {
    if (!(t >= 0.0f) || !std::isfinite(t)) fail("sampler: temperature must be >= 0 (got ", num(t), ")");
  }
  std::string name() const override { return "temperature"; }
  void apply(Candidates& c) override {
    if (t_ == 0.0f) {  // the limit t -> 0: only the argmax survives
      if (c.data.empty()) return;
      size_t best = 0;
      for (size_t i = 1; i < c.data.size(); ++i)
        if (better(c.data[i], c.data[best])) best = i;
      std::swap(c.data[0], c.data[best]);
      c.data.erase(c.data.begin() + 1, c.data.end());
      c.sorted = true;
      c.has_probs = false;
      return;
    }
    const float inv = 1.0f / t_;
    for (auto& t : c.data) t.logit *= inv;  // a positive scale keeps the order
    c.has_probs = false;
  }

 private:
  float t_;
};

class TopK final : public Sampler {
 public:
  explicit TopK(int k) : k_(k) {}
  std::string name() const override { return "top-k"; }
  int k() const { return k_; }
  void apply(Candidates& c) override {
    if (k_ <= 0 || size_t(k_) >= c.data.size()) return;
    c.keep_top(size_t(k_));
  }

 private:
  int k_;
};

class TopP final : public Sampler {
 public:
  TopP(float p, size_t min_keep) : p_(p), min_keep_(std::max<size_t>(min_keep, 1)) {
    if (!(p > 0.0f && p <= 1.0f)) fail("sampler: top-p must be in (0, 1] (got ", num(p), ")");
  }
  std::string name() const override { return "top-p"; }
  void apply(Candidates& c) override {
    if (p_ >= 1.0f || c.data.size() <= min_keep_) return;
    if (!c.has_probs) c.softmax();
    if (c.sorted) {  // e.g. after top-k: one short walk
      c.data.erase(c.data.begin() + ptrdiff_t(prefix_len(c.data)), c.data.end());
      c.has_probs = false;
      return;
    }
    // Usually the nucleus is small: look for it among the best 256 first.
    const size_t k = std::min<size_t>(256, c.data.size());
    best_k_into(c.data, k, c.work, c.spare);
    size_t m = prefix_len(c.spare);
    if (m < k || k == c.data.size()) {
      c.data.swap(c.spare);
      c.data.erase(c.data.begin() + ptrdiff_t(m), c.data.end());
      c.sorted = true;
      c.has_probs = false;
      return;
    }
    // A wide nucleus: find its last member (linear time), then keep everything at least as good in the
    // current order; sort the survivors when they are few.
    TokenData last{};
    if (!nucleus_last(c, c.spare, mass_, last)) return;
    size_t kept = 0;  // branch-free compaction: about half of a wide nucleus survives, unpredictably
    for (size_t i = 0; i < c.data.size(); ++i) {
      const TokenData t = c.data[i];
      c.data[kept] = t;
      kept += size_t((t.logit > last.logit) | ((t.logit == last.logit) & (t.id <= last.id)));
    }
    c.data.erase(c.data.begin() + ptrdiff_t(kept), c.data.end());
    if (kept < min_keep_) fail("sampler: top-p internal error");  // cannot happen: kept > 256
    if (kept <= 4096) std::sort(c.data.begin(), c.data.end(), better), c.sorted = true;
    c.has_probs = false;
  }

  // The chain's fast path when top-p comes first: softmax over the raw logits (contiguous, vectorised),
  // then the nucleus among the best 256 without building the full candidates array. Leaves exactly what
  // reset() + apply() would, and returns true; false when the nucleus is wider (use the full path).
  bool try_first(const float* logits, int n_vocab, Candidates& c) {
    const size_t n = size_t(n_vocab);
    const size_t k = 256;
    if (p_ >= 1.0f || n <= std::max(min_keep_, k)) return false;
    const float max_logit = max_of(logits, n);
    if (max_logit == kNegInf) return false;
    exps_.resize(n);
    const float inv = float(1.0 / exp_sum(logits, n, max_logit, exps_.data()));
    c.reset_top_k(logits, n_vocab, k);
    for (auto& t : c.data) t.p = exps_[size_t(t.id)] * inv;
    const size_t m = prefix_len(c.data);
    if (m >= k) return false;
    c.data.erase(c.data.begin() + ptrdiff_t(m), c.data.end());
    c.has_probs = false;
    return true;
  }

 private:
  // Length of the smallest prefix of sorted `d` whose probability mass reaches p (at least min_keep);
  // d.size() if rounding never reaches it.
  size_t prefix_len(const std::vector<TokenData>& d) const {
    double cum = 0.0;
    for (size_t i = 0; i < d.size(); ++i) {
      cum += d[i].p;
      if (cum >= p_ && i + 1 >= min_keep_) return i + 1;
    }
    return d.size();
  }

  // The last member (in the sorted order) of the smallest prefix of mass >= p, in linear time: bucket
  // the candidates by logit (monotone: a better candidate never lands in a later bucket), sum the mass
  // per bucket in index order (deterministic), and sort only the bucket where the sum crosses p.
  // Needs has_probs. Returns false when rounding never reaches p (keep everything).
  bool nucleus_last(const Candidates& c, std::vector<TokenData>& w, std::vector<double>& mass,
                    TokenData& last) const {
    constexpr int kBuckets = 4096;
    constexpr float kRange = 32.0f;  // logits further below the max share the last bucket
    float max_logit = kNegInf;
    for (const auto& t : c.data) max_logit = t.logit > max_logit ? t.logit : max_logit;
    auto bucket = [&](float l) {
      const float d = (max_logit - l) * (kBuckets / kRange);
      return d < float(kBuckets - 1) ? int(d) : kBuckets - 1;  // -inf and NaN: the last bucket
    };
    mass.assign(kBuckets, 0.0);
    for (const auto& t : c.data) mass[size_t(bucket(t.logit))] += t.p;
    double need = p_;
    int b = 0;
    for (; b < kBuckets; ++b) {
      if (mass[size_t(b)] >= need) break;
      need -= mass[size_t(b)];
    }
    if (b == kBuckets) return false;
    w.clear();
    for (const auto& t : c.data)
      if (bucket(t.logit) == b) w.push_back(t);
    std::sort(w.begin(), w.end(), better);
    for (const auto& t : w) {
      need -= t.p;
      if (need <= 0.0) {
        last = t;
        return true;
      }
    }
    last = w.back();  // rounding inside the bucket
    return true;
  }

 private:
  float p_;
  size_t min_keep_;
  std::vector<double> mass_;  // scratch
  std::vector<float> exps_;   // scratch
};

class MinP final : public Sampler {
 public:
  MinP(float p, size_t min_keep) : p_(p), min_keep_(std::max<size_t>(min_keep, 1)) {
    if (!(p >= 0.0f && p <= 1.0f)) fail("sampler: min-p must be in [0, 1] (got ", num(p), ")");
  }
  std::string name() const override { return "min-p"; }
  void apply(Candidates& c) override {
    if (p_ <= 0.0f || c.data.size() <= min_keep_) return;
    // p_i >= p * p_max  <=>  logit_i >= logit_max + log(p): no softmax needed.
    float max_logit = kNegInf;
    for (const auto& t : c.data) max_logit = std::max(max_logit, t.logit);
    if (max_logit == kNegInf) return;
    const float threshold = max_logit + std::log(p_);
    size_t n_keep = 0;
    for (const auto& t : c.data) n_keep += t.logit >= threshold;
    if (n_keep < min_keep_) {
      c.keep_top(min_keep_);
      return;
    }
    // Stable, branch-free removal (keeps sortedness).
    size_t kept = 0;
    for (size_t i = 0; i < c.data.size(); ++i) {
      const TokenData t = c.data[i];
      c.data[kept] = t;
      kept += size_t(t.logit >= threshold);
    }
    c.data.erase(c.data.begin() + ptrdiff_t(kept), c.data.end());
    c.has_probs = false;
  }

 private:
  float p_;
  size_t min_keep_;
};

class Penalties final : public Sampler {
 public:
  Penalties(int last_n, float repeat, float frequency, float presence)
      : last_n_(last_n), repeat_(repeat), frequency_(frequency), presence_(presence) {
    if (!(repeat > 0.0f) || !std::isfinite(repeat))
      fail("sampler: repeat penalty must be > 0 (got ", num(repeat), ")");
    if (!std::isfinite(frequency) || !std::isfinite(presence)) fail("sampler: penalties must be finite");
  }
  std::string name() const override { return "penalties"; }

  void accept(int32_t token) override { push(token); }
  void observe_prompt(const int32_t* tokens, int n) override {
    for (int i = 0; i < n; ++i) push(tokens[i]);
  }
  void reset() override {
    window_.clear();
    counts_.clear();
  }

  bool works_on_logits() const override { return true; }
  void apply_logits(float* logits, int n_vocab) override {
    for (const auto& [id, n] : counts_)
      if (id >= 0 && id < n_vocab) penalize(logits[id], n);
  }

  void apply(Candidates& c) override {
    if (counts_.empty()) return;
    // Fast path: every penalised id sits at its own index (candidates still in id order, as when the
    // penalties come first in the chain); otherwise one hashed pass over the candidates.
    bool direct = true;
    for (const auto& [id, n] : counts_)
      if (id < 0 || size_t(id) >= c.data.size() || c.data[size_t(id)].id != id) {
        direct = false;
        break;
      }
    if (direct) {
      for (const auto& [id, n] : counts_) penalize(c.data[size_t(id)].logit, n);
    } else {
      for (auto& t : c.data) {
        auto it = counts_.find(t.id);
        if (it != counts_.end()) penalize(t.logit, it->second);
      }
    }
    c.sorted = false;
    c.has_probs = false;
  }

 private:
  void push(int32_t token) {
    if (last_n_ == 0) return;
    window_.push_back(token);
    ++counts_[token];
    if (last_n_ > 0 && window_.size() > size_t(last_n_)) {
      auto it = counts_.find(window_.front());
      if (--it->second == 0) counts_.erase(it);
      window_.pop_front();
    }
  }
  void penalize(float& logit, int n) const {
    if (logit == kNegInf) return;
    logit = logit > 0.0f ? logit / repeat_ : logit * repeat_;
    logit -= float(n) * frequency_ + presence_;
  }

  int last_n_;
  float repeat_, frequency_, presence_;
  std::deque<int32_t> window_;
  std::unordered_map<int32_t, int> counts_;
};

}  // namespace

std::unique_ptr<Sampler> make_greedy() { return std::make_unique<Greedy>(); }
std::unique_ptr<Sampler> make_dist(uint64_t seed) { return std::make_unique<Dist>(seed); }
std::unique_ptr<Sampler> make_temperature(float t) { return std::make_unique<Temperature>(t); }
std::unique_ptr<Sampler> make_top_k(int k) { return std::make_unique<TopK>(k); }
std::unique_ptr<Sampler> make_top_p(float p, size_t min_keep) { return std::make_unique<TopP>(p, min_keep); }
std::unique_ptr<Sampler> make_min_p(float p, size_t min_keep) { return std::make_unique<MinP>(p, min_keep); }
std::unique_ptr<Sampler> make_penalties(int last_n, float repeat, float frequency, float presence) {
  return std::make_unique<Penalties>(last_n, repeat, frequency, presence);
}

// ---- chain

std::string SamplerChain::describe() const {
  std::string s;
  for (const auto& l : links_) {
    if (!s.empty()) s += " -> ";
    s += l->name();
  }
  return s;
}

int32_t SamplerChain::sample(const float* logits, int n_vocab) {
  if (n_vocab <= 0) fail("sampler: empty vocabulary");
  // Leading links that work on the raw logits (in a copy).
  const float* src = logits;
  size_t first = 0;
  for (; first < links_.size() && links_[first]->works_on_logits(); ++first) {
    if (src == logits) {
      logits_.assign(logits, logits + n_vocab);
      src = logits_.data();
    }
    links_[first]->apply_logits(logits_.data(), n_vocab);
  }
  const size_t rest = links_.size() - first;
  if (rest == 1 && dynamic_cast<const Greedy*>(links_[first].get())) {
    // Greedy: one argmax pass, no candidates array.
    const int32_t id = argmax_first(src, size_t(n_vocab));
    if (id < 0) fail("sampler: every candidate token is masked out");
    cand_.data.assign(1, TokenData{id, src[id], 1.0f});
    cand_.sorted = cand_.has_probs = true;
    cand_.selected = 0;
    return id;
  }
  const auto* top_k = rest ? dynamic_cast<const TopK*>(links_[first].get()) : nullptr;
  auto* top_p = rest ? dynamic_cast<TopP*>(links_[first].get()) : nullptr;
  if (top_p && top_p->try_first(src, n_vocab, cand_)) {
    ++first;  // the nucleus was among the best 256
  } else if (top_k && top_k->k() > 0 && top_k->k() < n_vocab) {
    cand_.reset_top_k(src, n_vocab, size_t(top_k->k()));  // same result as reset + top-k
    ++first;
  } else {
    cand_.reset(src, n_vocab);
  }
  for (size_t i = first; i < links_.size(); ++i) links_[i]->apply(cand_);
  if (cand_.selected < 0 || size_t(cand_.selected) >= cand_.data.size())
    fail("sampler: the chain selected no token (it must end in greedy or dist): ", describe());
  return cand_.data[size_t(cand_.selected)].id;
}

void SamplerChain::accept(int32_t token) {
  for (auto& l : links_) l->accept(token);
}

void SamplerChain::observe_prompt(const int32_t* tokens, int n) {
  for (auto& l : links_) l->observe_prompt(tokens, n);
}

std::vector<int32_t> SamplerChain::forced_tokens() {
  for (auto& l : links_) {
    std::vector<int32_t> f = l->forced_tokens();
    if (!f.empty()) return f;
  }
  return {};
}

void SamplerChain::reset() {
  for (auto& l : links_) l->reset();
}

SamplerChain make_chain(const SamplerParams& p) {
  SamplerChain chain;
  if (p.repeat_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f)
    chain.add(make_penalties(p.repeat_last_n, p.repeat_penalty, p.frequency_penalty, p.presence_penalty));
  if (!(p.temperature > 0.0f)) {
    if (std::isnan(p.temperature)) fail("sampler: temperature is NaN");
    chain.add(make_greedy());
    return chain;
  }
  if (p.top_k > 0) chain.add(make_top_k(p.top_k));
  if (p.top_p < 1.0f) chain.add(make_top_p(p.top_p));
  if (p.min_p > 0.0f) chain.add(make_min_p(p.min_p));
  chain.add(make_temperature(p.temperature));
  chain.add(make_dist(p.seed));
  return chain;
}

}  // namespace sotto
