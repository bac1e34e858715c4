// cpu-backend.cpp — the CPU implementation of the Backend interface: memory, shape checks, dispatch.
// Tensors live in host memory (64-byte aligned allocations); upload() returns a view of the caller's
// bytes (no copy). Every op checks its shapes and dtypes and throws a one-line sotto::Error naming the
// op and the shapes, then runs the kernels of cpu-ops.h on the pool. Scratch (quantized activations
// and attention buffers) is kept here and only grows, so the decode loop does not allocate.
// Supported: MatMul and GetRows for F32, F16, BF16, Q8_0, Q4_0, Q4_K weights; Attention and SetRows
// with F32 or F16 KV caches; every other op on F32.
#include <cstdlib>
#include <cstring>

#include "backend/backend.h"
#include "backend/cpu/cpu-ops.h"
#include "core/error.h"

namespace sotto {
namespace {

bool is_weight_type(DType t) {
  switch (t) {
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K: return true;
    default: return false;
  }
}

// Checks cost nothing when they pass: the message is built only on failure.
template <typename Msg>
void need(bool ok, const char* op, const Msg& what) {
  if (!ok) fail("cpu ", op, ": ", what());
}
void need_f32(const Tensor& t, const char* op, const char* name) {
  need(t.type == DType::F32, op, [&] { return std::string(name) + " must be f32, is " + dtype_name(t.type); });
  need(t.data != nullptr || t.nelements() == 0, op, [&] { return std::string(name) + " has no data"; });
}
bool same_shape(const Tensor& a, const Tensor& b) {
  return a.ne == b.ne || (a.nelements() == b.nelements() && a.ne[0] == b.ne[0]);
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(ThreadPool& pool, bool own_weights) : pool_(pool), own_weights_(own_weights) {}

  std::string name() const override { return "cpu"; }

  bool supports(Op op, DType t) const override {
    switch (op) {
      case Op::MatMul:
      case Op::Conv1d:
      case Op::GetRows: return is_weight_type(t);
      case Op::Attention:
      case Op::SetRows: return t == DType::F32 || t == DType::F16;
      default: return t == DType::F32;
    }
  }

  Tensor alloc(DType type, Shape ne) override {
    for (int64_t d : ne) need(d >= 0, "alloc", [&] { return "negative dimension in " + shape_str(ne); });
    Tensor t;
    t.type = type;
    t.ne = ne;
    const size_t bytes = t.nbytes();
    const size_t padded = (bytes + 63) / 64 * 64 + 64;
    void* p = std::aligned_alloc(64, padded);
    if (!p) fail("cpu alloc: out of memory for ", std::to_string(bytes), " bytes ", shape_str(ne));
    std::memset(p, 0, padded);
    t.data = p;
    t.owner = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
    return t;
  }

  // Weights stay views of the caller's memory. Q4_0 and Q4_K matrices also get a repacked copy (8 rows
  // interleaved, in Tensor::extra) for the matvec of 1-3 tokens, which is compute-bound in the file layout;
  // prefill and get_rows keep using the view. The view's pages are file-backed and untouched while decoding.
  // Builds with gemm_q4_0x8 / gemm_q8_0x8 (wasm) use the copy for prefill too, and repack Q8_0 as well;
  // with own_weights (make_cpu_backend) they repack those two in place: extra then points at data itself.
  Tensor upload(const Tensor& host) override {
    Tensor t = host;
    t.extra.reset();
    if (host.nrows() >= 8 && host.nrows() % 8 == 0) {
      if (own_weights_ && host.data && ((host.type == DType::Q4_0 && cpu::gemm_q4_0x8_has()) ||
                                        (host.type == DType::Q8_0 && cpu::gemm_q8_0x8_has()))) {
        repack_in_place(t);
        return t;
      }
      if (host.type == DType::Q4_0) t.extra = repack<cpu::BlockQ4_0x8>(host, QK4_0, cpu::repack_q4_0x8);
      if (host.type == DType::Q4_K) t.extra = repack<cpu::BlockQ4_Kx8>(host, QK_K, cpu::repack_q4_kx8);
      if (host.type == DType::Q8_0 && cpu::gemm_q8_0x8_has()) {
        t.extra = repack<cpu::BlockQ8_0x8>(host, QK8_0, [](const void* w, int64_t rows, int64_t n, cpu::BlockQ8_0x8* o) {
          cpu::repack_q8_0x8(w, rows, n, o, cpu::q8_0x8_order());
        });
      }
    }
    return t;
  }
  // Group by group (8 rows), through a copy of the group: a repacked group takes the bytes of its 8 rows.
  void repack_in_place(Tensor& t) {
    const size_t group_bytes = 8 * t.row_bytes();
    std::vector<uint8_t> rows(group_bytes);
    auto* base = static_cast<uint8_t*>(t.data);
    for (int64_t g = 0; g < t.nrows() / 8; g++) {
      uint8_t* dst = base + size_t(g) * group_bytes;
      std::memcpy(rows.data(), dst, group_bytes);
      if (t.type == DType::Q4_0) {
        cpu::repack_q4_0x8(rows.data(), 8, t.ne[0], reinterpret_cast<cpu::BlockQ4_0x8*>(dst));
      } else {
        cpu::repack_q8_0x8(rows.data(), 8, t.ne[0], reinterpret_cast<cpu::BlockQ8_0x8*>(dst), cpu::q8_0x8_order());
      }
    }
    t.extra = std::shared_ptr<const void>(std::shared_ptr<const void>(), t.data);  // no owner: data's
  }
  // Not zero-filled first (the repack writes every byte).
  template <typename Block>
  static std::shared_ptr<const void> repack(const Tensor& host, int64_t block,
                                            void (*fn)(const void*, int64_t, int64_t, Block*)) {
    std::shared_ptr<Block[]> r(new Block[size_t(host.nrows() / 8 * (host.ne[0] / block))]);
    fn(host.data, host.nrows(), host.ne[0], r.get());
    return r;
  }

  void write(Tensor& dst, const void* src, size_t nbytes, size_t offset) override {
    need(offset + nbytes <= dst.nbytes(), "write", [&] {
      return std::string(std::to_string(offset + nbytes) + " bytes into a tensor of " + std::to_string(dst.nbytes()));
    });
    std::memcpy(static_cast<uint8_t*>(dst.data) + offset, src, nbytes);
  }

  void read(const Tensor& src, void* dst, size_t nbytes, size_t offset) override {
    need(offset + nbytes <= src.nbytes(), "read", [&] {
      return std::string(std::to_string(offset + nbytes) + " bytes from a tensor of " + std::to_string(src.nbytes()));
    });
    std::memcpy(dst, static_cast<const uint8_t*>(src.data) + offset, nbytes);
  }

  void get_rows(const Tensor& table, const int32_t* ids, int n_ids, Tensor& out) override {
    need(is_weight_type(table.type), "get_rows",
         [&] { return std::string(std::string("table type ") + dtype_name(table.type)); });
    need_f32(out, "get_rows", "out");
    need(n_ids >= 0 && out.ne[0] == table.ne[0] && out.nrows() == n_ids, "get_rows", [&] {
      return std::string("out " + shape_str(out.ne) + " for " + std::to_string(n_ids) + " rows of table " +
                         shape_str(table.ne));
    });
    for (int i = 0; i < n_ids; i++) {
      need(ids[i] >= 0 && ids[i] < table.nrows(), "get_rows", [&] {
        return std::string("row id " + std::to_string(ids[i]) + " out of range [0, " + std::to_string(table.nrows()) +
                           ")");
      });
    }
    if (table.extra && table.extra.get() == table.data) {  // repacked in place: rows back in the file layout
      Tensor rows = table;
      rows.ne = {table.ne[0], n_ids, 1, 1};
      rows_.resize(size_t(n_ids) * table.row_bytes());
      rows.data = rows_.data();
      std::vector<int32_t> seq(static_cast<size_t>(n_ids));
      for (int i = 0; i < n_ids; i++) {
        seq[size_t(i)] = i;
        uint8_t* dst = rows_.data() + size_t(i) * table.row_bytes();
        if (table.type == DType::Q4_0) {
          cpu::unpack_row_q4_0x8(static_cast<const cpu::BlockQ4_0x8*>(table.data), ids[i], table.ne[0], dst);
        } else {
          cpu::unpack_row_q8_0x8(static_cast<const cpu::BlockQ8_0x8*>(table.data), ids[i], table.ne[0], dst,
                                 cpu::q8_0x8_order());
        }
      }
      cpu::get_rows(rows, seq.data(), n_ids, out);
      return;
    }
    cpu::get_rows(table, ids, n_ids, out);
  }

  void matmul(const Tensor& w, const Tensor& x, Tensor& y) override {
    need(is_weight_type(w.type), "matmul",
         [&] { return std::string(std::string("weight type ") + dtype_name(w.type)); });
    need_f32(x, "matmul", "x");
    need_f32(y, "matmul", "y");
    need(x.ne[0] == w.ne[0] && y.ne[0] == w.nrows() && y.nrows() == x.nrows(), "matmul", [&] {
      return std::string("w " + shape_str(w.ne) + ", x " + shape_str(x.ne) + ", y " + shape_str(y.ne) + " do not fit");
    });
    cpu::matmul(pool_, act_, act8_, act16_, actw_, w, x, y, w.extra.get());
  }

  void add(const Tensor& a, const Tensor& b, Tensor& y) override { binary("add", a, b, y, true); }
  void mul(const Tensor& a, const Tensor& b, Tensor& y) override { binary("mul", a, b, y, false); }

  void scale(Tensor& x, float s) override {
    need_f32(x, "scale", "x");
    cpu::scale(pool_, x, s);
  }

  void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) override {
    need_f32(x, "rms_norm", "x");
    need_f32(y, "rms_norm", "y");
    need(same_shape(x, y), "rms_norm",
         [&] { return std::string("x " + shape_str(x.ne) + " vs y " + shape_str(y.ne)); });
    if (!w.empty()) {
      need_f32(w, "rms_norm", "w");
      need(w.nelements() == x.ne[0], "rms_norm",
           [&] { return std::string("w " + shape_str(w.ne) + " for rows of " + std::to_string(x.ne[0])); });
    }
    cpu::rms_norm(pool_, x, w, eps, y);
  }

