// sampler.h — choosing the next token: a chain of samplers over a candidates array (llama.cpp style).
// Each Sampler transforms the candidates (drops some, rescales logits, masks to -inf) in apply(); the last
// link of a chain selects one (Candidates::selected). Stateful samplers (repetition penalties, a grammar)
// learn the chosen token in accept() and the prompt in observe_prompt().
// A grammar link (runtime/grammar-sampler.h) is one more Sampler, put first with add_front(): it drops (or
// masks to -inf) forbidden tokens in apply() and advances its matcher in accept(); every sampler here
// tolerates -inf logits, and a chain left with no finite candidate throws a sotto::Error.
//
// Determinism: the distribution sampler uses its own PRNG (xoshiro256**, seeded through splitmix64), no
// std:: distributions, a total order for every sort and a fixed summation order, so the same seed and
// logits give the same tokens with any standard library.
// Ties: greedy picks the lowest token id among equal maxima; sorts order equal logits by token id.
// Performance (262k vocabulary): links that work on raw logits (penalties) run first without building
// candidates; greedy is then one argmax pass; a leading top-k gathers only the few logits above a bound
// (block maxima) and partially sorts them; top-p without top-k takes the softmax of the raw logits and
// looks among the best 256 first (no full array either), then finds a wide nucleus by bucketing logits
// (linear), never a full sort. Measured: bench/bench-sampler.cpp.
// Does not: touch the model, decode text, or know about end-of-generation (see generate.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sotto {

struct TokenData {
  int32_t id;
  float logit;
  float p;  // probability; valid only after softmax (Candidates::has_probs)
};

struct Candidates {
  std::vector<TokenData> data;  // [size]
  bool sorted = false;          // descending by logit (ties by ascending id)
  bool has_probs = false;       // p = softmax(logit) over the current data
  int32_t selected = -1;        // index into data chosen by the final sampler; -1 before
  std::vector<float> work;      // scratch for samplers (no meaning between calls)
  std::vector<TokenData> spare; // scratch for samplers (no meaning between calls)

  // Fills one candidate per vocabulary entry, in id order (data[i].id == i).
  void reset(const float* logits, int n_vocab);
  size_t size() const { return data.size(); }
  // p = softmax(logits) over the current candidates (max-subtracted, own exp, double accumulation).
  // Throws Error when no candidate is left or every logit is -inf/NaN.
  void softmax();
  // Sorts descending by logit (ties by id) if not sorted already.
  void sort();
  // Keeps the k best in sorted order (partial sort); k >= size() just sorts.
  void keep_top(size_t k);
  // reset() then keep_top(k), without building the full array (the chain's fast path for top-k first).
  void reset_top_k(const float* logits, int n_vocab, size_t k);
};
// A sampler that changes logits clears has_probs, and clears sorted unless the change keeps the order;
// one that drops candidates keeps the survivors' relative order (or sorts them) and clears has_probs.

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  virtual void apply(Candidates& c) = 0;
  // Optional fast path for links at the head of a chain: the same transform as apply(), done in place on
  // the raw logits [n_vocab] in id order, before any candidates array exists (penalties; a grammar mask).
  virtual bool works_on_logits() const { return false; }
  virtual void apply_logits(float* /*logits*/, int /*n_vocab*/) {}
  // The token chosen for this step (after the whole chain ran).
  virtual void accept(int32_t /*token*/) {}
  // Prompt tokens (before generation); penalties count them, a grammar ignores them.
  virtual void observe_prompt(const int32_t* /*tokens*/, int /*n*/) {}
  // Forgets state for a new, unrelated sequence (penalty window; the RNG keeps its stream).
  virtual void reset() {}
  // Tokens that must come next whatever the logits say (a grammar with one continuation); not accepted.
  virtual std::vector<int32_t> forced_tokens() { return {}; }
};

// xoshiro256** with splitmix64 seeding. next_double() is in [0, 1) with 53 random bits.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  void seed_with(uint64_t seed);
  uint64_t next();
  double next_double() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t s_[4];
};

// ---- the individual samplers
// Each make_* returns one link. Parameters outside their useful range are sotto::Error (e.g. top_p in
// (0, 1], temperature >= 0). min_keep (>= 1) bounds how many candidates a filter may leave.
std::unique_ptr<Sampler> make_greedy();                      // selects the argmax
std::unique_ptr<Sampler> make_dist(uint64_t seed);           // softmax then draws one from p
std::unique_ptr<Sampler> make_temperature(float t);          // logit /= t; t == 0 keeps only the argmax
std::unique_ptr<Sampler> make_top_k(int k);                  // keeps the k largest logits (k <= 0: off)
std::unique_ptr<Sampler> make_top_p(float p, size_t min_keep = 1);  // smallest prefix with sum(p) >= p
std::unique_ptr<Sampler> make_min_p(float p, size_t min_keep = 1);  // keeps p_i >= p * p_max
// Penalties over the last `last_n` accepted/prompt tokens (last_n < 0: whole history). For a token seen
// c > 0 times: logit = logit > 0 ? logit / repeat : logit * repeat; then logit -= c * frequency + presence.
std::unique_ptr<Sampler> make_penalties(int last_n, float repeat, float frequency, float presence);

// ---- the chain
class SamplerChain {
 public:
  SamplerChain() = default;
  SamplerChain(SamplerChain&&) = default;
  SamplerChain& operator=(SamplerChain&&) = default;

  void add(std::unique_ptr<Sampler> s) { links_.push_back(std::move(s)); }
  void add_front(std::unique_ptr<Sampler> s) { links_.insert(links_.begin(), std::move(s)); }
  size_t size() const { return links_.size(); }
  Sampler& at(size_t i) { return *links_[i]; }
  std::string describe() const;  // "penalties -> top-k -> ... -> dist"

  // Runs every link over logits [n_vocab] and returns the selected token id; the chain must end in a
  // selecting sampler (greedy or dist). Throws Error if no candidate is left or none was selected
  // (e.g. a grammar masked every token). Does not call accept().
  int32_t sample(const float* logits, int n_vocab);
  void accept(int32_t token);
  void observe_prompt(const int32_t* tokens, int n);
  void reset();
  // The first non-empty forced_tokens() of the links (empty when nothing is forced).
  std::vector<int32_t> forced_tokens();

  // The candidates of the last sample() call (for inspection and tests).
  const Candidates& candidates() const { return cand_; }

 private:
  std::vector<std::unique_ptr<Sampler>> links_;
  Candidates cand_;
  std::vector<float> logits_;  // copy of the logits for links that work on them
};

struct SamplerParams {
  float temperature = 0.8f;      // <= 0: greedy (the filters below are then skipped)
  int top_k = 40;                // <= 0: off
  float top_p = 0.95f;           // >= 1: off
  float min_p = 0.05f;           // <= 0: off
  float repeat_penalty = 1.0f;   // 1: off
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int repeat_last_n = 64;        // window of the penalties; -1: whole history
  uint64_t seed = 0;
};

// penalties (if any) -> greedy, or penalties -> top-k -> top-p -> min-p -> temperature -> dist.
// Throws Error on out-of-range parameters.
SamplerChain make_chain(const SamplerParams& params);

}  // namespace sotto
