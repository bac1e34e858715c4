// dtype.h — element types, quant block layouts and half-precision conversion.
// Type ids are the GGML/GGUF ids so files made elsewhere load unchanged.
// Does: sizes of rows, fp16/bf16 <-> f32. Does not: quantize or dequantize (see quant.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace sotto {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q4_K = 12,
  I32 = 26,
  BF16 = 30,
};

// Elements per block and bytes per block (1 and sizeof(element) for plain types).
int64_t dtype_block_size(DType t);
size_t dtype_block_bytes(DType t);
const char* dtype_name(DType t);
bool dtype_known(uint32_t raw);                 // one of the ids above
DType dtype_from_name(const std::string& name);  // "q8_0" -> Q8_0; throws Error on unknown

// Bytes of a row of n elements (n must be a multiple of the block size; throws Error otherwise).
size_t dtype_row_bytes(DType t, int64_t n);

// Quant block layouts (GGML). Q8_0 and Q4_0 hold 32 values, Q4_K holds 256.
constexpr int QK8_0 = 32;
constexpr int QK4_0 = 32;
constexpr int QK_K = 256;
constexpr int K_SCALE_SIZE = 12;

struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[QK8_0];
};
struct BlockQ4_0 {
  uint16_t d;              // fp16 scale
  uint8_t qs[QK4_0 / 2];   // value j: low nibble of qs[j] (j<16), high nibble of qs[j-16]; minus 8
};
struct BlockQ4_K {
  uint16_t d;                      // fp16 super-block scale for the 6-bit sub-block scales
  uint16_t dmin;                   // fp16 super-block scale for the 6-bit sub-block mins
  uint8_t scales[K_SCALE_SIZE];    // 8 scales and 8 mins, 6 bits each, packed
  uint8_t qs[QK_K / 2];            // 4-bit quants
};
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);

// IEEE half <-> float, exact round-to-nearest-even; no hardware needed.
float fp16_to_f32(uint16_t h);
uint16_t f32_to_fp16(float f);
inline float bf16_to_f32(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t f32_to_bf16(float f);  // round to nearest even, NaN kept NaN

}  // namespace sotto