  void rope(Tensor& x, int pos0, const RopeParams& p) override {
    need_f32(x, "rope", "x");
    need(p.n_rot > 0 && p.n_rot % 2 == 0 && p.n_rot <= x.ne[0] && p.n_rot <= 1024, "rope", [&] {
      return std::string("n_rot " + std::to_string(p.n_rot) + " for head_dim " + std::to_string(x.ne[0]) +
                         " (must be even, positive, <= head_dim)");
    });
    need(pos0 >= 0, "rope", [&] { return std::string("negative position " + std::to_string(pos0)); });
    cpu::rope(pool_, x, pos0, p);
  }

  void swiglu(const Tensor& gate, const Tensor& up, Tensor& y) override { glu("swiglu", gate, up, y, true); }
  void geglu(const Tensor& gate, const Tensor& up, Tensor& y) override { glu("geglu", gate, up, y, false); }

  void set_rows(const Tensor& src, Tensor& dst, int64_t row0) override {
    need_f32(src, "set_rows", "src");
    need(dst.type == DType::F32 || dst.type == DType::F16, "set_rows",
         [&] { return std::string(std::string("dst must be f32 or f16, is ") + dtype_name(dst.type)); });
    need(src.ne[0] == dst.ne[0] && row0 >= 0 && row0 + src.nrows() <= dst.nrows(), "set_rows", [&] {
      return std::string("src " + shape_str(src.ne) + " at row " + std::to_string(row0) + " does not fit dst " +
                         shape_str(dst.ne));
    });
    cpu::set_rows(src, dst, row0);
  }

