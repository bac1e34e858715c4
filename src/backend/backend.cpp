// backend.cpp — backend-independent tensor views (view_rows, reshape); see backend.h.
#include "backend/backend.h"

#include "core/error.h"

namespace sotto {

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
