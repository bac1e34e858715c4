// backend.cpp — backend-independent tensor views (view_rows, reshape); see backend.h.
#include "backend/backend.h"

#include "core/error.h"

#include <vector>

namespace sotto {

void Backend::get_rows_device(const Tensor& table, const Tensor& ids, Tensor& out) {
  if (ids.type != DType::I32) fail("get_rows_device: ids must be i32, got ", dtype_name(ids.type));
  std::vector<int32_t> v(size_t(ids.nelements()));
  read(ids, v.data(), v.size() * sizeof(int32_t));
  get_rows(table, v.data(), int(v.size()), out);
}

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

Tensor Backend::upload_file(const Tensor& shape, uint64_t file_offset) {
  (void)file_offset;
  fail("the ", name(), " backend needs the bytes of a ", shape_str(shape.ne), " weight in memory");
}

void Backend::norm_matmul(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w,
                          const Tensor& bias, Tensor& y) {
  rms_norm(x, norm_w, eps, h);
  matmul(w, h, y);
  if (!bias.empty()) add(y, bias, y);
}

void Backend::norm_qkv(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq,
                       const Tensor& bq, Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k, const Tensor& wv,
                       const Tensor& bv, Tensor& v) {
  norm_matmul(x, norm_w, eps, h, wq, bq, q);
  norm_matmul(x, norm_w, eps, h, wk, bk, k);
  norm_matmul(x, norm_w, eps, h, wv, bv, v);
}

void Backend::matmul_add(const Tensor& w, const Tensor& x, Tensor& tmp, Tensor& y) {
  matmul(w, x, tmp);
  add(y, tmp, y);
}

void Backend::norm_gate_up(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w_gate,
                           const Tensor& w_up, bool gelu, Tensor& up, Tensor& y) {
  rms_norm(x, norm_w, eps, h);
  matmul(w_gate, h, y);
  matmul(w_up, h, up);
  if (gelu) {
    geglu(y, up, y);
  } else {
    swiglu(y, up, y);
  }
}

void Backend::norm_add(Tensor& o, const Tensor& w, float eps, Tensor& x) {
  rms_norm(o, w, eps, o);
  add(x, o, x);
}

void Backend::rope_store(Tensor& q, Tensor& k, const Tensor& v, Tensor& cache_k, Tensor& cache_v, int n_past,
                         const RopeParams& p) {
  rope(q, n_past, p);
  rope(k, n_past, p);
  const Tensor k2 = reshape(k, {cache_k.ne[0], k.nelements() / cache_k.ne[0], 1, 1});
  set_rows(k2, cache_k, n_past);
  set_rows(v, cache_v, n_past);
}

void Backend::norm_qkv_rope_store(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq,
                                  const Tensor& bq, Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k,
                                  const Tensor& wv, const Tensor& bv, Tensor& v, int head_dim, Tensor& cache_k,
                                  Tensor& cache_v, int n_past, const RopeParams& p) {
  norm_qkv(x, norm_w, eps, h, wq, bq, q, wk, bk, k, wv, bv, v);
  const int64_t n = x.nrows();
  Tensor q3 = reshape(q, {head_dim, q.nelements() / (head_dim * n), n, 1});
  Tensor k3 = reshape(k, {head_dim, k.nelements() / (head_dim * n), n, 1});
  rope_store(q3, k3, v, cache_k, cache_v, n_past, p);
}

Tensor view_rows(const Tensor& t, int64_t r0, int64_t n) {
  if (r0 < 0 || n < 0 || r0 + n > t.nrows()) {
    fail("view_rows: rows [", std::to_string(r0), ", ", std::to_string(r0 + n), ") out of range for tensor ",
         shape_str(t.ne));
  }
  if (t.extra && t.extra.get() == t.data) fail("view_rows: a weight repacked in place has no row view");
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
  if (t.extra && t.extra.get() == t.data) fail("reshape: a weight repacked in place has no other shape");
  Tensor v = t;
  v.extra.reset();
  v.ne = ne;
  if (v.nelements() != t.nelements() || (ne[0] % dtype_block_size(t.type)) != 0) {
    fail("reshape: cannot view ", dtype_name(t.type), " tensor ", shape_str(t.ne), " as ", shape_str(ne));
  }
  return v;
}

}  // namespace sotto