  void attention(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past, const AttnParams& p,
                 Tensor& out) override {
    need_f32(q, "attention", "q");
    need_f32(out, "attention", "out");
    need((k.type == DType::F32 || k.type == DType::F16) && v.type == k.type, "attention", [&] {
      return std::string(std::string("k, v must both be f32 or both f16, are ") + dtype_name(k.type) + ", " +
                         dtype_name(v.type));
    });
    const int64_t hd = q.ne[0], n_head = q.ne[1], n_tok = q.ne[2] * q.ne[3];
    need(n_head_kv > 0 && n_head % n_head_kv == 0, "attention", [&] {
      return std::string(std::to_string(n_head) + " query heads do not group over " + std::to_string(n_head_kv) +
                         " kv heads");
    });
    need(hd > 0 && hd <= 512, "attention",
         [&] { return std::string("head_dim " + std::to_string(hd) + " (at most 512)"); });
    need(k.ne[0] == hd * n_head_kv && v.ne == k.ne, "attention",
         [&] { return std::string("k " + shape_str(k.ne) + ", v " + shape_str(v.ne) + " for q " + shape_str(q.ne)); });
    need(p.causal || (n_past == 0 && p.window == 0 && k.nrows() >= 1), "attention", [&] {
      return std::string("non-causal attention needs n_past 0, no window and a non-empty k");
    });
    need(!p.causal || (n_past >= 0 && n_past + n_tok <= k.nrows()), "attention", [&] {
      return std::string(std::to_string(n_past) + " + " + std::to_string(n_tok) + " positions exceed the cache of " +
                         std::to_string(k.nrows()));
    });
    need(out.ne == q.ne, "attention",
         [&] { return std::string("out " + shape_str(out.ne) + " vs q " + shape_str(q.ne)); });
    cpu::attention(pool_, attn_scratch_, q, k, v, n_head_kv, n_past, p, out);
  }

