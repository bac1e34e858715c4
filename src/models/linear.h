// linear.h — the weights of a linear layer (W, and a bias that may be empty) and of a norm (weight, bias), as the
// encoders hold them (whisper.cpp, siglip.cpp), and y = x W + b on a backend.
#pragma once

#include "backend/backend.h"

namespace sotto {

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
