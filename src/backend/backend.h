// backend.h — the interface every compute backend implements (CPU now, WebGPU next).
// Model code is written once against this interface and has no backend #ifdefs.
// Execution is eager and in order: each call may be queued by the backend, but reads (read()) see the
// results of every earlier call. A backend says which op/weight-type pairs it supports; the model
// loader checks supports() before it builds anything, so a missing kernel is an error at load time,
// never a wrong answer.
//
// Conventions (see tensor.h for shapes): activations are F32, ne = {n, n_tokens}; weights keep the
// file's dtype. Output tensors are allocated by the caller with alloc() and must not alias inputs
// unless an op says it works in place.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.h"

namespace sotto {

enum class Op {
  GetRows,   // embedding lookup
  MatMul,    // y = x W^T
  Add,
  Mul,
  Scale,
  RmsNorm,
  Rope,
  SwiGlu,
  GeGlu,
  Attention,
  SetRows,   // KV-cache store
  Softmax,
  // Speech-model ops (Moonshine, Whisper); contracts at their methods below.
  LayerNorm,
  Unary,
  GroupNorm,
  Conv1d,
};

// Elementwise functions of Backend::unary.
enum class UnaryOp {
  Gelu,  // exact: 0.5 x (1 + erf(x / sqrt(2)))   (PyTorch gelu, approximate='none')
  Tanh,
  Silu,  // x / (1 + exp(-x))
};

struct RopeParams {
  int n_rot = 0;                         // rotated dimensions (<= head_dim; partial rotary when smaller)
  float freq_base = 10000.0f;
  bool neox = false;                     // true: rotate pairs (i, i + n_rot/2); false: pairs (2i, 2i+1)
  const float* freq_factors = nullptr;   // [n_rot/2] dividers of each frequency (Llama 3 scaling), or null
  float freq_scale = 1.0f;               // linear position scaling
};

struct AttnParams {
  float scale = 1.0f;   // multiplies q.k
  int window = 0;       // sliding window: a query at position p sees keys in (p - window, p]; 0 = unlimited
  float softcap = 0.0f; // if > 0: scores = softcap * tanh(scores / softcap)
  // false: no mask; every query sees every row of k and v (encoder self-attention, cross-attention);
  // n_past must then be 0 and window 0. k may hold any number of rows >= 1, independent of n_tok.
  bool causal = true;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual bool supports(Op op, DType weight_type) const = 0;

  // ---- memory
  // A new zero-filled tensor owned by this backend.
  virtual Tensor alloc(DType type, Shape ne) = 0;
  // Makes a weight usable by this backend from host bytes (e.g. a region of a memory-mapped file).
  // The CPU backend returns a view (no copy): the caller keeps the mapping alive.
  virtual Tensor upload(const Tensor& host) = 0;
  // The same for a weight whose bytes are not in memory but at file_offset of the model file, which the
  // host streams in after load (the WebGPU backend of the wasm build). shape: type and ne (data null).
  // The default fails: other backends need the bytes.
  virtual Tensor upload_file(const Tensor& shape, uint64_t file_offset);
  virtual void write(Tensor& dst, const void* src, size_t nbytes, size_t offset = 0) = 0;
  virtual void read(const Tensor& src, void* dst, size_t nbytes, size_t offset = 0) = 0;