  void layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y) override {
    need_f32(x, "layer_norm", "x");
    need_f32(y, "layer_norm", "y");
    need(same_shape(x, y), "layer_norm",
         [&] { return std::string("x " + shape_str(x.ne) + " vs y " + shape_str(y.ne)); });
    for (const Tensor* p : {&w, &b}) {
      if (p->empty()) continue;
      need_f32(*p, "layer_norm", "w/b");
      need(p->nelements() == x.ne[0], "layer_norm",
           [&] { return std::string("w/b " + shape_str(p->ne) + " for rows of " + std::to_string(x.ne[0])); });
    }
    cpu::layer_norm(pool_, x, w, b, eps, y);
  }

  void unary(UnaryOp op, const Tensor& x, Tensor& y) override {
    need_f32(x, "unary", "x");
    need_f32(y, "unary", "y");
    need(x.nelements() == y.nelements(), "unary",
         [&] { return std::string("x " + shape_str(x.ne) + " vs y " + shape_str(y.ne)); });
    cpu::unary(pool_, op, x, y);
  }

  void group_norm(const Tensor& x, int n_groups, const Tensor& w, const Tensor& b, float eps, Tensor& y) override {
    need_f32(x, "group_norm", "x");
    need_f32(y, "group_norm", "y");
    need(same_shape(x, y), "group_norm",
         [&] { return std::string("x " + shape_str(x.ne) + " vs y " + shape_str(y.ne)); });
    need(n_groups > 0 && x.ne[0] % n_groups == 0, "group_norm", [&] {
      return std::string(std::to_string(x.ne[0]) + " channels do not split into " + std::to_string(n_groups) + " groups");
    });
    for (const Tensor* p : {&w, &b}) {
      if (p->empty()) continue;
      need_f32(*p, "group_norm", "w/b");
      need(p->nelements() == x.ne[0], "group_norm",
           [&] { return std::string("w/b " + shape_str(p->ne) + " for " + std::to_string(x.ne[0]) + " channels"); });
    }
    cpu::group_norm(pool_, x, n_groups, w, b, eps, y);
  }

