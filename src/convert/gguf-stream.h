// gguf-stream.h — what the Hugging Face converters of src/convert share (internal to src/convert): GGUF metadata
// encoded exactly as tools/ref/ggufw.py encodes it, a plan of output tensors whose bytes are computed from
// memory-mapped safetensors a block of rows at a time, and the streamed writer (PATH.tmp, renamed when complete; the
// layout of ggufw.Writer.write: 32-byte alignment, each tensor padded), plus config.json reading helpers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convert/hf-convert.h"
#include "convert/safetensors.h"
#include "core/dtype.h"
#include "core/json.h"

namespace sotto::convert::detail {

struct Bytes {
  std::string b;
  void u32(uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void u64(uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
  void f32(float v) { b.append(reinterpret_cast<const char*>(&v), 4); }
  void str(const std::string& s) { u64(s.size()); b += s; }
};

// Metadata entries in order, each encoded as ggufw.Writer.add does: key, type, value.
class Kv {
 public:
  void u32(const std::string& k, uint32_t v) { head(k, 4).u32(v); }
  void f32(const std::string& k, float v) { head(k, 6).f32(v); }
  void boolean(const std::string& k, bool v) { head(k, 7).b += char(v ? 1 : 0); }
  void string(const std::string& k, const std::string& v) { head(k, 8).str(v); }
  void strings(const std::string& k, const std::vector<std::string>& v) {
    Bytes& o = array(k, 8, v.size());
    for (const auto& s : v) o.str(s);
  }
  void f32s(const std::string& k, const std::vector<float>& v) {
    Bytes& o = array(k, 6, v.size());
    for (float x : v) o.f32(x);
  }
  void i32s(const std::string& k, const std::vector<int32_t>& v) {
    Bytes& o = array(k, 5, v.size());
    for (int32_t x : v) o.u32(uint32_t(x));
  }
  size_t size() const { return n_; }
  const std::string& bytes() const { return out_.b; }

 private:
  Bytes& head(const std::string& k, uint32_t t) {
    n_++;
    out_.str(k);
    out_.u32(t);
    return out_;
  }
  Bytes& array(const std::string& k, uint32_t et, size_t n) {
    head(k, 9).u32(et);
    out_.u64(n);
    return out_;
  }
  Bytes out_;
  size_t n_ = 0;
};

// One output tensor. From a source: rows [row0, row0 + ne[1]) of `src` (a vector: elements [row0, row0 + ne[0])),
// each row transformed as asked, then written in `type`. Without a source: `values`, F32.
struct Planned {
  std::string name;
  DType type = DType::F32;
  std::vector<int64_t> ne;  // innermost first
  const StTensor* src = nullptr;
  int64_t row0 = 0;
  int permute_heads = 0;  // Llama's Q/K rows, per head [a0..a(h-1), b0..] -> [a0, b0, a1, ..] (export.permute_rows)
  bool plus_one = false;  // Gemma's norms: 1 + w
  int64_t conv_k = 0;     // a Conv1d kernel [C_out, C_in, K] stored as [C_out, K, C_in] (asr_gguf.conv)
  std::vector<float> values;
  uint64_t bytes() const;
};

// Reads n values of a float tensor from element `at` on, as float32 (F32 as is; F16 and BF16 exactly; F64 rounded
// to nearest), the values Python's float64 -> float32 round trip gives.
void read_values(const StTensor& t, int64_t at, int64_t n, float* out);
// "DIR: tensor NAME has dtype I16 (F32, F16, BF16 or F64 expected)" unless a float type.
void check_float(const StTensor& t, const std::string& dir);

// Writes the GGUF file (header, metadata, tensor table, data) to out_path through out_path.tmp; returns its size.
uint64_t write_gguf(const Kv& kv, const std::vector<Planned>& plan, const std::string& out_path, int n_threads);

// config.json helpers: a count (an integer-valued number in [0, 2^32)), a number, Python's truthiness of a value
// (absent, null, false, 0, "", [], {} are false).
uint32_t as_u32(const json::Value& v, const std::string& where, const char* key);
double as_num(const json::Value& v, const std::string& where, const char* key);
bool truthy(const json::Value* v);
size_t code_points(const std::string& s);  // of valid UTF-8 (Python's len of a str)

// asr-convert.cpp: a Moonshine or Whisper checkpoint (config.json's model_type "moonshine" / "whisper", parsed as
// `conf` from `cpath`), the file tools/ref/convert_asr.py writes.
ConvertReport convert_speech(const std::string& dir, const json::Value& conf, const std::string& cpath,
                             const std::string& out, const ConvertOptions& opt);

}  // namespace sotto::convert::detail
