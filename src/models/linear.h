// linear.h — the weights of a linear layer (W, and a bias that may be empty) and of a norm (weight, bias), as the
// encoders hold them (whisper.cpp, siglip.cpp, bert.cpp), y = x W + b on a backend, and the checked load of one weight.
#pragma once

#include <string>

#include "backend/backend.h"

namespace sotto {

class GgufFile;

// The weight `name` of f made usable by `be`: a one-line error naming the file and tensor when it is missing, has
// another shape than ne, or a type the backend cannot use for op; tensors not used as matrices (op other than
// MatMul, Conv1d, GetRows) must be f32. f must outlive the result (the CPU backend keeps a view).
Tensor load_weight(const GgufFile& f, Backend& be, const std::string& name, Shape ne, Op op);

struct Lin {
  Tensor w, b;  // b may be empty
};
struct Norm {
  Tensor w, b;
};

inline void apply_lin(Backend& be, const Lin& l, const Tensor& x, Tensor& y) {
  be.matmul(l.w, x, y);
  if (!l.b.empty()) be.add(y, l.b, y);
}

}  // namespace sotto
