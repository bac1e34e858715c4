// tensor.h — a contiguous n-d array view with shared ownership of its storage.
// Shapes follow GGML: ne[0] is the innermost (fastest-varying) dimension. A weight W of a linear layer
// with n_in inputs and n_out outputs has ne = {n_in, n_out}: n_out rows of n_in elements.
// Activations are F32 with ne = {n, n_tokens} unless said otherwise.
// `data` is a host pointer for the CPU backend and an opaque handle for other backends.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "core/dtype.h"

namespace sotto {

using Shape = std::array<int64_t, 4>;

struct Tensor {
  DType type = DType::F32;
  Shape ne{1, 1, 1, 1};
  void* data = nullptr;
  std::shared_ptr<void> owner;  // keeps storage alive; empty for views into memory owned elsewhere (mmap)
  // Backend-private companion data of an uploaded weight (the CPU backend's repacked Q4_0 layout). It
  // travels with copies of the tensor; view_rows and reshape drop it, since it describes the whole tensor.
  std::shared_ptr<const void> extra;

  int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t nrows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return dtype_row_bytes(type, ne[0]); }
  size_t nbytes() const { return row_bytes() * size_t(nrows()); }
  bool empty() const { return data == nullptr; }

  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

std::string shape_str(const Shape& ne);  // "[4096, 32]" (trailing 1s dropped)

}  // namespace sotto
