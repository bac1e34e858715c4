// vision-convert.h — the vision half of a SmolVLM / Idefics3 Hugging Face checkpoint (config.json model_type
// "idefics3" or "smolvlm" with text_config and vision_config; model.vision_model.*,
// model.connector.modality_projection.proj.weight) as an "mmproj" GGUF: the clip.* keys and v.* / mm.* names the
// engine's loader reads (src/models/siglip.h, docs/vision.md "The mmproj file"), the same bytes as
// tools/ref/mmproj_gguf.py writes for the same tensors (matrices: F32 for --type f32, F16 for f16 / bf16 as its
// "f16", Q8_0 for q8_0 / q4_0 / q4_k as its "q8_0": the tower is not taken below 8 bits; the patch convolution and
// rows that do not fill 32-value blocks stay F16; the position table, norms and biases F32). The language model half (model.text_model.*, lm_head) is converted by
// hf-convert.cpp as a Llama checkpoint.
// Does: check every vision tensor's presence and shape against the config before anything is written, and read
// preprocessor_config.json (size.longest_edge -> clip.vision.preproc_image_size when it is not 4 x image_size, the
// loader's default; image_mean / image_std). Does not: quantize the tower below Q8_0, read processor_config.json
// (image_seq_len follows from the shapes).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "convert/gguf-stream.h"

namespace sotto::convert::detail {

// True for the model_type values of a SmolVLM / Idefics3 checkpoint.
bool is_vlm_type(const std::string& model_type);

// The mmproj file planned (validated, nothing written yet): write with write_gguf(kv, plan, ...).
struct MmprojPlan {
  std::vector<std::unique_ptr<SafetensorsFile>> files;  // keeps the planned tensors' sources mapped
  Kv kv;
  std::vector<Planned> plan;
  std::vector<std::string> fallbacks;  // "v.blk.0.ffn_down.weight: f16 (80 columns are not a multiple of 32)"
};

// The mmproj's matrix type for the language model's --type: F32, F16 (f16, bf16) or Q8_0 (q8_0, q4_0, q4_k).
DType mmproj_matrix_type(DType lm_type);

// `top` is config.json parsed from `cpath`; throws a one-line sotto::Error ("DIR: ...", "config.json: ...").
std::unique_ptr<MmprojPlan> plan_mmproj(const std::string& dir, const json::Value& top, const std::string& cpath,
                                        const ConvertOptions& opt);

// Where the mmproj goes when not given: "mmproj-" + the LM file's name, beside it.
std::string default_mmproj_path(const std::string& lm_out);

}  // namespace sotto::convert::detail
