// webgpu-sample.h — token sampling on the GPU (sample-select.wgsl + sample-pick.wgsl, two dispatches), so a
// decode step reads back only the 4-byte token id. It reproduces the CPU sampler chain
// (runtime/sampler.h: [grammar] -> [penalties] -> top-k -> top-p -> min-p -> temperature -> dist, or
// greedy) on one logits row: the grammar mask and the penalties are applied to the logits, the k best are
// selected exactly (ties by lowest id), and the rest of the chain runs on them in the CPU's order. The
// uniform draw comes from the host (the CPU's Rng), so the same logits and draw give the CPU's token except
// at near-ties (the GPU sums probabilities in f32, the CPU in double: see docs/grammar.md).
// runtime/device-sampler.h builds these parameters from SamplerParams and a grammar; this file only runs them.
// Does not: top-k off or above 256 (the caller refuses those), several rows.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "backend/backend.h"

namespace sotto {

struct GpuSampleParams {
  int top_k = 1;              // 1..256 candidates kept (1 with greedy = argmax)
  bool draw = false;          // false: greedy (the best candidate); true: top-p/min-p/temperature/dist
  float top_p = 1.0f;         // >= 1: off
  float min_p = 0.0f;         // <= 0: off
  float inv_temp = 1.0f;      // 1 / temperature (the CPU's float division)
  float u = 0.0f;             // the draw in [0, 1)
  bool id_order = false;      // the CPU walks the survivors in id order (see DeviceSampler)
  const uint32_t* mask = nullptr;  // packed allowed-token bits [packed_mask_words(n_logits)], or null
  std::vector<std::pair<int32_t, int32_t>> penalties;  // (token id, count in the window)
  float repeat = 1.0f, frequency = 0.0f, presence = 0.0f;
};

// Samples one token from logits (F32 [n_logits], one row) into out (I32 [1]); records the dispatches
// (nothing is submitted). An id of 0xffffffff (-1) in out means every token was masked.
void webgpu_sample(Backend& be, const Tensor& logits, const GpuSampleParams& p, Tensor& out);

}  // namespace sotto
