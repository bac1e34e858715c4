// hf-convert.h — a Hugging Face checkpoint folder (config.json, model.safetensors or model-*.safetensors with
// model.safetensors.index.json, tokenizer.json) of a supported decoder (Llama / SmolLM2, Qwen2 / Qwen2.5, Qwen3, Gemma 3
// text) to GGUF, in C++, with no Python.
// Does: write the same file as the Python converter (tools/train/base.py load_hf + export, which writes through
// tools/ref/export.py): the same metadata keys, values and order, the same tensor names, order, layout (Llama's
// Q/K rows permuted per head, Gemma's norms stored as 1 + w, Llama 3 RoPE scaling as rope_freqs.weight), F32
// norms and biases, and F32 / F16 / BF16 tensors byte for byte; Q8_0 / Q4_0 / Q4_K through the engine's own
// quantizers (core/quant.h). Source tensors F32, F16, BF16 (F64 too) are read from the memory-mapped files one
// block of rows at a time; the output is streamed to disk (written to PATH.tmp, renamed when complete).
// Intended differences from the Python converter (docs/models.md, "Converting a Hugging Face checkpoint"):
// quantized blocks come from core/quant.cpp, not tools/ref/quants.py (Q4_K searches its scales); a matrix whose
// rows do not fill the requested quant blocks is written in the nearest type that fits (Q4_K -> Q4_0 -> F16,
// Q8_0 / Q4_0 -> F16) and reported, where Python stops; every bad input is a one-line sotto::Error.
// Speech: a Moonshine or Whisper checkpoint (model_type "moonshine" / "whisper") becomes the file
// tools/ref/convert_asr.py writes, byte for byte (asr-convert.cpp; F32 / F16, Moonshine also Q8_0 / Q4_0).
// SmolVLM / Idefics3 (model_type "idefics3" / "smolvlm"): the language model (model.text_model.*, lm_head) as
// above, a Llama, and the vision tower and connector as a second, "mmproj" GGUF (vision-convert.h).
// Does not: read tokenizer_config.json / generation_config.json (the Python converters do not either), or convert
// embedding checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace sotto::convert {

struct ConvertOptions {
  DType type = DType::F16;  // matrices and the embedding; F32, F16, BF16, Q8_0, Q4_0 or Q4_K
  int n_threads = 1;        // quantizing threads (<= 0: all cores)
};

struct ConvertReport {
  std::string arch;                    // "llama", "qwen2", "qwen3", "gemma3", "moonshine", "whisper"
  size_t n_tensors = 0;
  uint64_t n_bytes = 0;                // of the GGUF written
  std::vector<std::string> fallbacks;  // "blk.0.attn_q.weight: q4_0 (576 columns are not a multiple of 256)"
  std::string mmproj_path;             // SmolVLM / Idefics3: the vision GGUF written (vision-convert.h), else empty
  size_t mmproj_tensors = 0;
  uint64_t mmproj_bytes = 0;
};

// True when `path` is a directory holding a config.json (what -m accepts as a checkpoint folder).
bool is_hf_dir(const std::string& path);

// Converts the checkpoint folder `dir` to the GGUF file `out`; throws sotto::Error ("DIR: ..." or "FILE: ...").
// A SmolVLM / Idefics3 folder also gives the vision GGUF `mmproj_out` (empty: "mmproj-" + out's name, beside it).
ConvertReport convert_hf(const std::string& dir, const std::string& out, const ConvertOptions& opt = {},
                         const std::string& mmproj_out = "");

}  // namespace sotto::convert
