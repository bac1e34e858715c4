// device-sampler.h — the host side of sampling on a device (WebGPU: backend/webgpu/webgpu-sample.h): the
// state the CPU sampler chain (sampler.h) keeps between steps, kept here instead, so that the device picks
// the token the chain make_chain(params) [with make_grammar_sampler(grammar, tok) first] would pick:
//   - the grammar matcher (one GrammarSampler, so forced tokens are split as on the CPU): per step the
//     packed allowed-token mask of its state (pack_mask_for_logits), for upload;
//   - the repetition-penalty window (the CPU's Penalties: prompt + every accepted token, last_n of them),
//     as (id, count) pairs;
//   - the RNG (the CPU Dist's xoshiro256** with the same seed): one draw per sampled step;
//   - whether the CPU walks the survivors in id order (a grammar that leaves at most top_k tokens, taken
//     through the grammar link's gather path, with top-p off: then nothing sorts them on the CPU).
// Loop: observe_prompt(); then per step: step(n_logits) -> device samples -> accept(id) -> forced_tokens()
// (accept each, run them with id in one forward, as generate.cpp's fast-forward does).
// Does not: sample (the device does), touch the model. top_k must be 1..256 when temperature > 0.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend/webgpu/webgpu-sample.h"
#include "grammar/matcher.h"
#include "runtime/grammar-sampler.h"
#include "runtime/sampler.h"

namespace sotto {

class Tokenizer;

// A link after the grammar on the device path, as a CPU chain link placed right after the grammar link narrows
// its candidates (apps/scribe/evidence.h: a note's free-text values copied from the transcript). Per step:
// nullptr (every token allowed now) or a mask over the grammar's vocabulary (bit id & 31 of word id >> 5). Where
// no grammar-allowed token is in it the step keeps the grammar's mask and device_fallback() is called, as the
// CPU link leaves such a step to the grammar. accept() sees every chosen token, sampled or forced.
class MaskLink {
 public:
  virtual ~MaskLink() = default;
  virtual const uint32_t* device_mask() = 0;
  virtual void device_fallback() {}
  virtual void accept(int32_t id) = 0;
};

class DeviceSampler {
 public:
  // Throws Error on parameters make_chain() refuses, and on top_k outside 1..256 with temperature > 0.
  // `link` (needs a grammar) narrows the grammar's mask each step: the chain [grammar, link, ...] of the CPU.
  DeviceSampler(const SamplerParams& params, std::shared_ptr<grammar::CompiledGrammar> grammar,
                const Tokenizer* tok, std::unique_ptr<MaskLink> link = nullptr);

  void observe_prompt(const int32_t* ids, int n);
  // The parameters of the next sampled step over a logits row of n_logits (>= the grammar's vocabulary):
  // the mask of the current grammar state, the penalties, and (temperature > 0) a new draw.
  const GpuSampleParams& step(int32_t n_logits);
  // A chosen token (sampled or forced): advances the grammar (Error if it does not allow it) and the
  // penalty window.
  void accept(int32_t id);
  // Tokens the grammar forces now (empty without a grammar); not accepted.
  std::vector<int32_t> forced_tokens();
  bool has_grammar() const { return grammar_ != nullptr; }
  // Mask time of the steps so far (matcher mask + packing), for benchmarks.
  double mask_seconds() const { return mask_s_; }
  int n_steps() const { return n_steps_; }

 private:
  SamplerParams sp_;
  bool penalties_;
  std::unique_ptr<GrammarSampler> grammar_;
  std::unique_ptr<MaskLink> link_;
  std::vector<uint32_t> narrowed_;
  Rng rng_;
  std::deque<int32_t> window_;
  std::unordered_map<int32_t, int> counts_;
  std::vector<uint32_t> packed_;
  GpuSampleParams gp_;
  double mask_s_ = 0.0;
  int n_steps_ = 0;
};

}  // namespace sotto
