// weights.cpp — load_weight of models/linear.h: one weight of a GGUF file, checked, on a backend.
#include "core/error.h"
#include "core/gguf.h"
#include "models/linear.h"

namespace sotto {

Tensor load_weight(const GgufFile& f, Backend& be, const std::string& name, Shape ne, Op op) {
  const GgufTensorInfo* t = f.find_tensor(name);
  if (!t) fail(f.path(), ": missing tensor ", name);
  if (t->ne != ne) fail(f.path(), ": tensor ", name, " has shape ", shape_str(t->ne), ", expected ", shape_str(ne));
  if (!be.supports(op, t->type)) {
    fail(f.path(), ": tensor ", name, " has type ", dtype_name(t->type), ", which the ", be.name(),
         " backend cannot use here");
  }
  if (op != Op::MatMul && op != Op::Conv1d && op != Op::GetRows && t->type != DType::F32) {
    fail(f.path(), ": tensor ", name, " must be f32, is ", dtype_name(t->type));
  }
  return be.upload(t->view);
}

}  // namespace sotto
