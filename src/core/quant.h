// quant.h — reference (scalar) quantize / dequantize of rows for every weight dtype.
// Does: F32, F16, BF16 conversion and the GGML block formats Q8_0, Q4_0, Q4_K (layouts in dtype.h), one
// row at a time or a whole [n_cols, n_rows] matrix. These are the plain twins every fast kernel and the
// NumPy/WebGPU implementations are checked against; they favour clarity over speed.
// Does not: SIMD, threading, or the 8-bit activation blocks of the CPU matmul (see backend/cpu/).
//
// Formats (value = what dequantize returns):
//   Q8_0: 32 values, fp16 d, int8 q:               x = d * q
//   Q4_0: 32 values, fp16 d, 4-bit q in [0, 15]:   x = d * (q - 8)
//   Q4_K: 256 values = 8 sub-blocks of 32, fp16 d and dmin, 6-bit scale sc_j and min m_j per sub-block
//         packed in 12 bytes, 4-bit q:             x = d * sc_j * q - dmin * m_j
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace sotto {

// n must be a multiple of the dtype's block size (throws Error otherwise). I32 is not a float type and
// is rejected. y receives dtype_row_bytes(t, n) bytes.
void quantize_row(DType t, const float* x, void* y, int64_t n);
void dequantize_row(DType t, const void* x, float* y, int64_t n);

// x: [n_cols, n_rows] row-major floats -> n_rows rows of dtype_row_bytes(t, n_cols) bytes.
std::vector<uint8_t> quantize_tensor(DType t, const float* x, int64_t n_rows, int64_t n_cols);

// Q4_K's packed 6-bit scales: sub-block j (0..7) -> (scale, min).
void q4_k_get_scale_min(const uint8_t* scales, int j, uint8_t* sc, uint8_t* m);
void q4_k_set_scale_min(uint8_t* scales, int j, uint8_t sc, uint8_t m);  // scales zeroed by the caller first

}  // namespace sotto