  void conv1d(const Tensor& w, const Tensor& x, int stride, int pad, Tensor& y) override {
    need(is_weight_type(w.type), "conv1d",
         [&] { return std::string(std::string("weight type ") + dtype_name(w.type)); });
    need_f32(x, "conv1d", "x");
    need_f32(y, "conv1d", "y");
    const int64_t c_in = x.ne[0], t_in = x.nrows();
    need(c_in > 0 && w.ne[0] % c_in == 0 && stride > 0 && pad >= 0, "conv1d", [&] {
      return std::string("w " + shape_str(w.ne) + " for x " + shape_str(x.ne) + ", stride " + std::to_string(stride) +
                         ", pad " + std::to_string(pad));
    });
    const int64_t k = w.ne[0] / c_in;
    const int64_t t_out = t_in + 2 * pad >= k ? (t_in + 2 * pad - k) / stride + 1 : 0;
    need(t_out >= 1 && y.ne[0] == w.nrows() && y.nrows() == t_out, "conv1d", [&] {
      return std::string("y " + shape_str(y.ne) + " for w " + shape_str(w.ne) + ", x " + shape_str(x.ne) +
                         " (expected [" + std::to_string(w.nrows()) + ", " + std::to_string(t_out) + "])");
    });
    cpu::im2col(x, k, stride, pad, t_out, col_);
    Tensor col;
    col.type = DType::F32;
    col.ne = {k * c_in, t_out, 1, 1};
    col.data = col_.data();
    cpu::matmul(pool_, act_, act8_, act16_, actw_, w, col, y, w.extra.get());
  }

  void softmax(Tensor& x) override {
    need_f32(x, "softmax", "x");
    need(x.ne[0] > 0 || x.nrows() == 0, "softmax", [&] { return std::string("empty rows"); });
    cpu::softmax(pool_, x);
  }

 private:
  void binary(const char* op, const Tensor& a, const Tensor& b, Tensor& y, bool is_add) {
    need_f32(a, op, "a");
    need_f32(b, op, "b");
    need_f32(y, op, "y");
    need(b.nelements() == a.nelements() || b.nelements() == a.ne[0], op, [&] {
      return std::string("b " + shape_str(b.ne) + " is neither a's shape " + shape_str(a.ne) + " nor one row");
    });
    need(same_shape(a, y), op, [&] { return std::string("y " + shape_str(y.ne) + " vs a " + shape_str(a.ne)); });
    if (is_add) {
      cpu::add(pool_, a, b, y);
    } else {
      cpu::mul(pool_, a, b, y);
    }
  }

  void glu(const char* op, const Tensor& gate, const Tensor& up, Tensor& y, bool silu) {
    need_f32(gate, op, "gate");
    need_f32(up, op, "up");
    need_f32(y, op, "y");
    need(same_shape(gate, up) && same_shape(gate, y), op, [&] {
      return std::string("gate " + shape_str(gate.ne) + ", up " + shape_str(up.ne) + ", y " + shape_str(y.ne));
    });
    if (silu) {
      cpu::swiglu(pool_, gate, up, y);
    } else {
      cpu::geglu(pool_, gate, up, y);
    }
  }

  ThreadPool& pool_;
  const bool own_weights_;
  std::vector<uint8_t> rows_;  // get_rows of a weight repacked in place: its rows in the file layout
  std::vector<cpu::BlockQ8A> act_;
  std::vector<cpu::BlockQ8x8> act8_;
  std::vector<cpu::BlockQ8x16> act16_;
  std::vector<cpu::BlockQ8W> actw_;
  std::vector<float> attn_scratch_;
  std::vector<float> col_;  // conv1d's unfolded input
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool own_weights) {
  return std::make_unique<CpuBackend>(pool, own_weights);
}

}  // namespace sotto
