// webgpu-op-check.cpp — test-only exports: every op of the WebGPU backend against the CPU backend in the
// same wasm instance, on seeded random inputs, with a tolerance per op and dtype (tests/webgpu/run.mjs).
//   sotto_opcheck_run(binding_limit, seed)  records every case (one encoder, one submit) and returns the
//                                           number of cases; GPU outputs are deferred reads
//   (host: await the readbacks)
//   sotto_opcheck_report()                  prints one line per case, returns the number of failures
// Error measure: max |gpu - ref| / max(rms(ref), 1e-6) over the output. Matmul/get_rows are checked twice:
// against a double-precision product of the dequantized weights (the GPU dequantizes exactly: tight) and
// against the CPU backend (which quantizes activations to 8 bits for quantized weights: looser).
// Argmax must match exactly. A weight split over several buffers (binding limit 1 MiB) is covered.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/webgpu/webgpu-backend.h"
#include "core/quant.h"
#include "core/thread-pool.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

using namespace sotto;

struct Case {
  std::string name;
  std::vector<float> ref;  // expected (CPU backend or double reference)
  std::vector<float> gpu;  // filled by the host's deferred read
  std::vector<int32_t> ref_i, gpu_i;
  double tol = 0;
};

struct Check {
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Backend> cpu, gpu, gpu_small, gpu_plain;  // gpu_plain: no subgroups, no shader-f16
  std::vector<Case> cases;
  std::vector<Tensor> keep;  // GPU tensors stay alive until the submit is done
  std::vector<std::unique_ptr<Backend>> more;  // backends made by a case, alive until the submit is done
  uint32_t binding_limit = 0;
  uint32_t rng = 1;
  float rnd() {  // uniform in [-1, 1)
    rng = rng * 1664525u + 1013904223u;
    return float(rng >> 8) / float(1 << 23) - 1.0f;
  }
  std::vector<float> rvec(size_t n, float s = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = rnd() * s;
    return v;
  }
};
std::unique_ptr<Check> g;

size_t row_bytes(DType t, int64_t n) { return dtype_row_bytes(t, n); }

// A tensor of `t` on backend `be` with host bytes `bytes`.
Tensor put(Backend& be, DType t, Shape ne, const void* bytes) {
  Tensor h;
  h.type = t;
  h.ne = ne;
  h.data = const_cast<void*>(bytes);
  Tensor d = be.alloc(t, ne);
  be.write(d, bytes, h.nbytes());
  if (&be != g->cpu.get()) g->keep.push_back(d);
  return d;
}
Tensor zeros(Backend& be, DType t, Shape ne) {
  Tensor d = be.alloc(t, ne);
  if (&be != g->cpu.get()) g->keep.push_back(d);
  return d;
}
// F32 tensor from v (empty v: zeros).
Tensor putf(Backend& be, Shape ne, const std::vector<float>& v) {
  return v.empty() ? zeros(be, DType::F32, ne) : put(be, DType::F32, ne, v.data());
}
std::vector<float> cpu_read(const Tensor& t) {
  std::vector<float> v(size_t(t.nelements()));
  g->cpu->read(t, v.data(), v.size() * 4);
  return v;
}
Case& add_case(const std::string& name, double tol, const Tensor& gpu_out) {
  g->cases.push_back(Case{name, {}, std::vector<float>(size_t(gpu_out.nelements())), {}, {}, tol});
  Case& c = g->cases.back();
  return c;
}
void gpu_read(Backend& be, const Tensor& t, Case& c) { be.read(t, c.gpu.data(), c.gpu.size() * 4); }

// Weights: random floats quantized to t (bytes), and their exact dequantized values.
struct Weight {
  std::vector<uint8_t> bytes;
  std::vector<float> deq;
};
Weight make_weight(DType t, int64_t n_in, int64_t n_out) {
  std::vector<float> f = g->rvec(size_t(n_in * n_out));
  Weight w;
  w.bytes = quantize_tensor(t, f.data(), n_out, n_in);
  w.deq.resize(f.size());
  for (int64_t r = 0; r < n_out; r++) {
    dequantize_row(t, w.bytes.data() + size_t(r) * row_bytes(t, n_in), w.deq.data() + r * n_in, n_in);
  }
  return w;
}

// prec 1 (kAct8): the GPU quantizes the activations to 8 bits as the CPU does (matmul-dp4a.wgsl): against float64
// within the quantized tolerance, against the CPU (the same arithmetic) within 1e-4. prec 2 (kHalf): f16 operands
// with f32 sums (matmul-sgmat.wgsl): 1e-2 of the output's rms against float64, against the CPU (8-bit activations
// for quantized weights) 3e-2.
enum Prec : int { kExact = 0, kAct8 = 1, kHalf = 2 };
double tol_f64(int prec) { return prec == kHalf ? 1e-2 : prec == kAct8 ? 3e-2 : 1e-5; }
double tol_cpu(int prec, bool quant, double exact) { return prec == kHalf ? 3e-2 : prec == kAct8 ? 1e-4 : quant ? 3e-2 : exact; }
// The prefill matmul's precision on g->gpu for weights t of n_in values a row over n_tok tokens with the tile knob
// at -1 (by shape; webgpu-backend.cpp's sg_tile and mm_tile): F16 rows of whole 16-byte words on subgroup matrices
// (f16 operands), Q8_0 / Q4_0 on dp4a (8-bit activations), from 16 tokens.
int auto_prec(DType t, int64_t n_tok, int64_t n_in) {
  const uint32_t f = webgpu_features(*g->gpu);
  if ((f & 16u) && n_tok >= 16 && t == DType::F16 && n_in % 8 == 0) return kHalf;
  if ((f & 4u) && n_tok >= 16 && (t == DType::Q8_0 || t == DType::Q4_0)) return kAct8;
  return kExact;
}

void check_matmul(Backend& gb, DType t, int64_t n_in, int64_t n_out, int64_t n_tok, const char* tag = "",
                  int prec = kExact) {
  const Weight w = make_weight(t, n_in, n_out);
  const std::vector<float> x = g->rvec(size_t(n_in * n_tok));
  std::vector<float> ref(size_t(n_out * n_tok));
  for (int64_t tk = 0; tk < n_tok; tk++) {
    for (int64_t o = 0; o < n_out; o++) {
      double s = 0;
      for (int64_t i = 0; i < n_in; i++) s += double(w.deq[size_t(o * n_in + i)]) * x[size_t(tk * n_in + i)];
      ref[size_t(tk * n_out + o)] = float(s);
    }
  }
  const std::string shape = std::to_string(n_in) + "x" + std::to_string(n_out) + " tok " + std::to_string(n_tok) + tag;
  Tensor gw = gb.upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  g->keep.push_back(gw);
  Tensor gx = putf(gb, {n_in, n_tok, 1, 1}, x), gy = zeros(gb, DType::F32, {n_out, n_tok, 1, 1});
  gb.matmul(gw, gx, gy);
  const bool quant = t != DType::F32 && t != DType::F16;
  {
    Case& c = add_case(std::string("matmul ") + dtype_name(t) + " " + shape + " vs f64", tol_f64(prec), gy);
    c.ref = ref;
    gpu_read(gb, gy, c);
  }
  Tensor cw = g->cpu->upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  Tensor cx = putf(*g->cpu, {n_in, n_tok, 1, 1}, x), cy = zeros(*g->cpu, DType::F32, {n_out, n_tok, 1, 1});
  g->cpu->matmul(cw, cx, cy);
  Case& c = add_case(std::string("matmul ") + dtype_name(t) + " " + shape + " vs cpu", tol_cpu(prec, quant, 1e-3), gy);
  c.ref = cpu_read(cy);
  gpu_read(gb, gy, c);
}

