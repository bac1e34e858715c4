// session.h — the wasm ABI's language-model session (wasm/sotto-abi.cpp), shared with the ABI files that add to it
// (wasm/vision-abi.cpp: images spliced into its prompt). Internal to the wasm build: the host sees a Session* only
// as an opaque handle.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "grammar/grammar.h"
#include "runtime/device-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"

namespace sotto_wasm {

struct VisionState;  // wasm/vision-abi.cpp

struct Session {
  sotto::LoadedModel lm;
  sotto::KvCache cache;
  sotto::SamplerChain chain;
  std::vector<float> logits;  // [n_vocab] of the last position run
  std::vector<int32_t> ids;   // output of sotto_tokenize
  std::string out;            // output of sotto_piece / sotto_detokenize
  int n_ctx = 0;
  int n_past = 0;
  bool gpu = false;
  sotto::Tensor next_tok;    // I32 {1} on the GPU: the argmax of the last logits
  int32_t pending = -1;      // its value once the host has completed the read
  // Greedy pipelining (sotto_gpu_pipeline, on by default): the step after the one in flight is recorded with the
  // device's argmax as its input, before that token is read back, so the GPU runs step n while step n + 1 is
  // recorded. Up to two 4-byte reads are pending, the oldest at ring[ring_head]; n_given: the prompt and the
  // tokens returned (n_past runs one ahead while a step is in flight).
  bool pipeline = true;   // the setting, taken by the next sotto_gpu_start
  bool pipelined = false;  // this generation's
  int32_t ring[2] = {-1, -1};
  int ring_head = 0, in_flight = 0, n_given = 0;
  uint32_t dispatches = 0;   // dispatches recorded by the last sotto_gpu_start / sotto_gpu_next
  int gpu_chunk = 512;       // prompt tokens a WebGPU forward pass takes (sotto_gpu_prefill_chunk)
  // Grammar and sampling on either backend (sotto_set_grammar, sotto_gpu_start_sampled).
  std::shared_ptr<sotto::grammar::CompiledGrammar> grammar;
  std::string grammar_key;                        // kind + text of the compiled grammar
  std::unique_ptr<sotto::DeviceSampler> dsampler;  // WebGPU sessions started with sotto_gpu_start_sampled
  bool has_pending = false;                       // dsampler: a token read is pending (pending -1: all masked)
  std::deque<int32_t> queued;                     // forced tokens already run, returned by the next calls
  // A link after the grammar for the next sotto_gpu_start_sampled only (taken by it): the note's evidence constraint
  // (sotto_scribe_gpu_evidence, wasm/scribe-abi.cpp), as the CPU note's chain has it.
  std::unique_ptr<sotto::MaskLink> next_link;
  // Prompt reuse on the CPU (sotto_prompt_reuse, off by default): held are the tokens whose K/V the cache holds at
  // positions 0..held.size() (the last prompt and the answer tokens run; cleared when the cache holds anything
  // else, such as image rows); a start keeps the longest prefix of its prompt they share (n_reused).
  // WebGPU sessions too: held is the prompt and the tokens sotto_gpu_next returned (gpu_held: while that holds; its
  // first min(held.size(), n_past) are in the cache).
  bool prompt_reuse = false;
  std::vector<int32_t> held;
  int n_reused = 0;
  bool gpu_held = false;
  // The vision tower attached by sotto_vision_load (wasm/vision-abi.cpp). Last: destroyed first, before the
  // backend its weights live on.
  std::shared_ptr<VisionState> vision;
};


// The sampler settings of the ABI's start calls (seed as two 32-bit halves).
inline sotto::SamplerParams sampler_params(float temp, int top_k, float top_p, float min_p, float repeat_penalty,
                                           uint32_t seed_lo, uint32_t seed_hi) {
  sotto::SamplerParams sp;
  sp.temperature = temp;
  sp.top_k = top_k;
  sp.top_p = top_p;
  sp.min_p = min_p;
  sp.repeat_penalty = repeat_penalty;
  sp.seed = (uint64_t(seed_hi) << 32) | seed_lo;
  return sp;
}

// A CPU session's new generation of prompt ids[0..n) (checked: not empty, fits the context, ids in the vocabulary;
// errors start with `who`): a fresh sampler chain (the grammar first when one is set) that has seen the prompt, an
// empty cache, n_past 0. The caller prefills and sets logits and n_past. With reuse (and sotto_prompt_reuse on):
// the cache keeps the longest prefix of ids it holds already (at most n - 1; n_past and n_reused set to it), and
// the caller prefills from there and sets held to ids. Without, held is cleared. (wasm/sotto-abi.cpp)
void begin_generation(Session* s, const char* who, const int32_t* ids, int n, const sotto::SamplerParams& sp,
                      bool reuse = false);

// A WebGPU session's greedy generation of ids[0..n) (sotto_gpu_start), with rows over the token embeddings at spans
// (the images of wasm/vision-abi.cpp; the rows are copied to the device while this runs). (wasm/sotto-abi.cpp)
void gpu_start(Session* s, const int32_t* ids, int n, const std::vector<sotto::EmbdSpan>& spans);
// The same with the sampler chain (and the grammar of sotto_set_grammar) on the device (sotto_gpu_start_sampled).
void gpu_start_sampled(Session* s, const int32_t* ids, int n, const sotto::SamplerParams& sp,
                       const std::vector<sotto::EmbdSpan>& spans);

}  // namespace sotto_wasm
