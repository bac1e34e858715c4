// cpu-attention.cpp — causal grouped-query attention over an F32 or F16 KV cache on the CPU.
// A task is (query token, kv head, a range of that kv head's query heads): keys are visited in chunks;
// for an f16 cache a chunk of K and V is converted to f32 once and shared by the task's query heads.
// Each query head keeps an online softmax (running max and sum; the accumulator is rescaled when the
// max grows), so memory is O(head_dim) per head and no score overflows. Threads take tasks from a shared
// counter, in an order that alternates early and late query tokens (short and long causal rows). Sliding window:
// position p sees keys in (p - window, p]. Softcap, if set, applies to the scaled score. Not causal
// (AttnParams::causal false): every query sees every cache row.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/cpu-ops.h"

namespace sotto::cpu {
namespace {


struct AttnJob {
  const float* q;
  const uint8_t* k;
  const uint8_t* v;
  float* out;
  bool f16;
  size_t kv_row_bytes;
  int64_t head_dim, n_head, n_tok, group, n_split;
  int n_past;
  int64_t n_kv;  // rows of k and v
  AttnParams p;
  float* scratch;  // kAttnScratchFloats per thread

  // Query heads [h0, h1) of kv head kvh for token t; `ws` is the thread's scratch.
  void task(int64_t t, int64_t kvh, int64_t h0, int64_t h1, float* ws) const {
    const int64_t hd = head_dim, ng = h1 - h0;
    // Causal: keys [j_lo, pos]; not causal: every row of the cache, [0, n_kv).
    const int64_t pos = p.causal ? n_past + t : n_kv - 1;
    const int64_t j_lo = p.causal && p.window > 0 ? std::max<int64_t>(0, pos - p.window + 1) : 0;
    const int64_t chunk = std::min<int64_t>(128, kAttnBufFloats / hd);
    const size_t kv_off = size_t(kvh) * size_t(hd) * (f16 ? 2 : 4);
    float s[128], m[64], l[64];
    float* qs = ws;
    float* acc = ws + kAttnMaxAcc;
    float* kbuf = ws + 2 * kAttnMaxAcc;
    float* vbuf = kbuf + kAttnBufFloats;
    for (int64_t g = 0; g < ng; g++) {
      const float* qr = q + (t * n_head + h0 + g) * hd;
      for (int64_t i = 0; i < hd; i++) {
        qs[g * hd + i] = qr[i] * p.scale;
        acc[g * hd + i] = 0.0f;
      }
      m[g] = -std::numeric_limits<float>::infinity();
      l[g] = 0.0f;
    }
    for (int64_t j0 = j_lo; j0 <= pos; j0 += chunk) {
      const int64_t nj = std::min<int64_t>(chunk, pos + 1 - j0);
      const void* kc = k + size_t(j0) * kv_row_bytes + kv_off;
      const void* vc = v + size_t(j0) * kv_row_bytes + kv_off;
      size_t row_bytes = kv_row_bytes;
      if (f16) {
        for (int64_t j = 0; j < nj; j++) {
          f16_to_f32_row(reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(kc) + size_t(j) * kv_row_bytes),
                         kbuf + j * hd, hd);
          f16_to_f32_row(reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(vc) + size_t(j) * kv_row_bytes),
                         vbuf + j * hd, hd);
        }
        kc = kbuf;
        vc = vbuf;
        row_bytes = size_t(hd) * 4;
      }
      for (int64_t g = 0; g < ng; g++) {
        attn_scores_f32(qs + g * hd, kc, row_bytes, nj, hd, s);
        float cm = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < nj; j++) {
          if (p.softcap > 0.0f) s[j] = p.softcap * std::tanh(s[j] / p.softcap);
          cm = std::max(cm, s[j]);
        }
        float* a = acc + g * hd;
        if (cm > m[g]) {
          const float factor = std::exp(m[g] - cm);  // 0 on the first chunk
          for (int64_t i = 0; i < hd; i++) a[i] *= factor;
          l[g] *= factor;
          m[g] = cm;
        }
        exp_sub_row(s, m[g], nj);
        for (int64_t j = 0; j < nj; j++) l[g] += s[j];
        attn_accum_f32(s, vc, row_bytes, nj, hd, a);
      }
    }
    for (int64_t g = 0; g < ng; g++) {
      float* o = out + (t * n_head + h0 + g) * hd;
      const float il = 1.0f / l[g];
      for (int64_t i = 0; i < hd; i++) o[i] = acc[g * hd + i] * il;
    }
  }

  // Task i: token rank i / (n_head_kv * n_split) (alternating front and back), then kv head, then split.
  void run(int64_t i, int thread) const {
    const int64_t n_kv = n_head / group, per_tok = n_kv * n_split;
    const int64_t r = i / per_tok, rest = i % per_tok;
    const int64_t t = (r % 2 == 0) ? r / 2 : n_tok - 1 - r / 2;
    const int64_t kvh = rest / n_split, sp = rest % n_split;
    const int64_t h0 = kvh * group + group * sp / n_split, h1 = kvh * group + group * (sp + 1) / n_split;
    if (h0 < h1) task(t, kvh, h0, h1, scratch + size_t(thread) * kAttnScratchFloats);
  }
};

}  // namespace

void attention(ThreadPool& pool, std::vector<float>& scratch, const Tensor& q, const Tensor& k, const Tensor& v,
               int n_head_kv, int n_past, const AttnParams& p, Tensor& out) {
  const size_t need = size_t(pool.size()) * kAttnScratchFloats;
  if (scratch.size() < need) scratch.resize(need);
  AttnJob job;
  job.scratch = scratch.data();
  job.head_dim = q.ne[0];
  job.n_head = q.ne[1];
  job.n_tok = q.ne[2] * q.ne[3];
  job.group = job.n_head / n_head_kv;
  job.q = q.as<const float>();
  job.k = static_cast<const uint8_t*>(k.data);
  job.v = static_cast<const uint8_t*>(v.data);
  job.out = out.as<float>();
  job.f16 = k.type == DType::F16;
  job.kv_row_bytes = k.row_bytes();
  job.n_past = n_past;
  job.n_kv = k.nrows();
  job.p = p;
  // Split a kv head's query heads over tasks when there are fewer tasks than threads, and whenever the
  // group's accumulators would not fit (at most 64 heads and kAttnMaxAcc floats per task).
  const int64_t tasks = job.n_tok * n_head_kv;
  int64_t split = std::max<int64_t>(1, (pool.size() + tasks - 1) / tasks);
  const int64_t max_heads = std::min<int64_t>(64, kAttnMaxAcc / job.head_dim);  // head_dim <= 512 (checked)
  split = std::max(split, (job.group + max_heads - 1) / max_heads);
  job.n_split = std::min(split, job.group);
  const int64_t n_tasks = tasks * job.n_split;
  const int64_t chunk = std::max<int64_t>(1, n_tasks / (4 * pool.size()));
  parallel_dynamic(pool, n_tasks, chunk, [&job](int64_t i0, int64_t i1, int thread) {
    for (int64_t i = i0; i < i1; i++) job.run(i, thread);
  });
}

}  // namespace sotto::cpu