void check_get_rows(Backend& gb, DType t, int64_t n, int64_t n_rows, const char* tag = "") {
  const Weight w = make_weight(t, n, n_rows);
  const std::vector<int32_t> ids = {0, int32_t(n_rows - 1), 3, 3, int32_t(n_rows / 2)};
  Tensor gw = gb.upload(Tensor{t, {n, n_rows, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  g->keep.push_back(gw);
  Tensor gy = zeros(gb, DType::F32, {n, int64_t(ids.size()), 1, 1});
  gb.get_rows(gw, ids.data(), int(ids.size()), gy);
  Tensor cw = g->cpu->upload(Tensor{t, {n, n_rows, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  Tensor cy = zeros(*g->cpu, DType::F32, {n, int64_t(ids.size()), 1, 1});
  g->cpu->get_rows(cw, ids.data(), int(ids.size()), cy);
  Case& c = add_case(std::string("get_rows ") + dtype_name(t) + " " + std::to_string(n) + "x" + std::to_string(n_rows) + tag,
                     1e-6, gy);
  c.ref = cpu_read(cy);
  gpu_read(gb, gy, c);
}

// Runs `op` on both backends over fresh copies of the inputs and compares output `out_index`.
template <typename Op>
void check_op(const std::string& name, double tol, const std::vector<std::pair<Shape, std::vector<float>>>& ins,
              size_t out_index, Op op) {
  std::vector<Tensor> gi, ci;
  for (const auto& [ne, v] : ins) {
    gi.push_back(putf(*g->gpu, ne, v));
    ci.push_back(putf(*g->cpu, ne, v));
  }
  op(*g->gpu, gi);
  op(*g->cpu, ci);
  Case& c = add_case(name, tol, gi[out_index]);
  c.ref = cpu_read(ci[out_index]);
  gpu_read(*g->gpu, gi[out_index], c);
}

void check_attention(DType kv, int hd, int n_head, int n_head_kv, int n_past, int n_tok, int window, float softcap,
                     const char* tag = "") {
  const int n_ctx = n_past + n_tok + 3;
  const int64_t row = int64_t(hd) * n_head_kv;
  std::vector<float> q = g->rvec(size_t(hd * n_head * n_tok), 2.0f);
  std::vector<float> kf = g->rvec(size_t(row * n_ctx)), vf = g->rvec(size_t(row * n_ctx));
  std::string name = std::string("attention ") + dtype_name(kv) + " hd " + std::to_string(hd) + " heads " +
                     std::to_string(n_head) + "/" + std::to_string(n_head_kv) + " past " + std::to_string(n_past) +
                     " tok " + std::to_string(n_tok) + " window " + std::to_string(window) + " softcap " +
                     std::to_string(int(softcap)) + tag;
  AttnParams ap;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.window = window;
  ap.softcap = softcap;
  auto run = [&](Backend& be) {
    Tensor kt = zeros(be, kv, {row, n_ctx, 1, 1}), vt = zeros(be, kv, {row, n_ctx, 1, 1});
    Tensor ks = putf(be, {row, n_ctx, 1, 1}, kf), vs = putf(be, {row, n_ctx, 1, 1}, vf);
    be.set_rows(ks, kt, 0);
    be.set_rows(vs, vt, 0);
    Tensor qt = putf(be, {hd, n_head, n_tok, 1}, q), out = zeros(be, DType::F32, {hd, n_head, n_tok, 1});
    be.attention(qt, kt, vt, n_head_kv, n_past, ap, out);
    return out;
  };
  Tensor go = run(*g->gpu), co = run(*g->cpu);
  Case& c = add_case(name, kv == DType::F16 ? 1e-3 : 1e-4, go);
  c.ref = cpu_read(co);
  gpu_read(*g->gpu, go, c);
}

// ---- speech-model ops (layer_norm, unary, group_norm, conv1d, attention without a mask) against the CPU backend.
// conv1d is also checked against a double-precision convolution of the dequantized weights.
void check_conv1d(DType t, int64_t c_in, int64_t kk, int64_t c_out, int64_t t_in, int stride, int pad) {
  const int64_t kc = kk * c_in, t_out = (t_in + 2 * pad - kk) / stride + 1;
  const Weight w = make_weight(t, kc, c_out);
  const std::vector<float> x = g->rvec(size_t(c_in * t_in));
  std::vector<float> ref(size_t(c_out * t_out));
  for (int64_t tt = 0; tt < t_out; tt++) {
    for (int64_t o = 0; o < c_out; o++) {
      double s = 0;
      for (int64_t k = 0; k < kk; k++) {
        const int64_t r = tt * stride + k - pad;
        if (r < 0 || r >= t_in) continue;
        for (int64_t c = 0; c < c_in; c++) s += double(w.deq[size_t(o * kc + k * c_in + c)]) * x[size_t(r * c_in + c)];
      }
      ref[size_t(tt * c_out + o)] = float(s);
    }
  }
  const std::string name = std::string("conv1d ") + dtype_name(t) + " Cin " + std::to_string(c_in) + " K " +
                           std::to_string(kk) + " s " + std::to_string(stride) + " pad " + std::to_string(pad) +
                           " Cout " + std::to_string(c_out) + " T " + std::to_string(t_in);
  Tensor gw = g->gpu->upload(Tensor{t, {kc, c_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  g->keep.push_back(gw);
  Tensor gx = putf(*g->gpu, {c_in, t_in, 1, 1}, x), gy = zeros(*g->gpu, DType::F32, {c_out, t_out, 1, 1});
  g->gpu->conv1d(gw, gx, stride, pad, gy);
  // 16 or more frames: matmul-dp4a.wgsl's 8-bit activations or matmul-sgmat.wgsl's f16 (check_matmul's prec).
  const int prec = auto_prec(t, t_out, kc);
  {
    Case& c = add_case(name + " vs f64", tol_f64(prec), gy);
    c.ref = ref;
    gpu_read(*g->gpu, gy, c);
  }
  Tensor cw = g->cpu->upload(Tensor{t, {kc, c_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
  Tensor cx = putf(*g->cpu, {c_in, t_in, 1, 1}, x), cy = zeros(*g->cpu, DType::F32, {c_out, t_out, 1, 1});
  g->cpu->conv1d(cw, cx, stride, pad, cy);
  const bool quant = t != DType::F32 && t != DType::F16;
  Case& c = add_case(name + " vs cpu", tol_cpu(prec, quant, 1e-4), gy);
  c.ref = cpu_read(cy);
  gpu_read(*g->gpu, gy, c);
}

void check_attention_full(DType kv, int hd, int n_head, int n_head_kv, int n_tok, int n_kv) {
  const int64_t row = int64_t(hd) * n_head_kv;
  std::vector<float> q = g->rvec(size_t(hd * n_head * n_tok), 2.0f);
  std::vector<float> kf = g->rvec(size_t(row * n_kv)), vf = g->rvec(size_t(row * n_kv));
  const std::string name = std::string("attention no mask ") + dtype_name(kv) + " hd " + std::to_string(hd) +
                           " heads " + std::to_string(n_head) + "/" + std::to_string(n_head_kv) + " tok " +
                           std::to_string(n_tok) + " kv " + std::to_string(n_kv);
  AttnParams ap;
  ap.scale = 1.0f / std::sqrt(float(hd));
  ap.causal = false;
  auto run = [&](Backend& be) {
    Tensor kt = zeros(be, kv, {row, n_kv, 1, 1}), vt = zeros(be, kv, {row, n_kv, 1, 1});
    be.set_rows(putf(be, {row, n_kv, 1, 1}, kf), kt, 0);
    be.set_rows(putf(be, {row, n_kv, 1, 1}, vf), vt, 0);
    Tensor qt = putf(be, {hd, n_head, n_tok, 1}, q), out = zeros(be, DType::F32, {hd, n_head, n_tok, 1});
    be.attention(qt, kt, vt, n_head_kv, 0, ap, out);
    return out;
  };
  Tensor go = run(*g->gpu), co = run(*g->cpu);
  Case& c = add_case(name, kv == DType::F16 ? 1e-3 : 1e-4, go);
  c.ref = cpu_read(co);
  gpu_read(*g->gpu, go, c);
}

void check_speech_ops() {
  const int64_t e = 288, rows = 9;
  auto shifted = [](std::vector<float> v, float by) {
    for (float& x : v) x += by;
    return v;
  };
  const auto x = shifted(g->rvec(size_t(e * rows), 3.0f), 5.0f), w = g->rvec(size_t(e)), b = g->rvec(size_t(e));
  check_op("layer_norm weight bias", 1e-5, {{{e, rows, 1, 1}, x}, {{e, 1, 1, 1}, w}, {{e, 1, 1, 1}, b},
                                           {{e, rows, 1, 1}, {}}}, 3,
           [](Backend& be, std::vector<Tensor>& t) { be.layer_norm(t[0], t[1], t[2], 1e-5f, t[3]); });
  check_op("layer_norm weight in place", 1e-5, {{{e, rows, 1, 1}, x}, {{e, 1, 1, 1}, w}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.layer_norm(t[0], t[1], Tensor{}, 1e-5f, t[0]); });
  check_op("layer_norm none, rows of 37", 1e-5, {{{37, 11, 1, 1}, g->rvec(37 * 11, 4.0f)}, {{37, 11, 1, 1}, {}}}, 1,
           [](Backend& be, std::vector<Tensor>& t) { be.layer_norm(t[0], Tensor{}, Tensor{}, 1e-6f, t[1]); });
  const auto u = g->rvec(size_t(e * rows), 9.0f);
  for (auto [op, name] : {std::pair{UnaryOp::Gelu, "gelu (erf)"}, std::pair{UnaryOp::Tanh, "tanh"},
                          std::pair{UnaryOp::Silu, "silu"}}) {
    check_op(std::string("unary ") + name, 1e-5, {{{e, rows, 1, 1}, u}, {{e, rows, 1, 1}, {}}}, 1,
             [op = op](Backend& be, std::vector<Tensor>& t) { be.unary(op, t[0], t[1]); });
    check_op(std::string("unary ") + name + " in place, large |x|", 1e-5, {{{e, rows, 1, 1}, g->rvec(size_t(e * rows), 60.0f)}}, 0,
             [op = op](Backend& be, std::vector<Tensor>& t) { be.unary(op, t[0], t[0]); });
  }
  // Moonshine's stem norm: 1 group over all channels and steps; and 4 groups without affine.
  const int64_t gc = 48, gt = 1250;
  check_op("group_norm 1 group 48x1250 weight bias in place", 1e-5,
           {{{gc, gt, 1, 1}, shifted(g->rvec(size_t(gc * gt), 0.8f), 0.3f)}, {{gc, 1, 1, 1}, g->rvec(gc)},
            {{gc, 1, 1, 1}, g->rvec(gc)}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.group_norm(t[0], 1, t[1], t[2], 1e-5f, t[0]); });
  check_op("group_norm 4 groups 48x33 none", 1e-5, {{{gc, 33, 1, 1}, g->rvec(size_t(gc * 33), 2.0f)}, {{gc, 33, 1, 1}, {}}}, 1,
           [](Backend& be, std::vector<Tensor>& t) { be.group_norm(t[0], 4, Tensor{}, Tensor{}, 1e-5f, t[1]); });
  // Moonshine's stem (k 127 s 64 from raw samples; k 7 s 3; k 3 s 2) and Whisper's (k 3 pad 1, s 1 and 2).
  for (DType t : {DType::F32, DType::F16}) {
    check_conv1d(t, 1, 127, 48, 64 * 40 + 127 + 13, 64, 0);
    check_conv1d(t, 48, 7, 96, 61, 3, 0);
    check_conv1d(t, 96, 3, 48, 19, 2, 0);
    check_conv1d(t, 80, 3, 48, 60, 1, 1);
    check_conv1d(t, 48, 3, 48, 60, 2, 1);
  }
  check_conv1d(DType::Q8_0, 64, 3, 40, 50, 2, 1);
  check_conv1d(DType::Q8_0, 32, 7, 24, 40, 3, 0);
  // Encoder self-attention (many queries, keys crossing 64-key tiles) and cross-attention (one query).
  check_attention_full(DType::F32, 12, 4, 4, 37, 150);
  check_attention_full(DType::F32, 36, 8, 8, 1, 207);
  check_attention_full(DType::F16, 64, 6, 6, 5, 64);
  check_attention_full(DType::F16, 64, 4, 2, 3, 129);
  check_attention_full(DType::F32, 256, 2, 1, 2, 1);
  // More than one query: attention-prefill.wgsl without the mask (a 12-way key split for 1500 keys).
  check_attention_full(DType::F16, 64, 6, 6, 130, 1500);
  check_attention_full(DType::F32, 128, 4, 2, 40, 75);
}

// The fused decoder steps (backend.h) on `gb` against the CPU backend's composition of the plain ops.
// kind 0: norm_matmul with bias, 1: norm_matmul without, 2: matmul_add, 3: norm_gate_up silu, 4: gelu.
void check_fused(Backend& gb, int kind, DType t, int64_t n_in, int64_t n_out, int64_t n_tok, const char* tag = "") {
  const char* const names[] = {"norm_matmul+bias", "norm_matmul", "matmul_add", "norm_gate_up silu", "norm_gate_up gelu"};
  const Weight w = make_weight(t, n_in, n_out), u = make_weight(t, n_in, n_out);
  const std::vector<float> x = g->rvec(size_t(n_in * n_tok), 3.0f), nw = g->rvec(size_t(n_in)), bias = g->rvec(size_t(n_out));
  const std::vector<float> y0 = g->rvec(size_t(n_out * n_tok));
  auto run = [&](Backend& be) {
    Tensor tw = be.upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
    Tensor tu = be.upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(u.bytes.data()), {}, {}});
    if (&be != g->cpu.get()) {
      g->keep.push_back(tw);
      g->keep.push_back(tu);
    }
    Tensor tx = putf(be, {n_in, n_tok, 1, 1}, x), tn = putf(be, {n_in, 1, 1, 1}, nw), tb = putf(be, {n_out, 1, 1, 1}, bias);
    Tensor h = zeros(be, DType::F32, {n_in, n_tok, 1, 1}), tmp = zeros(be, DType::F32, {n_out, n_tok, 1, 1});
    Tensor y = putf(be, {n_out, n_tok, 1, 1}, y0);
    switch (kind) {
      case 0: be.norm_matmul(tx, tn, 1e-5f, h, tw, tb, y); break;
      case 1: be.norm_matmul(tx, tn, 1e-5f, h, tw, Tensor{}, y); break;
      case 2: be.matmul_add(tw, tx, tmp, y); break;
      default: be.norm_gate_up(tx, tn, 1e-5f, h, tw, tu, kind == 4, tmp, y); break;
    }
    return y;
  };
  Tensor gy = run(gb), cy = run(*g->cpu);
  const bool quant = t != DType::F32 && t != DType::F16;
  Case& c = add_case(std::string(names[kind]) + " " + dtype_name(t) + " " + std::to_string(n_in) + "x" +
                         std::to_string(n_out) + " tok " + std::to_string(n_tok) + tag,
                     quant ? (kind >= 3 ? 1e-1 : 3e-2) : 1e-4, gy);  // quant: the CPU's 8-bit activations,
  c.ref = cpu_read(cy);                                                // in both factors of gate*up
  gpu_read(gb, gy, c);
}

// norm_qkv (one dispatch on WebGPU for one token) against the CPU's three norm_matmul: q, k, v are views of
// one buffer, as the decoder allocates them (q rows, k rows, v rows; each n_tok tokens), checked together.
void check_qkv(Backend& gb, DType t, int64_t n_in, int64_t nq, int64_t nk, int64_t n_tok, bool bias, const char* tag = "") {
  const Weight wq = make_weight(t, n_in, nq), wk = make_weight(t, n_in, nk), wv = make_weight(t, n_in, nk);
  const std::vector<float> x = g->rvec(size_t(n_in * n_tok), 3.0f), nw = g->rvec(size_t(n_in));
  const std::vector<float> bq = g->rvec(size_t(nq)), bk = g->rvec(size_t(nk)), bv = g->rvec(size_t(nk));
  const int64_t total = (nq + 2 * nk) * n_tok;
  const std::vector<float> y0 = g->rvec(size_t(total));
  auto run = [&](Backend& be) {
    auto up = [&](const Weight& w, int64_t n_out) {
      Tensor tw = be.upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
      if (&be != g->cpu.get()) g->keep.push_back(tw);
      return tw;
    };
    Tensor tq = up(wq, nq), tk = up(wk, nk), tv = up(wv, nk);
    Tensor tx = putf(be, {n_in, n_tok, 1, 1}, x), tn = putf(be, {n_in, 1, 1, 1}, nw);
    Tensor tbq = bias ? putf(be, {nq, 1, 1, 1}, bq) : Tensor{}, tbk = bias ? putf(be, {nk, 1, 1, 1}, bk) : Tensor{};
    Tensor tbv = bias ? putf(be, {nk, 1, 1, 1}, bv) : Tensor{};
    Tensor h = zeros(be, DType::F32, {n_in, n_tok, 1, 1});
    Tensor y = putf(be, {1, total, 1, 1}, y0);
    Tensor q = reshape(view_rows(y, 0, nq * n_tok), {nq, n_tok, 1, 1});
    Tensor k = reshape(view_rows(y, nq * n_tok, nk * n_tok), {nk, n_tok, 1, 1});
    Tensor v = reshape(view_rows(y, (nq + nk) * n_tok, nk * n_tok), {nk, n_tok, 1, 1});
    be.norm_qkv(tx, tn, 1e-5f, h, tq, tbq, q, tk, tbk, k, tv, tbv, v);
    if (bias) be.norm_qkv(tx, tn, 1e-5f, h, tq, tbq, q, tk, tbk, k, tv, tbv, v);  // again: the cached bias
    return reshape(y, {total, 1, 1, 1});
  };
  Tensor gy = run(gb), cy = run(*g->cpu);
  const bool quant = t != DType::F32 && t != DType::F16;
  Case& c = add_case(std::string("norm_qkv") + (bias ? "+bias " : " ") + dtype_name(t) + " " + std::to_string(n_in) +
                         " -> " + std::to_string(nq) + "+2x" + std::to_string(nk) + " tok " + std::to_string(n_tok) + tag,
                     quant ? 3e-2 : 1e-4, gy);
  c.ref = cpu_read(cy);
  gpu_read(gb, gy, c);
  gb.sync();
}

// norm_qkv_rope_store (on WebGPU one dispatch for one token where the device binds 10 storage buffers: fused
// says it must be) against the CPU's norm_qkv + rope + set_rows: the rotated q, k and v (one buffer, the
// decoder's layout; k is compared in the cache only: WebGPU's rope_store rotates it into the cache, not in place)
// and both caches, all rows (the others must stay as they were), read back through get_rows.
void check_qkv_rope(Backend& gb, DType t, int64_t n_in, int hd, int n_head, int n_head_kv, int n_rot, bool neox,
                    bool bias, DType kv, int n_past, bool fused, const char* tag = "") {
  const int64_t nq = int64_t(hd) * n_head, nk = int64_t(hd) * n_head_kv;
  const int n_ctx = n_past + 3;
  const Weight wq = make_weight(t, n_in, nq), wk = make_weight(t, n_in, nk), wv = make_weight(t, n_in, nk);
  const std::vector<float> x = g->rvec(size_t(n_in), 3.0f), nw = g->rvec(size_t(n_in));
  const std::vector<float> bq = g->rvec(size_t(nq)), bk = g->rvec(size_t(nk)), bv = g->rvec(size_t(nk));
  const std::vector<float> ck = g->rvec(size_t(nk * n_ctx)), cv = g->rvec(size_t(nk * n_ctx));
  const int64_t total = nq + 2 * nk;
  RopeParams rp;
  rp.n_rot = n_rot;
  rp.neox = neox;
  rp.freq_base = 10000.0f;
  uint32_t dispatches = 0;
  auto run = [&](Backend& be) {
    auto up = [&](const Weight& w, int64_t n_out) {
      Tensor tw = be.upload(Tensor{t, {n_in, n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
      if (&be != g->cpu.get()) g->keep.push_back(tw);
      return tw;
    };
    Tensor tq = up(wq, nq), tk = up(wk, nk), tv = up(wv, nk);
    Tensor tx = putf(be, {n_in, 1, 1, 1}, x), tn = putf(be, {n_in, 1, 1, 1}, nw);
    Tensor tbq = bias ? putf(be, {nq, 1, 1, 1}, bq) : Tensor{}, tbk = bias ? putf(be, {nk, 1, 1, 1}, bk) : Tensor{};
    Tensor tbv = bias ? putf(be, {nk, 1, 1, 1}, bv) : Tensor{};
    Tensor h = zeros(be, DType::F32, {n_in, 1, 1, 1});
    Tensor y = zeros(be, DType::F32, {1, total, 1, 1});
    Tensor q = reshape(view_rows(y, 0, nq), {nq, 1, 1, 1});
    Tensor k = reshape(view_rows(y, nq, nk), {nk, 1, 1, 1});
    Tensor v = reshape(view_rows(y, nq + nk, nk), {nk, 1, 1, 1});
    Tensor kc = zeros(be, kv, {nk, n_ctx, 1, 1}), vc = zeros(be, kv, {nk, n_ctx, 1, 1});
    be.set_rows(putf(be, {nk, n_ctx, 1, 1}, ck), kc, 0);
    be.set_rows(putf(be, {nk, n_ctx, 1, 1}, cv), vc, 0);
    if (bias) be.norm_qkv(tx, tn, 1e-5f, h, tq, tbq, q, tk, tbk, k, tv, tbv, v);  // makes the cached bias
    if (&be == &gb) webgpu_take_dispatch_count(be);
    be.norm_qkv_rope_store(tx, tn, 1e-5f, h, tq, tbq, q, tk, tbk, k, tv, tbv, v, hd, kc, vc, n_past, rp);
    if (&be == &gb) dispatches = webgpu_take_dispatch_count(be);
    Tensor out = zeros(be, DType::F32, {nk, 2 * n_ctx + 1 + total / nk, 1, 1});
    std::vector<int32_t> ids(static_cast<size_t>(n_ctx));
    for (int i = 0; i < n_ctx; i++) ids[size_t(i)] = i;
    Tensor o1 = view_rows(out, 0, n_ctx), o2 = view_rows(out, n_ctx, n_ctx);
    be.get_rows(kc, ids.data(), n_ctx, o1);
    be.get_rows(vc, ids.data(), n_ctx, o2);
    Tensor oy = reshape(view_rows(reshape(out, {1, out.nelements(), 1, 1}), 2 * n_ctx * nk, total), {1, total, 1, 1});
    be.add(oy, y, oy);  // out (zeros) + y: q, k, v after the op
    return reshape(out, {out.nelements(), 1, 1, 1});
  };
  // The reference: the composed ops on a WebGPU backend without feature bit 3 (the same exact dequantization:
  // tight), and the CPU backend (8-bit activations for quantized weights: loose).
  g->more.push_back(make_webgpu_backend(g->binding_limit, webgpu_features(gb) & ~8u));
  Backend* composed = g->more.back().get();
  Tensor go = run(gb), ro = run(*composed), co = run(*g->cpu);
  const bool quant = t != DType::F32 && t != DType::F16;
  const std::string name = std::string("norm_qkv_rope_store") + (bias ? "+bias " : " ") + dtype_name(t) + " cache " +
                           dtype_name(kv) + (neox ? " neox" : "") + " hd " + std::to_string(hd) + " rot " +
                           std::to_string(n_rot) + " heads " + std::to_string(n_head) + "/" + std::to_string(n_head_kv) +
                           " past " + std::to_string(n_past) + tag;
  const int64_t n_cache = 2 * n_ctx * nk;
  for (const bool cache : {true, false}) {
    const Tensor gv = view_rows(reshape(go, {1, go.nelements(), 1, 1}), cache ? 0 : n_cache, cache ? n_cache : nq);
    const Tensor rv = view_rows(reshape(ro, {1, ro.nelements(), 1, 1}), cache ? 0 : n_cache, cache ? n_cache : nq);
    const Tensor cv2 = view_rows(reshape(co, {1, co.nelements(), 1, 1}), cache ? 0 : n_cache, cache ? n_cache : nq);
    const std::string part = cache ? " caches" : " q";
    Case& c = add_case(name + part, kv == DType::F16 && cache ? 2e-3 : 1e-4, gv);
    c.ref.resize(size_t(rv.nelements()));
    composed->read(rv, c.ref.data(), c.ref.size() * 4);
    gpu_read(gb, gv, c);
    Case& c2 = add_case(name + part + " vs CPU", quant ? 1e-1 : kv == DType::F16 && cache ? 2e-3 : 1e-4, gv);
    c2.ref = cpu_read(cv2);
    gpu_read(gb, gv, c2);
  }
  gb.sync();
  // One dispatch exactly where it must be fused; more (the composed ops) where it must not.
  g->cases.push_back(Case{name + ": " + std::to_string(dispatches) + " dispatches", {}, {}, {fused ? 1 : 0},
                          {dispatches == 1 ? 1 : 0}, 0});
}

// rope_store against the CPU's rope + set_rows: the rotated q and both caches (read back through get_rows).
// shared: q, k and v are views of one buffer (the decoder's layout; WebGPU binds it once).
void check_rope_store(DType kv, int hd, int n_rot, bool neox, int n_head, int n_head_kv, int n_past, int n_tok,
                      bool shared = false) {
  const int n_ctx = n_past + n_tok + 2;
  const int64_t kvd = int64_t(hd) * n_head_kv;
  const auto q = g->rvec(size_t(hd * n_head * n_tok)), k = g->rvec(size_t(kvd * n_tok)), v = g->rvec(size_t(kvd * n_tok));
  const auto ck = g->rvec(size_t(kvd * n_ctx)), cv = g->rvec(size_t(kvd * n_ctx));
  RopeParams rp;
  rp.n_rot = n_rot;
  rp.neox = neox;
  rp.freq_base = 10000.0f;
  auto run = [&](Backend& be) {
    Tensor tq, tk, tv;
    if (shared) {
      std::vector<float> all(q);
      all.insert(all.end(), k.begin(), k.end());
      all.insert(all.end(), v.begin(), v.end());
      const int64_t nq = int64_t(q.size()), nk = int64_t(k.size());
      Tensor t = putf(be, {1, int64_t(all.size()), 1, 1}, all);
      tq = reshape(view_rows(t, 0, nq), {hd, n_head, n_tok, 1});
      tk = reshape(view_rows(t, nq, nk), {hd, n_head_kv, n_tok, 1});
      tv = reshape(view_rows(t, nq + nk, nk), {kvd, n_tok, 1, 1});
    } else {
      tq = putf(be, {hd, n_head, n_tok, 1}, q);
      tk = putf(be, {hd, n_head_kv, n_tok, 1}, k);
      tv = putf(be, {kvd, n_tok, 1, 1}, v);
    }
    Tensor kc = zeros(be, kv, {kvd, n_ctx, 1, 1}), vc = zeros(be, kv, {kvd, n_ctx, 1, 1});
    be.set_rows(putf(be, {kvd, n_ctx, 1, 1}, ck), kc, 0);
    be.set_rows(putf(be, {kvd, n_ctx, 1, 1}, cv), vc, 0);
    be.rope_store(tq, tk, tv, kc, vc, n_past, rp);
    Tensor out = zeros(be, DType::F32, {kvd, 2 * n_ctx + hd * n_head * n_tok / kvd + 1, 1, 1});
    std::vector<int32_t> ids(static_cast<size_t>(n_ctx));
    for (int i = 0; i < n_ctx; i++) ids[size_t(i)] = i;
    Tensor o1 = view_rows(out, 0, n_ctx), o2 = view_rows(out, n_ctx, n_ctx);
    be.get_rows(kc, ids.data(), n_ctx, o1);
    be.get_rows(vc, ids.data(), n_ctx, o2);
    return std::pair<Tensor, Tensor>(out, tq);
  };
  auto [go, gq] = run(*g->gpu);
  auto [co, cq] = run(*g->cpu);
  const std::string name = std::string("rope_store ") + dtype_name(kv) + (neox ? " neox" : "") + " hd " +
                           std::to_string(hd) + " rot " + std::to_string(n_rot) + " past " + std::to_string(n_past) +
                           " tok " + std::to_string(n_tok) + (shared ? " q|k|v one buffer" : "");
  Tensor gcache = view_rows(go, 0, 2 * n_ctx), ccache = view_rows(co, 0, 2 * n_ctx);
  Case& c1 = add_case(name + " caches", kv == DType::F16 ? 1e-3 : 1e-5, gcache);
  c1.ref = cpu_read(ccache);
  gpu_read(*g->gpu, gcache, c1);
  Case& c2 = add_case(name + " q", 1e-5, gq);
  c2.ref = cpu_read(cq);
  gpu_read(*g->gpu, gq, c2);
}

}  // namespace

// Two backends of one instance recording in turn without a sync in between (the host has one command encoder
// per wasm instance; each backend has its own argument arena): every matmul must run with its own backend's
// parameters. Inputs are written first, so no write() flushes between the dispatches.
void check_interleaved() {
  struct M {
    Backend* be;
    DType t;
    int64_t n_in, n_out, n_tok;
    std::vector<float> ref;
    Tensor gw, gx, gy;
  };
  std::vector<M> ms = {{g->gpu.get(), DType::Q8_0, 512, 67, 1, {}, {}, {}, {}},
                       {g->gpu_plain.get(), DType::Q4_0, 896, 151, 1, {}, {}, {}, {}},
                       {g->gpu.get(), DType::F16, 80, 9, 2, {}, {}, {}, {}},
                       {g->gpu_plain.get(), DType::F32, 96, 33, 3, {}, {}, {}, {}}};
  for (M& m : ms) {
    const Weight w = make_weight(m.t, m.n_in, m.n_out);
    const std::vector<float> x = g->rvec(size_t(m.n_in * m.n_tok));
    m.ref.assign(size_t(m.n_out * m.n_tok), 0.0f);
    for (int64_t tk = 0; tk < m.n_tok; tk++) {
      for (int64_t o = 0; o < m.n_out; o++) {
        double s = 0;
        for (int64_t i = 0; i < m.n_in; i++) s += double(w.deq[size_t(o * m.n_in + i)]) * x[size_t(tk * m.n_in + i)];
        m.ref[size_t(tk * m.n_out + o)] = float(s);
      }
    }
    m.gw = m.be->upload(Tensor{m.t, {m.n_in, m.n_out, 1, 1}, const_cast<uint8_t*>(w.bytes.data()), {}, {}});
    g->keep.push_back(m.gw);
    m.gx = putf(*m.be, {m.n_in, m.n_tok, 1, 1}, x);
    m.gy = zeros(*m.be, DType::F32, {m.n_out, m.n_tok, 1, 1});
  }
  for (M& m : ms) m.be->matmul(m.gw, m.gx, m.gy);
  for (M& m : ms) {
    Case& c = add_case(std::string("matmul ") + dtype_name(m.t) + " " + std::to_string(m.n_in) + "x" +
                           std::to_string(m.n_out) + " tok " + std::to_string(m.n_tok) + " two backends interleaved vs f64",
                       1e-5, m.gy);
    c.ref = m.ref;
    gpu_read(*m.be, m.gy, c);
  }
  g->gpu->sync();
  g->gpu_plain->sync();
}

SOTTO_EXPORT int sotto_opcheck_run(uint32_t binding_limit, uint32_t seed) {
  g = std::make_unique<Check>();
  g->rng = seed;
  g->pool = std::make_unique<ThreadPool>(1);
  g->cpu = make_cpu_backend(*g->pool);
  g->binding_limit = binding_limit;
  g->gpu = make_webgpu_backend(binding_limit);
  g->gpu_small = make_webgpu_backend(1u << 20);
  g->gpu_plain = make_webgpu_backend(binding_limit, 0);
  const DType wtypes[] = {DType::F32, DType::F16, DType::Q8_0, DType::Q4_0, DType::Q4_K};
  const bool dp4a = (webgpu_features(*g->gpu) & 4u) != 0;
  for (DType t : wtypes) {
    for (int64_t n_tok : {1, 5, 19}) {
      check_matmul(*g->gpu, t, 512, 67, n_tok, "", auto_prec(t, n_tok, 512));
    }
    check_get_rows(*g->gpu, t, 256, 41);
  }
  check_matmul(*g->gpu, DType::F32, 96, 33, 3);  // rows not a multiple of 32 values
  check_matmul(*g->gpu, DType::F16, 80, 9, 2);
  // Prefill tiles (matmul-tiled.wgsl), each forced in turn: token counts and rows that are not multiples of
  // any tile (2, 17, 33, 130 tokens; 67, 70 and 151 rows), K not a multiple of the K step (F32 97, F16 83 values).
  // Tiles 8 + i: matmul-tiled.wgsl for every type; tiles i: Q8_0 and Q4_0 through matmul-dp4a.wgsl where the device
  // compiles dot4I8Packed (SwiftShader does).
  const int n_tiles = webgpu_force_matmul_tile(0);
  for (int tile = 0; tile < n_tiles; tile++) {
    webgpu_force_matmul_tile(8 + tile);
    const std::string tag = " tile " + std::to_string(tile);
    for (DType t : wtypes) check_matmul(*g->gpu, t, t == DType::Q4_K ? 512 : 160, 151, tile == 0 ? 130 : 33, tag.c_str());
    check_matmul(*g->gpu, DType::F32, 97, 67, 2, tag.c_str());
    check_matmul(*g->gpu, DType::F16, 83, 70, 17, tag.c_str());
    if (!dp4a) continue;
    webgpu_force_matmul_tile(tile);
    const std::string tag8 = " dp4a tile " + std::to_string(tile);
    for (DType t : {DType::Q8_0, DType::Q4_0}) {
      check_matmul(*g->gpu, t, 160, 151, tile == 0 ? 130 : 33, tag8.c_str(), kAct8);
      check_matmul(*g->gpu, t, 96, 70, 2, tag8.c_str(), kAct8);
    }
    // The K loop's other stage sizes (the default is 2 blocks): 5 blocks of K end in a partial stage for 2, 3, 4.
    for (int kb : {1, 3, 4}) {
      const int was = webgpu_dp4a_kb(kb);
      const std::string tagk = tag8 + " kb " + std::to_string(kb);
      check_matmul(*g->gpu, tile % 2 ? DType::Q8_0 : DType::Q4_0, 160, 151, 33, tagk.c_str(), kAct8);
      webgpu_dp4a_kb(was);
    }
  }
  // Subgroup-matrix configs (matmul-sgmat.wgsl, tiles 16 + i) where the device has them (the GPU machine's NVIDIA
  // Vulkan with Dawn's unsafe-API and f16 toggles; not SwiftShader): ragged tokens (2, 17, 33, 130), rows (67, 70,
  // 151) and K (F16 83 values: not a multiple of the 32-value step); 256 rows x 130 tokens for whole tiles (stored
  // straight to y) next to ragged ones.
  if (webgpu_features(*g->gpu) & 16u) {
    for (int cfg = 0; cfg < webgpu_sgmat_configs(); cfg++) {
      webgpu_force_matmul_tile(16 + cfg);
      const std::string tag = " sgmat " + std::to_string(cfg);
      for (DType t : {DType::F16, DType::Q8_0, DType::Q4_0, DType::Q4_K}) {
        check_matmul(*g->gpu, t, t == DType::Q4_K ? 512 : 160, 151, cfg == 0 ? 130 : 33, tag.c_str(), kHalf);
      }
      check_matmul(*g->gpu, DType::F16, 83, 70, 17, tag.c_str(), kHalf);
      check_matmul(*g->gpu, DType::Q8_0, 96, 67, 2, tag.c_str(), kHalf);
      check_matmul(*g->gpu, DType::F16, 192, 256, 130, tag.c_str(), kHalf);
      check_matmul(*g->gpu, DType::Q4_0, 256, 256, 130, tag.c_str(), kHalf);
      check_matmul(*g->gpu, DType::F32, 97, 67, 33, tag.c_str());  // F32 weights keep the f32 kernels
    }
  }
  webgpu_force_matmul_tile(-1);
  if (dp4a) check_matmul(*g->gpu, DType::Q4_0, 512, 67, 40, " dp4a", auto_prec(DType::Q4_0, 40, 512));
  // Decode (one token) matrix-vector kernels: with the device's subgroups / shader-f16 (g->gpu, also the
  // n_tok 1 cases above) and without (g->gpu_plain: shared-memory reduction, unpack2x16float); K not a
  // multiple of the 1024 values a workgroup covers per pass, row counts not a multiple of 4.
  for (DType t : wtypes) {
    const int64_t k = t == DType::Q4_K ? 1280 : 896;
    check_matmul(*g->gpu, t, k, 151, 1);
  }
  check_matmul(*g->gpu, DType::F16, 80, 9, 1);
  g->gpu->sync();
  for (DType t : wtypes) {
    check_matmul(*g->gpu_plain, t, 512, 67, 1, " no subgroups/f16");
    check_matmul(*g->gpu_plain, t, t == DType::Q4_K ? 1280 : 896, 151, 1, " no subgroups/f16");
  }
  for (int kind = 0; kind < 5; kind++) check_fused(*g->gpu_plain, kind, DType::Q4_0, 512, 67, 1, " no subgroups/f16");
  g->gpu_plain->sync();
  check_interleaved();
  // Fused decoder steps: one token (matrix-vector kernels with prologue/epilogues) and three (composed).
  for (int kind = 0; kind < 5; kind++) {
    for (DType t : wtypes) check_fused(*g->gpu, kind, t, 512, 67, 1);
    check_fused(*g->gpu, kind, DType::Q8_0, 256, 35, 3);
  }
  check_fused(*g->gpu, 3, DType::F16, 512, 67, 1, " again");  // pipeline reuse
  for (DType t : wtypes) check_qkv(*g->gpu, t, 512, 128, 64, 1, true);
  check_qkv(*g->gpu, DType::Q4_0, 256, 64, 32, 1, false);
  check_qkv(*g->gpu, DType::Q8_0, 256, 64, 32, 3, true);         // prefill: the composed ops
  check_qkv(*g->gpu, DType::F32, 256, 66, 34, 1, true, " rows not whole workgroups");  // the default path
  check_qkv(*g->gpu_plain, DType::Q4_0, 512, 128, 64, 1, true, " no subgroups/f16");
  check_qkv(*g->gpu_plain, DType::Q4_0, 512, 128, 64, 1, false, " no subgroups/f16");
  {
    // The decode step's q, k, v with RoPE and the KV-cache store in one dispatch (feature bit 3): Llama-style pairs
    // and neox pairs, partial rotation (n_rot < head_dim), biases, f16 and f32 caches, every weight type.
    const bool sb10 = (webgpu_features(*g->gpu) & 8u) != 0;
    for (DType t : wtypes) check_qkv_rope(*g->gpu, t, 256, 64, 4, 2, 64, false, false, DType::F16, 7, sb10);
    check_qkv_rope(*g->gpu, DType::Q4_0, 512, 64, 14, 2, 64, true, true, DType::F16, 0, sb10);   // Qwen2.5
    check_qkv_rope(*g->gpu, DType::Q8_0, 256, 128, 4, 1, 64, true, false, DType::F32, 30, sb10);  // n_rot < hd
    check_qkv_rope(*g->gpu, DType::F32, 256, 64, 8, 8, 32, false, true, DType::F32, 5, sb10);
    check_qkv_rope(*g->gpu, DType::F16, 128, 256, 2, 1, 256, true, false, DType::F16, 11, sb10);
    check_qkv_rope(*g->gpu_plain, DType::Q4_0, 256, 64, 4, 2, 64, true, true, DType::F16, 3, false, " no features");
    check_qkv_rope(*g->gpu, DType::F32, 256, 64, 4, 2, 62, false, false, DType::F32, 3, false, " n_rot 62: composed");
  }
  // Split over 1 MiB buffers: 1100 rows of 1088 bytes (Q8_0) -> 2 buffers.
  // (Backends sharing a host must flush before another one records: the arena is per backend.)
  g->gpu->sync();
  check_matmul(*g->gpu_small, DType::Q8_0, 1024, 1100, 2, " split");
  check_matmul(*g->gpu_small, DType::Q8_0, 1024, 1100, 40, " split", auto_prec(DType::Q8_0, 40, 1024));  // a prefill tile per buffer
  check_matmul(*g->gpu_small, DType::F16, 512, 1100, 40, " split", auto_prec(DType::F16, 40, 512));
  check_matmul(*g->gpu_small, DType::Q8_0, 1024, 1100, 1, " split");
  check_get_rows(*g->gpu_small, DType::Q8_0, 1024, 1100, " split");
  g->gpu_small->sync();

  const int64_t n = 160, rows = 7;
  const auto a = g->rvec(n * rows), b = g->rvec(n * rows), brow = g->rvec(n), w = g->rvec(n);
  check_op("add", 1e-6, {{{n, rows, 1, 1}, a}, {{n, rows, 1, 1}, b}, {{n, rows, 1, 1}, {}}}, 2,
           [](Backend& be, std::vector<Tensor>& t) { be.add(t[0], t[1], t[2]); });
  check_op("add broadcast in place", 1e-6, {{{n, rows, 1, 1}, a}, {{n, 1, 1, 1}, brow}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.add(t[0], t[1], t[0]); });
  check_op("mul", 1e-6, {{{n, rows, 1, 1}, a}, {{n, rows, 1, 1}, b}, {{n, rows, 1, 1}, {}}}, 2,
           [](Backend& be, std::vector<Tensor>& t) { be.mul(t[0], t[1], t[2]); });
  check_op("mul broadcast in place", 1e-6, {{{n, rows, 1, 1}, a}, {{n, 1, 1, 1}, brow}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.mul(t[0], t[1], t[0]); });
  check_op("scale", 1e-6, {{{n, rows, 1, 1}, a}}, 0, [](Backend& be, std::vector<Tensor>& t) { be.scale(t[0], 0.37f); });
  check_op("rms_norm weight", 1e-5, {{{n, rows, 1, 1}, a}, {{n, 1, 1, 1}, w}, {{n, rows, 1, 1}, {}}}, 2,
           [](Backend& be, std::vector<Tensor>& t) { be.rms_norm(t[0], t[1], 1e-6f, t[2]); });
  check_op("rms_norm no weight in place", 1e-5, {{{n, rows, 1, 1}, a}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.rms_norm(t[0], Tensor{}, 1e-5f, t[0]); });
  check_op("rms_norm per head", 1e-5, {{{n, rows, 1, 1}, a}, {{32, 1, 1, 1}, g->rvec(32)}}, 0,
           [](Backend& be, std::vector<Tensor>& t) {
             Tensor h = reshape(t[0], {32, n * rows / 32, 1, 1});
             be.rms_norm(h, t[1], 1e-6f, h);
           });
  check_op("softmax", 1e-5, {{{n, rows, 1, 1}, g->rvec(n * rows, 8.0f)}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.softmax(t[0]); });
  check_op("swiglu", 1e-5, {{{n, rows, 1, 1}, g->rvec(n * rows, 6.0f)}, {{n, rows, 1, 1}, b}}, 0,
           [](Backend& be, std::vector<Tensor>& t) { be.swiglu(t[0], t[1], t[0]); });
  check_op("geglu", 1e-5, {{{n, rows, 1, 1}, g->rvec(n * rows, 6.0f)}, {{n, rows, 1, 1}, b}, {{n, rows, 1, 1}, {}}}, 2,
           [](Backend& be, std::vector<Tensor>& t) { be.geglu(t[0], t[1], t[2]); });

  static std::vector<float> ff;
  ff = g->rvec(16);
  for (float& f : ff) f = 1.0f + std::fabs(f) * 4.0f;
  struct R {
    const char* name;
    int hd, n_rot;
    bool neox, factors;
    float scale;
    int pos0;
  };
  for (const R& r : {R{"rope", 64, 64, false, false, 1.0f, 0}, R{"rope neox", 64, 64, true, false, 1.0f, 37},
                     R{"rope neox partial", 64, 32, true, false, 1.0f, 5}, R{"rope partial", 64, 16, false, false, 1.0f, 5},
                     R{"rope freq_factors scaled", 64, 32, false, true, 0.25f, 300}}) {
    const int n_head = 3, n_tok = 4;
    check_op(r.name, 1e-4, {{{r.hd, n_head, n_tok, 1}, g->rvec(size_t(r.hd * n_head * n_tok))}}, 0,
             [&r](Backend& be, std::vector<Tensor>& t) {
               RopeParams p;
               p.n_rot = r.n_rot;
               p.neox = r.neox;
               p.freq_base = 10000.0f;
               p.freq_scale = r.scale;
               p.freq_factors = r.factors ? ff.data() : nullptr;
               be.rope(t[0], r.pos0, p);
             });
  }
  for (DType kv : {DType::F32, DType::F16}) {
    const int64_t ne0 = 96;
    const auto src = g->rvec(ne0 * 5);
    auto run = [&](Backend& be) {
      Tensor s = putf(be, {ne0, 5, 1, 1}, src), d = zeros(be, kv, {ne0, 12, 1, 1});
      be.set_rows(s, d, 3);
      Tensor back = zeros(be, DType::F32, {ne0, 12, 1, 1});
      // Read back as f32 through get_rows (exact for f16 and f32).
      std::vector<int32_t> ids(12);
      for (int i = 0; i < 12; i++) ids[size_t(i)] = i;
      be.get_rows(d, ids.data(), 12, back);
      return back;
    };
    Tensor gb = run(*g->gpu), cb = run(*g->cpu);
    Case& c = add_case(std::string("set_rows ") + dtype_name(kv), 1e-6, gb);
    c.ref = cpu_read(cb);
    gpu_read(*g->gpu, gb, c);
  }
  check_rope_store(DType::F16, 64, 64, true, 4, 2, 9, 1);
  check_rope_store(DType::F16, 64, 64, false, 4, 2, 9, 3);
  check_rope_store(DType::F32, 64, 32, true, 3, 1, 0, 4);
  check_rope_store(DType::F32, 128, 16, false, 2, 2, 5, 1);
  check_rope_store(DType::F16, 64, 64, true, 4, 2, 9, 1, true);
  check_rope_store(DType::F32, 128, 16, false, 2, 2, 5, 3, true);
  check_op("norm_add", 1e-5, {{{n, rows, 1, 1}, a}, {{n, 1, 1, 1}, w}, {{n, rows, 1, 1}, b}}, 2,
           [](Backend& be, std::vector<Tensor>& t) { be.norm_add(t[0], t[1], 1e-6f, t[2]); });
  check_attention(DType::F32, 64, 4, 2, 9, 1, 0, 0);
  check_attention(DType::F16, 64, 4, 2, 9, 6, 0, 0);
  check_attention(DType::F16, 64, 4, 1, 100, 3, 0, 0);
  check_attention(DType::F32, 256, 4, 1, 70, 2, 0, 0);
  check_attention(DType::F16, 128, 2, 2, 90, 5, 20, 0);
  check_attention(DType::F32, 64, 4, 4, 20, 4, 5, 30.0f);
  // Prefill (attention-prefill.wgsl: 32-token blocks, 32-key tiles, head_dim chunks of 32): token counts and
  // n_past that are not multiples of a block or tile, GQA 8/2 and 14/2, head_dim 64/80/96/128/256, windows
  // smaller than a block, softcap; fewer than 1024 blocks x heads with > 128 keys are split over key chunks.
  check_attention(DType::F32, 64, 8, 2, 0, 2, 0, 0);
  check_attention(DType::F16, 64, 8, 2, 5, 7, 0, 0);
  check_attention(DType::F32, 80, 4, 2, 0, 33, 0, 0);
  check_attention(DType::F16, 96, 8, 2, 70, 130, 0, 0);          // split in 2
  check_attention(DType::F32, 128, 4, 1, 5, 33, 10, 0);          // window 10 < block
  check_attention(DType::F16, 256, 2, 1, 70, 33, 20, 30.0f);     // window, softcap
  check_attention(DType::F32, 256, 4, 4, 0, 130, 0, 0);          // split in 2
  check_attention(DType::F32, 64, 14, 2, 300, 7, 100, 0);        // window 100 over 307 keys, split in 2
  check_attention(DType::F16, 128, 8, 2, 0, 300, 0, 50.0f);      // split in 3, softcap
  check_attention(DType::F16, 64, 4, 1, 1500, 20, 0, 0);         // split in 12
  check_attention(DType::F32, 256, 4, 1, 600, 40, 512, 0);       // window 512, split in 5
  // Decode over more than 64 keys: split over key chunks, then merged; each through attention-decode.wgsl (a
  // workgroup per kv head: GQA groups of 1, 2, 4, 7, 16; partial tiles; windows; softcap) and attention-split.wgsl.
  for (const int on : {1, 0}) {
    const char* tag = on ? " (decode)" : " (split)";
    webgpu_attention_decode(on);
    check_attention(DType::F16, 64, 4, 2, 300, 1, 0, 0, tag);
    check_attention(DType::F32, 256, 4, 1, 200, 1, 100, 0, tag);
    check_attention(DType::F16, 128, 2, 2, 2500, 1, 0, 30.0f, tag);
    check_attention(DType::F16, 64, 32, 8, 700, 1, 0, 0, tag);       // Llama-3.2-1B's heads
    check_attention(DType::F16, 64, 14, 2, 2047, 1, 0, 0, tag);      // Qwen2.5-0.5B's, 2048 keys
    check_attention(DType::F32, 64, 14, 2, 129, 1, 0, 0, tag);
    check_attention(DType::F16, 256, 4, 1, 1000, 1, 512, 0, tag);    // Gemma-3-270M's, window 512
    check_attention(DType::F32, 128, 8, 2, 90, 1, 70, 20.0f, tag);   // window 70 (71 keys), softcap
    check_attention(DType::F16, 64, 16, 1, 65, 1, 0, 0, tag);        // 66 keys: a partial tile
    check_attention(DType::F32, 80, 4, 2, 150, 1, 0, 0, tag);        // head_dim 80: attention-split.wgsl
  }
  webgpu_attention_decode(1);
  {
    const int64_t nv = 1000, r = 4;
    std::vector<float> x = g->rvec(size_t(nv * r));
    x[500] = 5.0f;
    x[700] = 5.0f;  // tie in row 0: the first wins
    x[size_t(nv) + 999] = 9.0f;
    Tensor gx = putf(*g->gpu, {nv, r, 1, 1}, x), go = zeros(*g->gpu, DType::I32, {r, 1, 1, 1});
    g->gpu->argmax(gx, go);
    Tensor cx = putf(*g->cpu, {nv, r, 1, 1}, x), co = zeros(*g->cpu, DType::I32, {r, 1, 1, 1});
    g->cpu->argmax(cx, co);
    g->cases.push_back(Case{"argmax (ties: first index)", {}, {}, std::vector<int32_t>(size_t(r)),
                            std::vector<int32_t>(size_t(r)), 0});
    Case& c = g->cases.back();
    g->cpu->read(co, c.ref_i.data(), size_t(r) * 4);
    g->gpu->read(go, c.gpu_i.data(), size_t(r) * 4);
  }
  // One long row (greedy decoding): the two-pass argmax over 2048-value chunks. Ties across chunks and
  // within one, a -inf, the best in the last (partial) chunk or the first.
  for (const int64_t nv : {int64_t(151936), int64_t(5000), int64_t(2049)}) {
    std::vector<float> x = g->rvec(size_t(nv));
    x[3] = -INFINITY;
    if (nv == 151936) {
      x[70000] = 7.0f;
      x[4100] = 7.0f;   // tie in another chunk, earlier: wins
      x[4101] = 7.0f;
    } else if (nv == 5000) {
      x[4999] = 6.0f;   // in the last, partial chunk
    } else {
      x[0] = 6.0f;
      x[2048] = 6.0f;   // tie with the first value, alone in the last chunk
    }
    Tensor gx = putf(*g->gpu, {nv, 1, 1, 1}, x), go = zeros(*g->gpu, DType::I32, {1, 1, 1, 1});
    g->gpu->argmax(gx, go);
    Tensor cx = putf(*g->cpu, {nv, 1, 1, 1}, x), co = zeros(*g->cpu, DType::I32, {1, 1, 1, 1});
    g->cpu->argmax(cx, co);
    g->cases.push_back(Case{"argmax one row of " + std::to_string(nv) + " (two passes, ties: first index)", {}, {},
                            std::vector<int32_t>(1), std::vector<int32_t>(1), 0});
    Case& c = g->cases.back();
    g->cpu->read(co, c.ref_i.data(), 4);
    g->gpu->read(go, c.gpu_i.data(), 4);
  }
  check_speech_ops();
  g->gpu->sync();
  g->gpu_small->sync();
  g->gpu_plain->sync();
  return int(g->cases.size());
}

SOTTO_EXPORT int sotto_opcheck_report() {
  int failures = 0;
  for (const Case& c : g->cases) {
    bool ok;
    double err = 0;
    if (!c.ref_i.empty()) {
      ok = c.ref_i == c.gpu_i;
      // The first ids (up to 2) of each side; an argmax case has one.
      auto ids = [](const std::vector<int32_t>& v) {
        std::string s;
        for (size_t i = 0; i < v.size() && i < 2; i++) s += (i ? " " : "") + std::to_string(v[i]);
        return s + (v.size() > 2 ? " ..." : "");
      };
      std::printf("%-4s %-58s gpu [%s] cpu [%s]\n", ok ? "ok" : "FAIL", c.name.c_str(), ids(c.gpu_i).c_str(),
                  ids(c.ref_i).c_str());
    } else {
      double ss = 0, mx = 0;
      for (size_t i = 0; i < c.ref.size(); i++) {
        ss += double(c.ref[i]) * c.ref[i];
        const double d = std::fabs(double(c.gpu[i]) - c.ref[i]);
        if (!(d <= mx)) mx = d;  // NaN counts as an error
      }
      const double rms = std::sqrt(ss / double(std::max<size_t>(c.ref.size(), 1)));
      err = mx / std::max(rms, 1e-6);
      ok = err <= c.tol;
      std::printf("%-4s %-58s err %.2e (tol %.0e)\n", ok ? "ok" : "FAIL", c.name.c_str(), err, c.tol);
    }
    if (!ok) failures++;
  }
  std::fflush(stdout);
  g.reset();
  return failures;
}

// Address-space reuse: 300 tensors of 16 MiB allocated and freed one after another (4.8 GiB of addresses in all,
// more than the 32-bit space the backend hands out) must not run out; each round submits so the host destroys the
// freed buffer. Returns 0 (an error traps with its message).
SOTTO_EXPORT int sotto_opcheck_alloc_churn(uint32_t binding_limit) {
  auto be = make_webgpu_backend(binding_limit);
  Tensor small = be->alloc(DType::F32, {64, 1, 1, 1});
  for (int i = 0; i < 300; i++) {
    Tensor big = be->alloc(DType::F32, {4 << 20, 1, 1, 1});
    be->scale(big, 2.0f);
    be->sync();
  }
  be->scale(small, 2.0f);
  be->sync();
  return 0;
}
