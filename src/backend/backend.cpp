// backend.cpp — backend-independent tensor views (view_rows, reshape); see backend.h.
#include "backend/backend.h"

#include "core/error.h"

#include <vector>

namespace sotto {

void Backend::argmax(const Tensor& x, Tensor& out) {
  if (x.type != DType::F32 || out.type != DType::I32 || out.nelements() != x.nrows()) {
    fail("argmax: x must be f32 {n, rows} and out i32 {rows}, got ", shape_str(x.ne), " and ", shape_str(out.ne));
  }
  std::vector<float> v(size_t(x.nelements()));
  read(x, v.data(), v.size() * sizeof(float));
  std::vector<int32_t> idx(size_t(x.nrows()));
  const size_t n = size_t(x.ne[0]);
  for (size_t r = 0; r < idx.size(); r++) {
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
      if (v[r * n + i] > v[r * n + best]) best = i;
    }
    idx[r] = int32_t(best);
  }
  write(out, idx.data(), idx.size() * sizeof(int32_t));
}

Tensor view_rows(const Tensor& t, int64_t r0, int64_t n) {
  if (r0 < 0 || n < 0 || r0 + n > t.nrows()) {
    fail("view_rows: rows [", std::to_string(r0), ", ", std::to_string(r0 + n), ") out of range for tensor ",
         shape_str(t.ne));
  }
  Tensor v = t;
  v.extra.reset();
  v.ne = {t.ne[0], n, 1, 1};
  if (t.data) v.data = static_cast<uint8_t*>(t.data) + size_t(r0) * t.row_bytes();
  return v;
}

Tensor reshape(const Tensor& t, Shape ne) {
  for (int64_t d : ne) {
    if (d < 0) fail("reshape: negative dimension in ", shape_str(ne));
  }
  Tensor v = t;
  v.extra.reset();
  v.ne = ne;
  if (v.nelements() != t.nelements() || (ne[0] % dtype_block_size(t.type)) != 0) {
    fail("reshape: cannot view ", dtype_name(t.type), " tensor ", shape_str(t.ne), " as ", shape_str(ne));
  }
  return v;
}

}  // namespace sotto