  // ---- ops
  // out[t] = table[ids[t]] converted to F32. table: {n, n_vocab} any supported dtype; out: {n, n_ids}.
  virtual void get_rows(const Tensor& table, const int32_t* ids, int n_ids, Tensor& out) = 0;
  // The same with the ids in an I32 tensor {n_ids} of this backend (a token the device chose, e.g. by argmax), so
  // a step can be recorded before the id is read back. Ids out of range give rows the backend leaves undefined
  // (WebGPU: untouched) instead of an error. The default reads the ids back and calls the host-id form.
  virtual void get_rows_device(const Tensor& table, const Tensor& ids, Tensor& out);
  // y[t][o] = sum_i w[o][i] * x[t][i]. w: {n_in, n_out}; x: {n_in, n_tok}; y: {n_out, n_tok}.
  virtual void matmul(const Tensor& w, const Tensor& x, Tensor& y) = 0;
  // y = a + b, y = a * b. b has the shape of a or is one row {a.ne[0]} broadcast over a's rows.
  // In place allowed (y may be a).
  virtual void add(const Tensor& a, const Tensor& b, Tensor& y) = 0;
  virtual void mul(const Tensor& a, const Tensor& b, Tensor& y) = 0;
  // x *= s in place.
  virtual void scale(Tensor& x, float s) = 0;
  // Each row of ne[0]: y = x / sqrt(mean(x^2) + eps) * w. w: F32 {ne[0]} (or null tensor: no weight).
  // x may be viewed as {head_dim, n_head * n_tok} to normalise per head. In place allowed.
  virtual void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) = 0;
  // In place on x: {head_dim, n_head, n_tok}; token t has position pos0 + t. Dims >= n_rot untouched.
  virtual void rope(Tensor& x, int pos0, const RopeParams& p) = 0;
  // y = silu(gate) * up;  y = gelu_tanh(gate) * up. All {n_ff, n_tok}. y may alias gate.
  virtual void swiglu(const Tensor& gate, const Tensor& up, Tensor& y) = 0;
  virtual void geglu(const Tensor& gate, const Tensor& up, Tensor& y) = 0;
  // dst rows [row0, row0 + src.nrows()) = src converted to dst.type (F32 or F16). src, dst share ne[0].
  virtual void set_rows(const Tensor& src, Tensor& dst, int64_t row0) = 0;
  // Causal grouped-query attention over a KV cache.
  //   q:   {head_dim, n_head, n_tok}        positions n_past .. n_past + n_tok - 1
  //   k,v: {head_dim * n_head_kv, n_ctx}    (F32 or F16); rows [0, n_past + n_tok) are valid
  //   out: {head_dim, n_head, n_tok}
  // Query head h reads kv head h / (n_head / n_head_kv).
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past,
                         const AttnParams& p, Tensor& out) = 0;
  // Softmax of each row in place.
  virtual void softmax(Tensor& x) = 0;
  // out[r] = index of the largest value of row r of x (the first one on ties). x: F32 {n, rows};
  // out: I32 {rows}. The default reads x back and writes out (fine for host-memory backends); a GPU
  // backend overrides it so a decode step reads back 4 bytes instead of the logits.
  virtual void argmax(const Tensor& x, Tensor& out);

  // ---- speech-model ops (all F32; contracts precise enough to port)
  // Each row of ne[0]: y = (x - mean) / sqrt(var + eps) * w + b, var the biased (1/n) variance.
  // w, b: F32 {ne[0]}, either may be a null tensor (then 1 and 0). In place allowed.
  virtual void layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y) = 0;
  // y = f(x) elementwise, same element count. In place allowed.
  virtual void unary(UnaryOp op, const Tensor& x, Tensor& y) = 0;
  // Group norm over time, for x: {C, T} (channels innermost, as activations are stored). Channels split into
  // n_groups contiguous groups of C / n_groups; each group's mean and biased variance are taken over all of
  // its channels and all T steps; y[t][c] = (x[t][c] - mean_g) / sqrt(var_g + eps) * w[c] + b[c].
  // w, b: F32 {C} (null tensor: 1 and 0). C % n_groups == 0. In place allowed.
  virtual void group_norm(const Tensor& x, int n_groups, const Tensor& w, const Tensor& b, float eps, Tensor& y) = 0;
  // 1-d convolution over time (PyTorch Conv1d, no dilation, no groups, zero padding `pad` on both sides):
  //   x: {C_in, T_in}; w: {K * C_in, C_out} stored [C_out][K][C_in] (kernel tap outer, input channel inner,
  //   i.e. PyTorch's [C_out, C_in, K] permuted to [C_out, K, C_in]); y: {C_out, T_out},
  //   T_out = (T_in + 2 pad - K) / stride + 1 (floor; must be >= 1).
  //   y[t][o] = sum_{k < K, c < C_in} w[o][k][c] * xp[t * stride + k][c], xp = x with `pad` zero rows each side.
  // The kernel size K is w.ne[0] / x.ne[0]. No bias (add it with add()). y must not alias x.
  // Weight types: those of MatMul.
  virtual void conv1d(const Tensor& w, const Tensor& x, int stride, int pad, Tensor& y) = 0;

  // ---- fused decoder steps: for backends where a dispatch costs more than a small op's work (WebGPU
  // decode). fused_ops() true: the decoder calls these instead of the plain ops. The defaults compose the
  // plain ops (so any backend may say true); the scratch tensors are what they need.
  virtual bool fused_ops() const { return false; }
  // y = W (rms_norm(x) * norm_w) + bias (bias may be a null tensor). h: scratch of x's shape.
  virtual void norm_matmul(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w,
                           const Tensor& bias, Tensor& y);
  // q, k, v = norm_matmul(x, ...) with wq/bq, wk/bk, wv/bv (one normalised input, three projections).
  virtual void norm_qkv(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq,
                        const Tensor& bq, Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k,
                        const Tensor& wv, const Tensor& bv, Tensor& v);
  // y += W x. tmp: scratch of y's shape.
  virtual void matmul_add(const Tensor& w, const Tensor& x, Tensor& tmp, Tensor& y);
  // y = act(W_gate h) * (W_up h), h = rms_norm(x) * norm_w; act silu, or gelu-tanh when gelu.
  // h, up: scratch of x's and y's shapes.
  virtual void norm_gate_up(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w_gate,
                            const Tensor& w_up, bool gelu, Tensor& up, Tensor& y);
  // x += rms_norm(o) * w (o is overwritten by the default).
  virtual void norm_add(Tensor& o, const Tensor& w, float eps, Tensor& x);
  // rope(q), rope(k) at positions n_past.., then k, v into rows [n_past, n_past + n_tok) of the caches.
  // q: {head_dim, n_head, n_tok}; k: {head_dim, n_head_kv, n_tok}; v: {head_dim * n_head_kv, n_tok}.
  // k may be left rotated or not.
  virtual void rope_store(Tensor& q, Tensor& k, const Tensor& v, Tensor& cache_k, Tensor& cache_v, int n_past,
                          const RopeParams& p);
  // norm_qkv, then rope_store of q and k as [head_dim, heads, tokens] and of v: a backend may do both in one step
  // (the WebGPU decode kernel).
  virtual void norm_qkv_rope_store(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq,
                                   const Tensor& bq, Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k,
                                   const Tensor& wv, const Tensor& bv, Tensor& v, int head_dim, Tensor& cache_k,
                                   Tensor& cache_v, int n_past, const RopeParams& p);

  // A point between ops (the decoder calls it after each layer) where a backend may hand the work recorded so far
  // to the device and go on recording (WebGPU: sotto_gpu_submit_every); no-op by default.
  virtual void submit_point() {}
  // Waits for queued work (no-op on CPU).
  virtual void sync() {}
};

class ThreadPool;
// The CPU backend; `pool` is used for every op and must outlive the backend. own_weights: the bytes of the
// host tensors given to upload() are writable and read by nothing but this backend while it lives (the wasm
// sessions' GGUF buffers); then builds whose matmul runs every token count on the repacked layouts (wasm:
// gemm_q4_0x8 / gemm_q8_0x8) repack Q4_0 and Q8_0 matrices in place instead of keeping a copy beside them
// (half the memory), and get_rows reads them back row by row. Such a weight has no view_rows / reshape view.
std::unique_ptr<Backend> make_cpu_backend(ThreadPool& pool, bool own_weights = false);

// A view of rows [r0, r0 + n) of a contiguous tensor (shape {ne0, n}); shares ownership.
Tensor view_rows(const Tensor& t, int64_t r0, int64_t n);
// The same storage seen with another shape of equal element count.
Tensor reshape(const Tensor& t, Shape ne);

}  // namespace sotto
