// webgpu-backend.cpp — see webgpu-backend.h. Each op checks its shapes, writes its parameters into the
// step's argument arena (256-byte aligned blocks, bound as read-only storage) and records one dispatch
// per weight buffer. Kernels are composed from the embedded .wgsl files (a weight kernel is its body plus
// dq-common and the dtype's deq32; a kernel that shares a piece has the *-common / workgroup-sum file
// prepended) and compiled by the host on first use.
#include "backend/webgpu/webgpu-backend.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <array>
#include <iterator>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/webgpu/webgpu-sample.h"
#include "backend/webgpu/wgsl-sources.h"
#include "core/error.h"

#define SOTTO_GPU_IMPORT(name) __attribute__((import_module("sotto_gpu"), import_name(#name)))
extern "C" {
SOTTO_GPU_IMPORT(buffer_create) void sotto_gpu_buffer_create(uint32_t id, uint32_t bytes);
SOTTO_GPU_IMPORT(buffer_destroy) void sotto_gpu_buffer_destroy(uint32_t id);
SOTTO_GPU_IMPORT(buffer_write) void sotto_gpu_buffer_write(uint32_t id, uint32_t offset, const void* src, uint32_t n);
SOTTO_GPU_IMPORT(pipeline_create) void sotto_gpu_pipeline_create(uint32_t kernel, const char* src, uint32_t len);
// binds: n_binds quads (binding index, buffer id, byte offset, byte size; size 0: the whole buffer);
// buffer id 0 is the arena of the next flush. group: the id of this (kernel, binds) set (bind_group_id), under
// which the host caches its bind group, so the host builds no key of its own.
SOTTO_GPU_IMPORT(dispatch)
void sotto_gpu_dispatch(uint32_t kernel, const uint32_t* binds, uint32_t n_binds, uint32_t gx, uint32_t gy, uint32_t gz,
                        uint32_t group);
SOTTO_GPU_IMPORT(read) void sotto_gpu_read(uint32_t id, uint32_t offset, uint32_t n, void* dst);
SOTTO_GPU_IMPORT(flush) void sotto_gpu_flush(const void* arena, uint32_t n);
// Records that bytes [file_offset, + n) of the model file go to buffer id at offset: the host streams
// them in after the engine call returns (before any later submit).
SOTTO_GPU_IMPORT(buffer_load)
void sotto_gpu_buffer_load(uint32_t id, uint32_t offset, uint32_t file_offset_lo, uint32_t file_offset_hi, uint32_t n);
// Optional device features the host enabled: bit 0 subgroups, bit 1 shader-f16, bit 2 dot4I8Packed compiles,
// bit 3 ten storage buffers a stage, bit 4 f16 subgroup matrices (16 x 16 x 16, f32 results, subgroups of 32,
// 32 KiB of workgroup memory: matmul-sgmat.wgsl).
SOTTO_GPU_IMPORT(features) uint32_t sotto_gpu_features();
}

namespace sotto {
namespace {

constexpr uint32_t kArena = 0;
constexpr uint32_t kMaxGroups = 65535;

// Ids of the (kernel, binding quads) sets dispatched in this instance, the key of the host's bind-group cache (a
// decode step dispatches 100-200 of them; building a string key per dispatch in JS cost ~3 us each). Buffer ids are
// never reused, and a destroyed buffer's sets are forgotten here as the host drops their bind groups.
struct BindGroupIds {
  std::unordered_map<std::string, uint32_t> ids;
  uint32_t next = 1;
};
BindGroupIds& bind_group_ids() {
  static BindGroupIds b;
  return b;
}
uint32_t bind_group_id(uint32_t kernel, const uint32_t* quads, uint32_t n) {
  std::string key(reinterpret_cast<const char*>(&kernel), 4);
  key.append(reinterpret_cast<const char*>(quads), 16 * size_t(n));
  BindGroupIds& b = bind_group_ids();
  auto [it, fresh] = b.ids.emplace(std::move(key), b.next);
  if (fresh) b.next++;
  return it->second;
}
void forget_bind_groups(uint32_t buffer) {
  auto& ids = bind_group_ids().ids;
  for (auto it = ids.begin(); it != ids.end();) {
    bool names = false;
    for (size_t o = 4 + 4; o + 4 <= it->first.size(); o += 16) {  // the buffer id of each quad
      uint32_t id;
      std::memcpy(&id, it->first.data() + o, 4);
      names = names || id == buffer;
    }
    it = names ? ids.erase(it) : std::next(it);
  }
}
void gpu_dispatch(uint32_t kernel, const uint32_t* quads, uint32_t n, uint32_t gx, uint32_t gy, uint32_t gz) {
  sotto_gpu_dispatch(kernel, quads, n, gx, gy, gz, bind_group_id(kernel, quads, n));
}

// Kernel ids: weight kernels are (base + dtype index), the others follow.
enum Kernel : uint32_t {
  kMatMul = 0,         // + 0..4
  kGetRows = 5,        // + 0..4
  kAdd = 10, kMul, kScale, kRmsNorm, kRope, kSwiGlu, kGeGlu, kSetRows, kSoftmax, kArgMax, kAttention,
  kRopeStore, kNumKernels
};
// The speech-model kernels (layer_norm, unary, group_norm, conv1d's unfold, attention without a mask).
enum SpeechKernel : uint32_t { kLayerNorm = 64, kGelu, kTanh, kSilu, kGroupNorm, kIm2Col, kAttentionFull };
// Prefill attention (attention-prefill.wgsl), + 0..2: head_dim classes 64, 128, 256 (the HDC constant).
constexpr uint32_t kAttentionPrefill = 80, kAttentionPrefillEnd = 83;

int weight_index(DType t) {
  switch (t) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q8_0: return 2;
    case DType::Q4_0: return 3;
    case DType::Q4_K: return 4;
    default: return -1;
  }
}
const char* const kDq[] = {"dq-f32", "dq-f16", "dq-q8_0", "dq-q4_0", "dq-q4_k"};

// Prefill matmul (matmul-tiled.wgsl): kernel kMatMulTiled + dtype index + 8 * tile index. A tile is TM x TN
// outputs a thread (tokens x rows; the workgroup of 16 x 16 threads covers 16 TM tokens x 16 TN rows) and BK
// values of K a step; each fits WebGPU's default 16 KiB of workgroup memory (4 BK (16 TM + 16 TN) bytes).
constexpr uint32_t kMatMulTiled = 96;
struct MmTile {
  uint32_t tm, tn, bk;
  uint64_t row_groups(uint64_t rows) const { return (rows + 16 * tn - 1) / (16 * tn); }
  uint64_t token_groups(uint64_t n_tok) const { return (n_tok + 16 * tm - 1) / (16 * tm); }
};
constexpr MmTile kMmTiles[] = {{4, 4, 32}, {4, 8, 16}, {8, 4, 16}, {8, 8, 16}};
constexpr uint32_t kNumMmTiles = sizeof kMmTiles / sizeof kMmTiles[0];
// Q8_0 and Q4_0 weights take matmul-dp4a.wgsl instead (8-bit activations, packed integer dot products) where the
// device compiles dot4I8Packed (feature bit 2), with the same tiles: kernel kMatMulDp4a + 8 (KB - 1) + 2 tile + (Q4_0),
// KB the blocks of 32 values a stage of its software-pipelined K loop (1..kMaxDp4aKb).
constexpr uint32_t kMatMulDp4a = 160, kMaxDp4aKb = 4;
constexpr uint32_t kQuantizeQ8 = 159;  // quantize-q8.wgsl: the activations of matmul-dp4a.wgsl
// Prefill matmul on subgroup matrices (matmul-sgmat.wgsl, feature bit 4): kernel kMatMulSgmat + dtype index +
// 8 * config. A config is SM x SN subgroups of 32 threads, each FM x FN result tiles of 16 x 16 (tokens x rows),
// BK values of K a step, and how the activations come (XM: 0 f32 staged, 1 to-f16.wgsl's copy staged, 2 that copy
// read straight from the buffer; see matmul-sgmat.wgsl). Configs 0-3 are the first kernel's (session 10).
constexpr uint32_t kMatMulSgmat = 256;
// The dtype slot of F16 weights whose rows and buffers are whole 16-byte words (sgmat-wf16.wgsl: 8 values a load);
// other F16 weights take slot 1 (sgmat-wdq.wgsl, as every other type).
constexpr uint32_t kSgF16Rows = 5;
constexpr uint32_t kToF16 = 158;  // to-f16.wgsl: the activations of matmul-sgmat.wgsl with XM 1 or 2
struct SgTile {
  uint32_t sm, sn, fm, fn, bk, xm;
  constexpr uint32_t bm() const { return 16 * sm * fm; }  // tokens
  constexpr uint32_t bn() const { return 16 * sn * fn; }  // rows
  uint64_t row_groups(uint64_t rows) const { return (rows + bn() - 1) / bn(); }
  uint64_t token_groups(uint64_t n_tok) const { return (n_tok + bm() - 1) / bm(); }
  // Workgroup memory (bytes): the staged weight tile, the staged activations (XM 0, 1), the scratch tile.
  constexpr uint32_t smem() const { return 2 * (bk + 8) * (bn() + (xm < 2 ? bm() : 0)) + 1024; }
};
constexpr SgTile kSgTiles[] = {
    {2, 2, 2, 2, 32, 0}, {2, 4, 2, 2, 32, 0}, {4, 2, 2, 4, 32, 0}, {2, 2, 2, 4, 32, 0},  // session 10's
    {2, 4, 2, 2, 32, 1}, {2, 4, 2, 2, 64, 1}, {2, 4, 2, 2, 32, 2}, {2, 4, 2, 2, 64, 2},
    {2, 2, 2, 4, 64, 2}, {4, 2, 2, 4, 64, 2}, {2, 2, 4, 4, 32, 2}, {4, 2, 2, 4, 32, 1}};
constexpr uint32_t kNumSgTiles = sizeof kSgTiles / sizeof kSgTiles[0];
static_assert([] {
  for (const SgTile& t : kSgTiles) {
    if (t.smem() > 32768 || (t.bn() * t.bk / 8) % (32 * t.sm * t.sn) != 0) return false;  // 4 or 8 values a load
    if (t.xm < 2 && (t.bm() * t.bk / (t.xm ? 8 : 4)) % (32 * t.sm * t.sn) != 0) return false;
  }
  return true;
}(), "a matmul-sgmat config over 32 KiB of workgroup memory or with loads that do not split evenly over its threads");
// Bench/test knob (sotto_gpu_matmul_tile): -1 picks by shape; 0..kNumMmTiles-1 forces that tile for every
// matmul of two or more tokens; kNumMmTiles forces the 8-token kernel (matmul.wgsl); 8 + tile forces that tile
// of matmul-tiled.wgsl (no dp4a); 16 + config forces that matmul-sgmat.wgsl config where the device has
// subgroup matrices (F16, Q8_0, Q4_0, Q4_K weights; the others as by shape).
int g_mm_tile = -1;
// Submit at a layer boundary once this many dispatches wait (sotto_gpu_submit_every; 0: one submit a step): the GPU
// runs the first layers while the rest of the step is recorded. 48 by the H100 runs of docs/benchmarks.md (decode
// 1.2-1.6x, prefill 1.07-1.4x against one submit a step).
int g_submit_every = 48;
// Bench/test knob (sotto_gpu_attention_decode): false keeps decode attention on attention-split.wgsl.
bool g_attn_decode = true;
// Bench/test knob (sotto_gpu_dp4a_kb): matmul-dp4a.wgsl's blocks a stage.
uint32_t g_dp4a_kb = 2;

// GPU sampling kernels (webgpu-sample.h), numbered apart from the others.
constexpr uint32_t kSampleSelect = 200, kSamplePick = 201;

std::string src(const char* name) {
  const char* s = wgsl_source(name);
  if (!s) fail("webgpu: no embedded shader ", name);
  return s;
}

std::string dp4a_source(uint32_t k) {
  const MmTile& t = kMmTiles[(k - kMatMulDp4a) % 8 / 2];
  return "const QT: u32 = " + std::to_string((k - kMatMulDp4a) % 2) + "u;\nconst TM: u32 = " + std::to_string(t.tm) +
         "u;\nconst TN: u32 = " + std::to_string(t.tn) + "u;\nconst KB: u32 = " + std::to_string((k - kMatMulDp4a) / 8 + 1) +
         "u;\n" + src("matmul-dp4a") + src("dq-common");
}

std::string sgmat_source(uint32_t k) {
  const SgTile& t = kSgTiles[(k - kMatMulSgmat) / 8];
  static const char* const xs[] = {"sgmat-x32", "sgmat-x16", "sgmat-xd"};
  return "enable f16;\nenable chromium_experimental_subgroup_matrix;\ndiagnostic(off, chromium.subgroup_matrix_uniformity);\n"
         "const SM: u32 = " + std::to_string(t.sm) + "u;\nconst SN: u32 = " + std::to_string(t.sn) +
         "u;\nconst FM: u32 = " + std::to_string(t.fm) + "u;\nconst FN: u32 = " + std::to_string(t.fn) +
         "u;\nconst BK: u32 = " + std::to_string(t.bk) + "u;\n" + src("matmul-sgmat") + src(xs[t.xm]) +
         ((k - kMatMulSgmat) % 8 == kSgF16Rows ? src("sgmat-wf16")
                                               : src("sgmat-wdq") + src("dq-common") + src(kDq[(k - kMatMulSgmat) % 8]));
}

std::string tiled_source(uint32_t k) {
  const MmTile& t = kMmTiles[(k - kMatMulTiled) / 8];
  return "const TM: u32 = " + std::to_string(t.tm) + "u;\nconst TN: u32 = " + std::to_string(t.tn) +
         "u;\nconst BK: u32 = " + std::to_string(t.bk) + "u;\n" + src("matmul-tiled") + src("dq-common") +
         src(kDq[(k - kMatMulTiled) % 8]);
}

// INV of rope-common.wgsl: inv_freq[i] = freq_scale * base^(-2i/n_rot) / freq_factors[i] for the n_rot / 2
// pairs, in double as on the CPU.
std::vector<float> rope_inv_freq(const RopeParams& rp) {
  std::vector<float> inv(size_t(rp.n_rot / 2));
  for (size_t i = 0; i < inv.size(); i++) {
    double f = double(rp.freq_scale) * std::pow(double(rp.freq_base), -2.0 * double(i) / rp.n_rot);
    if (rp.freq_factors) f /= double(rp.freq_factors[i]);
    inv[i] = float(f);
  }
  return inv;
}

std::string speech_kernel_source(uint32_t k) {
  switch (k) {
    case kLayerNorm: return src("workgroup-sum") + src("layer-norm");
    case kGelu: return "const OP: u32 = 0u;\n" + src("unary");
    case kTanh: return "const OP: u32 = 1u;\n" + src("unary");
    case kSilu: return "const OP: u32 = 2u;\n" + src("unary");
    case kGroupNorm: return src("workgroup-sum") + src("group-norm");
    case kIm2Col: return src("im2col");
    case kAttentionFull: return src("attention-common") + src("attention-full");
    default: fail("webgpu: unknown kernel ", std::to_string(k));
  }
}

std::string kernel_source(uint32_t k) {
  if (k == kSampleSelect) return src("sample-common") + src("sample-select");
  if (k == kSamplePick) return src("sample-common") + src("sample-pick");
  if (k >= kMatMulTiled && k < kMatMulTiled + 8 * kNumMmTiles) return tiled_source(k);
  if (k >= kMatMulDp4a && k < kMatMulDp4a + 8 * kMaxDp4aKb) return dp4a_source(k);
  if (k == kQuantizeQ8) return src("quantize-q8");
  if (k == kToF16) return src("to-f16");
  if (k >= kMatMulSgmat && k < kMatMulSgmat + 8 * kNumSgTiles) return sgmat_source(k);
  if (k >= kAttentionPrefill && k < kAttentionPrefillEnd) {
    return "const HDC: u32 = " + std::to_string(64u << (k - kAttentionPrefill)) + "u;\n" + src("attention-prefill");
  }
  if (k >= kLayerNorm) return speech_kernel_source(k);
  if (k < kGetRows) return src("matmul") + src("dq-common") + src(kDq[k - kMatMul]);
  if (k < kAdd) return src("get-rows") + src("dq-common") + src(kDq[k - kGetRows]);
  switch (k) {
    case kAdd: return "const OP: u32 = 0u;\n" + src("binary");
    case kMul: return "const OP: u32 = 1u;\n" + src("binary");
    case kScale: return src("scale");
    case kRmsNorm: return src("workgroup-sum") + src("rms-norm");
    case kRope: return src("sincos") + src("rope-common") + src("rope");
    case kSwiGlu: return "const ACT: u32 = 0u;\n" + src("glu");
    case kGeGlu: return "const ACT: u32 = 1u;\n" + src("glu");
    case kSetRows: return src("set-rows");
    case kSoftmax: return src("workgroup-sum") + src("softmax");
    case kArgMax: return src("argmax");
    case kAttention: return src("attention-common") + src("attention");
    case kRopeStore: return src("sincos") + src("rope-common") + src("rope-store");
    default: fail("webgpu: unknown kernel ", std::to_string(k));
  }
}

// A kernel's name for profiles (the host reads it from the source's first line, "// kernel NAME").
std::string kernel_name(uint32_t k) {
  static const char* const dt[] = {"f32", "f16", "q8_0", "q4_0", "q4_k"};
  static const char* const misc[] = {"add", "mul", "scale", "rms-norm", "rope", "swiglu", "geglu", "set-rows",
                                     "softmax", "argmax", "attention", "rope-store"};
  static const char* const speech[] = {"layer-norm", "gelu", "tanh", "silu", "group-norm", "im2col", "attention-full"};
  if (k == kSampleSelect) return "sample-select";
  if (k == kSamplePick) return "sample-pick";
  if (k >= kMatMulTiled && k < kMatMulTiled + 8 * kNumMmTiles) {
    return "matmul-tiled." + std::string(dt[(k - kMatMulTiled) % 8]) + ".t" + std::to_string((k - kMatMulTiled) / 8);
  }
  if (k >= kMatMulDp4a && k < kMatMulDp4a + 8 * kMaxDp4aKb) {
    return std::string("matmul-dp4a.") + ((k - kMatMulDp4a) % 2 ? "q4_0" : "q8_0") + ".t" +
           std::to_string((k - kMatMulDp4a) % 8 / 2) + ".kb" + std::to_string((k - kMatMulDp4a) / 8 + 1);
  }
  if (k == kQuantizeQ8) return "quantize-q8";
  if (k == kToF16) return "to-f16";
  if (k >= kMatMulSgmat && k < kMatMulSgmat + 8 * kNumSgTiles) {
    const uint32_t d = (k - kMatMulSgmat) % 8;
    return "matmul-sgmat." + std::string(d == kSgF16Rows ? "f16v" : dt[d]) + ".t" + std::to_string((k - kMatMulSgmat) / 8);
  }
  if (k >= kAttentionPrefill && k < kAttentionPrefillEnd) return "attention-prefill.hd" + std::to_string(64u << (k - kAttentionPrefill));
  if (k >= kLayerNorm && k <= kAttentionFull) return speech[k - kLayerNorm];
  if (k < kGetRows) return std::string("matmul.") + dt[k - kMatMul];
  if (k < kAdd) return std::string("get-rows.") + dt[k - kGetRows];
  if (k < kNumKernels) return misc[k - kAdd];
  return "kernel-" + std::to_string(k);
}

struct Buf {
  uint32_t id;
  uint32_t size;
};

// Buffers by base address; shared with the tensors' deleters so a tensor may outlive the backend.
struct GpuState {
  std::map<uintptr_t, Buf> bufs;
  uintptr_t next_addr = 1u << 16;
  // Address ranges of freed tensors (base -> span), coalesced, reused first-fit: per-step temporaries (a speech
  // stream allocates them for every phrase and token) would otherwise exhaust the 32-bit address space.
  std::map<uintptr_t, uintptr_t> free_ranges;
  uintptr_t take(uintptr_t span) {
    for (auto it = free_ranges.begin(); it != free_ranges.end(); ++it) {
      if (it->second < span) continue;
      const uintptr_t base = it->first, rest = it->second - span;
      free_ranges.erase(it);
      if (rest > 0) free_ranges[base + span] = rest;
      return base;
    }
    const uintptr_t base = next_addr;
    if (uint64_t(base) + span > 0xFFFFFFF0ull) fail("webgpu: out of GPU address space");
    next_addr += span;
    return base;
  }
  void give_back(uintptr_t base, uintptr_t span) {
    auto next = free_ranges.lower_bound(base);
    if (next != free_ranges.end() && base + span == next->first) {
      span += next->second;
      next = free_ranges.erase(next);
    }
    if (next != free_ranges.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == base) {
        prev->second += span;
        return;
      }
    }
    free_ranges[base] = span;
  }
};
// Buffer and pipeline ids are the host's names: unique in the instance, over all backends.
uint32_t g_next_buffer_id = 1;
uint32_t g_next_kernel_id = 1;
// The backend whose dispatches and reads the instance's command encoder holds (not yet flushed): the host has
// one encoder per wasm instance, and a step's dispatches read this backend's argument arena.
class WebGpuBackend;
WebGpuBackend* g_recording = nullptr;

// The last quantize-q8.wgsl run whose result still stands in its scratch buffer: x's buffer, offset and shape.
// A prefill quantizes the same x for q, k and v (and for gate and up); matmul_dp4a skips the repeat. Any later
// dispatch that binds x's buffer or the scratch clears it (the dp4a matmuls read the scratch: only their y counts),
// and so does every write or load into any buffer.
struct Q8Memo {
  uint32_t x_id = 0, x_offset = 0, n_in = 0, n_tok = 0, q_id = 0;
  bool valid = false;
};
Q8Memo g_q8_memo;

struct Loc {
  uint32_t id;
  uint32_t offset;  // bytes
  uint32_t size;    // bytes of the buffer
};

struct Grid {
  uint32_t gx, gy;
};
Grid grid_for(uint64_t n_groups) {
  if (n_groups == 0) n_groups = 1;
  const uint32_t gx = uint32_t(std::min<uint64_t>(n_groups, kMaxGroups));
  const uint64_t gy = (n_groups + gx - 1) / gx;
  if (gy > kMaxGroups) fail("webgpu: dispatch of ", std::to_string(n_groups), " workgroups is too large");
  return {gx, uint32_t(gy)};
}

uint32_t fbits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

class WebGpuBackend final : public Backend {
 public:
  WebGpuBackend(uint32_t binding_limit, uint32_t feature_mask)
      // Room for the 16-byte padding (make_buffers): a whole buffer must stay bindable.
      : limit_((binding_limit & ~uint32_t(255)) - 256), st_(std::make_shared<GpuState>()) {
    if (binding_limit < (1u << 20)) fail("webgpu: maxStorageBufferBindingSize ", std::to_string(binding_limit), " is too small");
    features_ = sotto_gpu_features() & feature_mask;
  }
  ~WebGpuBackend() override { flush(); }

  std::string name() const override { return "webgpu"; }
  bool supports(Op op, DType t) const override {
    switch (op) {
      case Op::MatMul:
      case Op::GetRows: return weight_index(t) >= 0;
      case Op::Attention:
      case Op::SetRows: return t == DType::F32 || t == DType::F16;
      case Op::Conv1d: return weight_index(t) >= 0;  // unfold + matmul
      default: return t == DType::F32;
    }
  }

  Tensor alloc(DType type, Shape ne) override {
    for (int64_t d : ne) {
      if (d < 0) fail("alloc: negative dimension in ", shape_str(ne));
    }
    Tensor t;
    t.type = type;
    t.ne = ne;
    const size_t n = t.nbytes();
    if (n > limit_) fail("webgpu: tensor ", shape_str(ne), " of ", std::to_string(n), " bytes exceeds the binding limit");
    make_buffers(t, {n});
    return t;
  }

  // The buffer sizes of a weight: one buffer, or whole rows split at the binding limit.
  std::vector<size_t> weight_buffer_sizes(const Tensor& t) const {
    const size_t row = t.row_bytes(), total = t.nbytes();
    if (total <= limit_) return {total};
    const size_t rows_per = limit_ / row;
    if (rows_per == 0) fail("webgpu: one row of ", std::to_string(row), " bytes exceeds the binding limit");
    std::vector<size_t> sizes;
    for (size_t r = 0; r < size_t(t.nrows()); r += rows_per) sizes.push_back(std::min(rows_per, size_t(t.nrows()) - r) * row);
    return sizes;
  }

  Tensor upload(const Tensor& host) override {
    if (!host.data && host.nbytes() > 0) fail("webgpu upload: the weight's bytes are not in memory (streamed file: upload_file)");
    Tensor t;
    t.type = host.type;
    t.ne = host.ne;
    const std::vector<size_t> sizes = weight_buffer_sizes(t);
    make_buffers(t, sizes);
    size_t off = 0;
    for (size_t s : sizes) {
      const Loc l = loc(static_cast<const uint8_t*>(t.data) + off, s);
      g_q8_memo.valid = false;
      sotto_gpu_buffer_write(l.id, 0, static_cast<const uint8_t*>(host.data) + off, uint32_t(s));
      off += s;
    }
    return t;
  }

  // As upload(), with the bytes streamed in by the host from the model file (see buffer_load).
  Tensor upload_file(const Tensor& shape, uint64_t file_offset) override {
    Tensor t;
    t.type = shape.type;
    t.ne = shape.ne;
    const std::vector<size_t> sizes = weight_buffer_sizes(t);
    make_buffers(t, sizes);
    size_t off = 0;
    for (size_t s : sizes) {
      const Loc l = loc(static_cast<const uint8_t*>(t.data) + off, s);
      const uint64_t fo = file_offset + off;
      g_q8_memo.valid = false;
      sotto_gpu_buffer_load(l.id, 0, uint32_t(fo), uint32_t(fo >> 32), uint32_t(s));
      off += s;
    }
    return t;
  }

  void write(Tensor& dst, const void* src, size_t nbytes, size_t offset) override {
    if (offset + nbytes > dst.nbytes()) fail("webgpu write: ", std::to_string(offset + nbytes), " bytes past the tensor");
    if (g_recording) g_recording->flush();  // this backend's or another's: no write overtakes a recorded dispatch
    flush();
    const Loc l = loc(dst.data, dst.nbytes());
    g_q8_memo.valid = false;
    sotto_gpu_buffer_write(l.id, uint32_t(l.offset + offset), src, uint32_t(nbytes));
  }

  void read(const Tensor& src, void* dst, size_t nbytes, size_t offset) override {
    if (offset + nbytes > src.nbytes()) fail("webgpu read: ", std::to_string(offset + nbytes), " bytes past the tensor");
    const Loc l = loc(src.data, src.nbytes());
    claim();
    sotto_gpu_read(l.id, uint32_t(l.offset + offset), uint32_t(nbytes), dst);
    dirty_ = true;
  }

  void sync() override { flush(); }

  // Submits what is recorded once g_submit_every or more dispatches wait (0: never here), so the GPU starts on
  // the first layers while the rest of the step is recorded.
  void submit_point() override {
    if (g_submit_every > 0 && n_since_flush_ >= uint32_t(g_submit_every)) flush();
  }

  // ---- ops
  void get_rows(const Tensor& table, const int32_t* ids, int n_ids, Tensor& out) override {
    std::vector<uint32_t> u(size_t(std::max(n_ids, 1)));
    for (int i = 0; i < n_ids; i++) {
      if (ids[i] < 0 || ids[i] >= table.nrows()) fail("get_rows: id ", std::to_string(ids[i]), " out of range");
      u[size_t(i)] = uint32_t(ids[i]);
    }
    get_rows_at(table, kArena, push(u.data(), u.size() * 4), uint32_t(u.size() * 4), 0, n_ids, out);
  }

  // The ids from a device tensor (the argmax of the step before, not read back yet); get-rows.wgsl leaves the
  // rows of out-of-range ids untouched.
  void get_rows_device(const Tensor& table, const Tensor& ids, Tensor& out) override {
    need(ids.type == DType::I32, "get_rows_device: ids must be i32");
    const Loc l = loc(ids.data, ids.nbytes());
    get_rows_at(table, l.id, 0, 0, l.offset / 4, int(ids.nelements()), out);
  }

  // get_rows with the ids bound as buffer ids_buf from byte ids_at, ids_bytes long (0: the whole buffer); ids_off:
  // the first id's element index in that binding.
  void get_rows_at(const Tensor& table, uint32_t ids_buf, uint32_t ids_at, uint32_t ids_bytes, uint32_t ids_off,
                   int n_ids, Tensor& out) {
    const int64_t n = table.ne[0];
    need(weight_index(table.type) >= 0, "get_rows: unsupported table type");
    need(out.type == DType::F32 && out.ne[0] == n && out.nrows() == n_ids, "get_rows: output shape");
    const Loc y = loc(out.data, out.nbytes());
    const uint64_t nu = uint64_t((n + 31) / 32);
    for (const Chunk& c : chunks(table)) {
      const Grid g = grid_for((nu * uint64_t(n_ids) + 63) / 64);
      const uint32_t p[] = {uint32_t(n), uint32_t(n_ids), c.loc.offset, uint32_t(table.row_bytes()), y.offset / 4,
                            c.row0, c.rows, g.gx * 64, ids_off};
      dispatch(kGetRows + uint32_t(weight_index(table.type)), {arena(p, sizeof p), {ids_buf, ids_at, ids_bytes}, whole(c.loc), whole(y)}, g, 1);
    }
  }

  void matmul(const Tensor& w, const Tensor& x, Tensor& y) override {
    const int64_t n_in = w.ne[0], n_out = w.ne[1], n_tok = x.nrows();
    need(weight_index(w.type) >= 0, "matmul: unsupported weight type");
    need(x.type == DType::F32 && x.ne[0] == n_in, "matmul: x shape");
    need(y.type == DType::F32 && y.ne[0] == n_out && y.nrows() == n_tok, "matmul: y shape");
    if (n_tok == 1 && mv_ok(w, x)) return matvec(w, x, y, MvEpilogue{});
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    const std::vector<Chunk> cs = chunks(w);
    if (n_tok >= 2) {
      const int sg = sg_tile(w, cs, n_tok);
      if (sg >= 0) return matmul_sgmat(w, cs, lx, n_tok, ly, kSgTiles[sg], uint32_t(sg));
    }
    int tile = n_tok == 1 ? -1 : mm_tile(cs, n_tok);
    const bool dp4a = tile >= 0 && tile < 8 && (features_ & 4u) && (w.type == DType::Q8_0 || w.type == DType::Q4_0);
    if (tile >= 8) tile -= 8;
    if (dp4a) return matmul_dp4a(w, cs, lx, x, ly, tile);
    if (tile >= 0) {
      return tile_dispatch(kMatMulTiled + uint32_t(weight_index(w.type)) + 8 * uint32_t(tile), kMmTiles[tile], w, cs, n_tok,
                           lx, uint32_t(n_in), ly);
    }
    for (const Chunk& c : cs) {
      const Grid g = grid_for((uint64_t(c.rows) + 3) / 4);  // 4 rows per workgroup
      const uint32_t p[] = {uint32_t(n_in), 0, uint32_t(n_tok), c.loc.offset, uint32_t(w.row_bytes()), lx.offset / 4,
                            ly.offset / 4, uint32_t(n_in), uint32_t(n_out), c.row0, c.rows, g.gx};
      dispatch(kMatMul + uint32_t(weight_index(w.type)), {arena(p, sizeof p), whole(c.loc), whole(lx), whole(ly)}, g,
               uint32_t((n_tok + 7) / 8));
    }
  }

  void add(const Tensor& a, const Tensor& b, Tensor& y) override { binary(kAdd, a, b, y); }
  void mul(const Tensor& a, const Tensor& b, Tensor& y) override { binary(kMul, a, b, y); }

  void scale(Tensor& x, float s) override {
    need(x.type == DType::F32, "scale: x must be f32");
    const Loc l = loc(x.data, x.nbytes());
    const Grid g = grid_for((uint64_t(x.nelements()) + 63) / 64);
    const uint32_t p[] = {uint32_t(x.nelements()), l.offset / 4, fbits(s), g.gx * 64};
    dispatch(kScale, {arena(p, sizeof p), whole(l)}, g, 1);
  }

  void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) override {
    need(x.type == DType::F32 && y.type == DType::F32 && x.ne[0] == y.ne[0] && x.nrows() == y.nrows(),
         "rms_norm: shapes");
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    Loc lw = lx;
    if (!w.empty()) {
      need(w.type == DType::F32 && w.nelements() == x.ne[0], "rms_norm: weight shape");
      lw = loc(w.data, w.nbytes());
    }
    const Grid g = grid_for(uint64_t(x.nrows()));
    const uint32_t p[] = {uint32_t(x.ne[0]), uint32_t(x.nrows()), lx.offset / 4, ly.offset / 4, fbits(eps),
                          w.empty() ? 0u : 1u, lw.offset / 4, g.gx};
    dispatch(kRmsNorm, {arena(p, sizeof p), whole(lx), whole(ly), whole(lw)}, g, 1);
  }

  void rope(Tensor& x, int pos0, const RopeParams& rp) override {
    const int64_t hd = x.ne[0], n_head = x.ne[1], n_tok = x.ne[2] * x.ne[3];
    need(x.type == DType::F32, "rope: x must be f32");
    need(rp.n_rot > 0 && rp.n_rot % 2 == 0 && rp.n_rot <= hd, "rope: n_rot must be even and <= head_dim");
    need(pos0 >= 0, "rope: negative position");
    const Loc l = loc(x.data, x.nbytes());
    const uint32_t half = uint32_t(rp.n_rot / 2);
    const Grid g = grid_for((uint64_t(half) * uint64_t(n_head * n_tok) + 63) / 64);
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), uint32_t(n_tok), uint32_t(rp.n_rot), uint32_t(pos0),
                          0, 0, rp.neox ? 1u : 0u, 0, l.offset / 4, g.gx * 64, 0};
    const std::vector<float> inv = rope_inv_freq(rp);
    const Bind pb = arena(p, sizeof p);
    dispatch(kRope, {pb, whole(l), {kArena, push(inv.data(), half * 4), half * 4}}, g, 1);
  }

  void swiglu(const Tensor& gate, const Tensor& up, Tensor& y) override { glu(kSwiGlu, gate, up, y); }
  void geglu(const Tensor& gate, const Tensor& up, Tensor& y) override { glu(kGeGlu, gate, up, y); }

  void set_rows(const Tensor& src, Tensor& dst, int64_t row0) override {
    need(src.type == DType::F32 && src.ne[0] == dst.ne[0], "set_rows: shapes");
    need(dst.type == DType::F32 || dst.type == DType::F16, "set_rows: dst must be f32 or f16");
    need(row0 >= 0 && row0 + src.nrows() <= dst.nrows(), "set_rows: rows out of range");
    const bool f16 = dst.type == DType::F16;
    const Loc ls = loc(src.data, src.nbytes()), ld = loc(dst.data, dst.nbytes());
    const uint64_t dst_off = ld.offset / (f16 ? 2 : 4) + uint64_t(row0) * uint64_t(dst.ne[0]);
    const uint64_t n = uint64_t(src.nelements());
    if (f16) need(dst_off % 2 == 0 && n % 2 == 0, "set_rows: f16 rows must start and end on even elements");
    const Grid g = grid_for(((f16 ? n / 2 : n) + 63) / 64);
    const uint32_t p[] = {uint32_t(n), ls.offset / 4, uint32_t(dst_off), f16 ? 1u : 0u, g.gx * 64};
    dispatch(kSetRows, {arena(p, sizeof p), whole(ls), whole(ld)}, g, 1);
  }

  void attention(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past, const AttnParams& ap,
                 Tensor& out) override {
    const int64_t hd = q.ne[0], n_head = q.ne[1], n_tok = q.ne[2] * q.ne[3];
    need(q.type == DType::F32 && out.type == DType::F32 && out.nelements() == q.nelements(), "attention: q/out");
    need(k.type == v.type && (k.type == DType::F32 || k.type == DType::F16), "attention: k, v must be f32 or f16");
    need(n_head_kv > 0 && n_head % n_head_kv == 0, "attention: n_head must be a multiple of n_head_kv");
    need(k.ne[0] == hd * n_head_kv && v.ne[0] == k.ne[0], "attention: kv row size");
    need(hd <= 256, "attention: head_dim above 256");
    if (!ap.causal) {
      // Many queries (an encoder's self-attention): the tiled kernel; attention_full checks and reports the rest.
      const bool plain =
          n_past == 0 && ap.window == 0 && ap.softcap == 0.0f && k.nrows() >= 1 && v.nrows() == k.nrows();
      if (n_tok > 1 && plain && attention_prefill(q, k, v, n_head_kv, n_past, ap, out)) return;
      return attention_full(q, k, v, n_head_kv, n_past, ap, out);
    }
    need(n_past >= 0 && n_past + n_tok <= k.nrows(), "attention: positions past the cache");
    const bool f16 = k.type == DType::F16;
    if (n_tok == 1 && attention_split(q, k, v, n_head_kv, n_past, ap, out)) return;
    // More than one token: the tiled kernel; attention.wgsl (below) stays for decode over <= 64 keys and for
    // the shapes attention_prefill() does not cover (head_dim % 4 != 0, k/v views not at 4-element offsets).
    if (n_tok > 1 && attention_prefill(q, k, v, n_head_kv, n_past, ap, out)) return;
    const Loc lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()), lv = loc(v.data, v.nbytes()),
              lo = loc(out.data, out.nbytes());
    const Grid g = grid_for(uint64_t(n_head * n_tok));
    const uint32_t es = f16 ? 2 : 4;
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), uint32_t(n_tok), uint32_t(n_head_kv), uint32_t(n_past),
                          fbits(ap.scale), uint32_t(std::max(ap.window, 0)), fbits(ap.softcap), f16 ? 1u : 0u,
                          lq.offset / 4, lo.offset / 4, uint32_t(k.ne[0]), g.gx, lk.offset / es, lv.offset / es};
    dispatch(kAttention, {arena(p, sizeof p), whole(lq), whole(lk), whole(lv), whole(lo)}, g, 1);
  }

  // Prefill (attention-prefill.wgsl): a workgroup per block of 32 query tokens of one head, 32-key tiles in
  // workgroup memory. When those workgroups are fewer than 1024 (e.g. 256 tokens of 14 heads: 112; a GPU wants
  // several 4-warp workgroups per SM), each block's keys are also split into up to 32 chunks of >= 128 keys,
  // and attention-merge.wgsl combines the partials (one workgroup per (token, head)). Shapes are checked by
  // attention(). Not causal (ap.causal false): every query sees all k.nrows() keys. False when it does not
  // apply.
  bool attention_prefill(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past,
                         const AttnParams& ap, Tensor& out) {
    const int64_t hd = q.ne[0], n_head = q.ne[1], n_tok = q.ne[2] * q.ne[3];
    const bool f16 = k.type == DType::F16;
    const uint32_t es = f16 ? 2 : 4;
    const Loc lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()), lv = loc(v.data, v.nbytes()),
              lo = loc(out.data, out.nbytes());
    if (hd % 4 != 0 || (lk.offset / es) % 4 != 0 || (lv.offset / es) % 4 != 0) return false;  // 16-byte loads
    const uint32_t bq = 32, n_blocks = uint32_t((n_tok + bq - 1) / bq);
    const uint32_t win = uint32_t(std::max(ap.window, 0)), last = uint32_t(n_past + n_tok);
    // The most keys one block sees.
    const uint32_t span = ap.causal ? (win > 0 ? std::min(last, win + bq - 1) : last) : uint32_t(k.nrows());
    const uint64_t groups = uint64_t(n_blocks) * uint64_t(n_head);
    uint32_t n_split = 1, ch = (span + 31) / 32 * 32;
    if (groups < 1024 && uint64_t(n_tok) * uint64_t(n_head) <= kMaxGroups) {
      const uint32_t want = std::min<uint32_t>({uint32_t((1024 + groups - 1) / groups), (span + 127) / 128, 32});
      if (want > 1) {
        ch = ((span + want - 1) / want + 31) / 32 * 32;
        n_split = (span + ch - 1) / ch;
      }
    }
    Loc ls{};
    if (n_split > 1) {
      const size_t need_floats = size_t(n_split) * size_t(n_tok * n_head) * size_t(hd + 2);
      if (attn_scratch_.empty() || size_t(attn_scratch_.nelements()) < need_floats) {
        attn_scratch_ = alloc(DType::F32, {int64_t(std::max<size_t>(need_floats, 1u << 16)), 1, 1, 1});
      }
      ls = loc(attn_scratch_.data, attn_scratch_.nbytes());
      if (ls.offset != 0) {
        n_split = 1;
        ch = (span + 31) / 32 * 32;
      }
    }
    const Grid g = grid_for(groups * n_split);
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), uint32_t(n_tok), uint32_t(n_head_kv), uint32_t(n_past),
                          fbits(ap.scale), win, fbits(ap.softcap), f16 ? 1u : 0u, lq.offset / 4,
                          n_split > 1 ? 0u : lo.offset / 4, uint32_t(k.ne[0]), g.gx, lk.offset / es, lv.offset / es,
                          n_split, ch, n_blocks, ap.causal ? 1u : 0u, uint32_t(k.nrows())};
    const uint32_t kid = kAttentionPrefill + (hd <= 64 ? 0 : hd <= 128 ? 1 : 2);
    dispatch(kid, {arena(p, sizeof p), whole(lq), whole(lk), whole(lv), whole(n_split > 1 ? ls : lo)}, g, 1);
    if (n_split > 1) {
      attention_merge(ls, lo, uint32_t(hd), uint32_t(n_tok * n_head), n_split);
    }
    return true;
  }

  // ---- speech-model ops (contracts in backend.h)
  void layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps, Tensor& y) override {
    need(x.type == DType::F32 && y.type == DType::F32 && x.ne[0] == y.ne[0] && x.nrows() == y.nrows(),
         "layer_norm: shapes");
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    const Loc lw = optional_vec(w, x.ne[0], lx, "layer_norm: weight shape");
    const Loc lb = optional_vec(b, x.ne[0], lx, "layer_norm: bias shape");
    const Grid g = grid_for(uint64_t(x.nrows()));
    const uint32_t p[] = {uint32_t(x.ne[0]), uint32_t(x.nrows()), lx.offset / 4, ly.offset / 4, fbits(eps),
                          w.empty() ? 0u : 1u, lw.offset / 4, b.empty() ? 0u : 1u, lb.offset / 4, g.gx};
    dispatch(kLayerNorm, {arena(p, sizeof p), whole(lx), whole(ly), whole(lw), whole(lb)}, g, 1);
  }

  void unary(UnaryOp op, const Tensor& x, Tensor& y) override {
    need(x.type == DType::F32 && y.type == DType::F32 && x.nelements() == y.nelements(), "unary: shapes");
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    const Grid g = grid_for((uint64_t(x.nelements()) + 63) / 64);
    const uint32_t p[] = {uint32_t(x.nelements()), lx.offset / 4, ly.offset / 4, g.gx * 64};
    const uint32_t k = op == UnaryOp::Gelu ? kGelu : op == UnaryOp::Tanh ? kTanh : kSilu;
    dispatch(k, {arena(p, sizeof p), whole(lx), whole(ly)}, g, 1);
  }

  void group_norm(const Tensor& x, int n_groups, const Tensor& w, const Tensor& b, float eps, Tensor& y) override {
    const int64_t c = x.ne[0], t = x.nrows();
    need(x.type == DType::F32 && y.type == DType::F32 && y.ne[0] == c && y.nrows() == t, "group_norm: shapes");
    need(n_groups > 0 && c % n_groups == 0 && n_groups <= int(kMaxGroups), "group_norm: channels must split into groups");
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    const Loc lw = optional_vec(w, c, lx, "group_norm: weight shape");
    const Loc lb = optional_vec(b, c, lx, "group_norm: bias shape");
    const uint32_t p[] = {uint32_t(c), uint32_t(t), uint32_t(n_groups), lx.offset / 4, ly.offset / 4, fbits(eps),
                          w.empty() ? 0u : 1u, lw.offset / 4, b.empty() ? 0u : 1u, lb.offset / 4};
    dispatch(kGroupNorm, {arena(p, sizeof p), whole(lx), whole(ly), whole(lw), whole(lb)}, {uint32_t(n_groups), 1}, 1);
  }

  // Unfolds x into a temporary {K * C_in, T_out} (im2col.wgsl), then the ordinary matmul with w.
  void conv1d(const Tensor& w, const Tensor& x, int stride, int pad, Tensor& y) override {
    const int64_t c_in = x.ne[0], t_in = x.nrows(), c_out = w.ne[1];
    need(weight_index(w.type) >= 0, "conv1d: unsupported weight type");
    need(x.type == DType::F32 && y.type == DType::F32 && c_in > 0, "conv1d: x and y must be f32");
    need(stride >= 1 && pad >= 0 && w.ne[0] % c_in == 0, "conv1d: stride, pad or kernel size");
    const int64_t kc = w.ne[0], kk = kc / c_in;
    need(t_in + 2 * pad >= kk, "conv1d: input shorter than the kernel");
    const int64_t t_out = (t_in + 2 * pad - kk) / stride + 1;
    need(y.ne[0] == c_out && y.nrows() == t_out, "conv1d: y shape");
    need(x.data != y.data, "conv1d: y must not alias x");
    Tensor col = alloc(DType::F32, {kc, t_out, 1, 1});  // destroyed by the host after the submit
    const Loc lx = loc(x.data, x.nbytes()), lc = loc(col.data, col.nbytes());
    const uint64_t n = uint64_t(kc) * uint64_t(t_out);
    need(n < (uint64_t(1) << 32), "conv1d: unfolded input too large");
    const Grid g = grid_for((n + 63) / 64);
    const uint32_t p[] = {uint32_t(c_in), uint32_t(t_in), uint32_t(kc), uint32_t(stride), uint32_t(pad), uint32_t(n),
                          lx.offset / 4, lc.offset / 4, g.gx * 64};
    dispatch(kIm2Col, {arena(p, sizeof p), whole(lx), whole(lc)}, g, 1);
    matmul(w, col, y);
  }

  void softmax(Tensor& x) override {
    need(x.type == DType::F32, "softmax: x must be f32");
    const Loc l = loc(x.data, x.nbytes());
    const Grid g = grid_for(uint64_t(x.nrows()));
    const uint32_t p[] = {uint32_t(x.ne[0]), uint32_t(x.nrows()), l.offset / 4, g.gx};
    dispatch(kSoftmax, {arena(p, sizeof p), whole(l)}, g, 1);
  }

  void argmax(const Tensor& x, Tensor& out) override {
    need(x.type == DType::F32 && out.type == DType::I32 && out.nelements() == x.nrows(), "argmax: shapes");
    need(x.nrows() <= kMaxGroups, "argmax: too many rows");
    const Loc lx = loc(x.data, x.nbytes()), lo = loc(out.data, out.nbytes());
    const uint32_t n = uint32_t(x.ne[0]);
    if (x.nrows() == 1 && n > kArgMaxChunk) {
      // One long row (greedy decoding): a workgroup per 2048-value chunk, then one workgroup merges the
      // chunks; the single-workgroup kernel below would read the whole vocabulary with 64 threads.
      const uint32_t n_chunks = (n + kArgMaxChunk - 1) / kArgMaxChunk;
      const size_t scratch_bytes = size_t(n_chunks) * 8;
      if (argmax_scratch_.empty() || argmax_scratch_.nbytes() < scratch_bytes) {
        argmax_scratch_ = alloc(DType::I32, {int64_t(scratch_bytes / 4), 1, 1, 1});
      }
      const Loc ls = loc(argmax_scratch_.data, argmax_scratch_.nbytes());
      const Grid g = grid_for(n_chunks);
      const uint32_t p1[] = {n, lx.offset / 4, ls.offset / 4, g.gx, n_chunks};
      const uint32_t k1 = named_pipeline("argmax-chunk", [] { return src("argmax-common") + src("argmax-chunk"); });
      raw_dispatch(k1, {arena(p1, sizeof p1), whole(lx), whole(ls)}, g);
      const uint32_t p2[] = {n_chunks, ls.offset / 4, lo.offset / 4};
      const uint32_t k2 = named_pipeline("argmax-merge", [] { return src("argmax-common") + src("argmax-merge"); });
      raw_dispatch(k2, {arena(p2, sizeof p2), whole(ls), whole(lo)}, {1, 1});
      return;
    }
    const uint32_t p[] = {uint32_t(x.ne[0]), uint32_t(x.nrows()), lx.offset / 4, lo.offset / 4};
    dispatch(kArgMax, {arena(p, sizeof p), whole(lx), whole(lo)}, {uint32_t(x.nrows()), 1}, 1);
  }

  // ---- GPU sampling (webgpu-sample.h): pass 1 keeps each 2048-logit chunk's k best, pass 2 merges them
  // and runs the rest of the chain. The mask and the penalty pairs travel in the step's arena.
  void sample(const Tensor& logits, const GpuSampleParams& sp, Tensor& out) {
    need(logits.type == DType::F32 && logits.nrows() == 1, "sample: logits must be one f32 row");
    need(out.type == DType::I32 && out.nelements() >= 1, "sample: out must be one i32");
    need(sp.top_k >= 1 && sp.top_k <= 256, "sample: top_k must be in 1..256");
    const uint32_t n = uint32_t(logits.ne[0]), k = uint32_t(sp.top_k);
    const uint32_t n_chunks = (n + 2047) / 2048;
    const size_t scratch_bytes = (size_t(n_chunks) + 2 * size_t(n_chunks) * 256) * 4;
    if (sample_scratch_.empty() || sample_scratch_.nbytes() < scratch_bytes) {
      sample_scratch_ = alloc(DType::I32, {int64_t(scratch_bytes / 4), 1, 1, 1});
    }
    const Loc lx = loc(logits.data, logits.nbytes()), lo = loc(out.data, out.nbytes()),
              ls = loc(sample_scratch_.data, sample_scratch_.nbytes());
    const uint32_t words = (n + 31) / 32;
    const Bind mask = sp.mask ? arena(sp.mask, size_t(words) * 4) : arena(&words, 4);
    std::vector<uint32_t> pen;
    for (const auto& [id, c] : sp.penalties) {
      if (id < 0 || uint32_t(id) >= n || c <= 0) continue;
      pen.push_back(uint32_t(id));
      pen.push_back(uint32_t(c));
    }
    const uint32_t n_pen = uint32_t(pen.size() / 2);
    size_t padded = 16;  // a power of two: the binding's size (part of the host's bind-group key) rarely changes
    while (padded < pen.size()) padded *= 2;
    pen.resize(padded, 0);
    const Bind pens = arena(pen.data(), pen.size() * 4);
    const Grid g = grid_for(n_chunks);
    const uint32_t p1[] = {n, lx.offset / 4, k, sp.mask ? 1u : 0u, n_pen, fbits(sp.repeat), fbits(sp.frequency),
                           fbits(sp.presence), g.gx, n_chunks};
    dispatch(kSampleSelect, {arena(p1, sizeof p1), whole(lx), mask, pens, whole(ls)}, g, 1);
    uint32_t flags = 0;
    if (sp.draw) {
      flags |= 4;
      if (sp.top_p < 1.0f) flags |= 1;
      if (sp.min_p > 0.0f) flags |= 2;
      if (sp.id_order) flags |= 8;
    }
    const float log_min_p = sp.min_p > 0.0f ? std::log(sp.min_p) : 0.0f;
    const uint32_t p2[] = {n_chunks, k, fbits(sp.top_p), fbits(log_min_p), flags, fbits(sp.inv_temp), fbits(sp.u),
                           lo.offset / 4};
    dispatch(kSamplePick, {arena(p2, sizeof p2), whole(ls), whole(lo)}, {1, 1}, 1);
  }

  // ---- fused decoder steps (backend.h). One token: the matrix-vector kernels with their prologue and
  // epilogues; more tokens (prefill): the composed plain ops of the defaults.
  bool fused_ops() const override { return true; }

  void norm_matmul(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w, const Tensor& bias,
                   Tensor& y) override {
    if (x.nrows() != 1 || !mv_ok(w, x) || norm_w.empty()) return Backend::norm_matmul(x, norm_w, eps, h, w, bias, y);
    MvEpilogue e;
    e.norm_w = &norm_w;
    e.eps = eps;
    e.bias = bias.empty() ? nullptr : &bias;
    matvec(w, x, y, e);
  }

  // One token: q, k and v in one dispatch (QKV in mv-common.wgsl) when q, k, v share a buffer (the decoder
  // allocates them together), the weights agree in type and width, each is one buffer and q's and k's rows are
  // whole workgroups; otherwise the three norm_matmul of the default.
  void norm_qkv(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq, const Tensor& bq,
                Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k, const Tensor& wv, const Tensor& bv,
                Tensor& v) override {
    if (!qkv_matvec(x, norm_w, eps, wq, bq, q, wk, bk, k, wv, bv, v, nullptr)) {
      Backend::norm_qkv(x, norm_w, eps, h, wq, bq, q, wk, bk, k, wv, bv, v);
    }
  }

  // One token: norm_qkv's dispatch with the RoPE of q and k and the store of k and v into the caches (ROPE in
  // mv-common.wgsl, mv-rope.wgsl) where the device binds 10 storage buffers (feature bit 3), head_dim and n_rot
  // are multiples of 4 and the caches are separate buffers of the kv row's width; otherwise the default
  // (norm_qkv, then rope_store).
  void norm_qkv_rope_store(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& wq,
                           const Tensor& bq, Tensor& q, const Tensor& wk, const Tensor& bk, Tensor& k,
                           const Tensor& wv, const Tensor& bv, Tensor& v, int head_dim, Tensor& cache_k,
                           Tensor& cache_v, int n_past, const RopeParams& rp) override {
    const RopeStore rs{head_dim, &cache_k, &cache_v, n_past, &rp};
    if (!(features_ & 8u) || !qkv_matvec(x, norm_w, eps, wq, bq, q, wk, bk, k, wv, bv, v, &rs)) {
      Backend::norm_qkv_rope_store(x, norm_w, eps, h, wq, bq, q, wk, bk, k, wv, bv, v, head_dim, cache_k, cache_v,
                                   n_past, rp);
    }
  }

  // What norm_qkv_rope_store adds to norm_qkv's dispatch.
  struct RopeStore {
    int head_dim;
    const Tensor *cache_k, *cache_v;
    int n_past;
    const RopeParams* rope;
  };

  // norm_qkv's single dispatch (with rs: norm_qkv_rope_store's); false (nothing recorded) where it does not apply.
  bool qkv_matvec(const Tensor& x, const Tensor& norm_w, float eps, const Tensor& wq, const Tensor& bq, Tensor& q,
                  const Tensor& wk, const Tensor& bk, Tensor& k, const Tensor& wv, const Tensor& bv, Tensor& v,
                  const RopeStore* rs) {
    const bool bias = !bq.empty();
    const bool f32_bias = bias && !bk.empty() && !bv.empty() && bq.type == DType::F32 && bk.type == DType::F32 &&
                          bv.type == DType::F32;
    // The concatenated bias is made by the first call (the prefill's), so decode steps have no extra dispatches.
    if (f32_bias) qkv_bias(bq, bk, bv);
    const int64_t nq = wq.ne[1], nk = wk.ne[1], nv = wv.ne[1];
    const bool ok = (f32_bias || (bk.empty() && bv.empty() && !bias)) && x.nrows() == 1 && !norm_w.empty() && mv_ok(wq, x) && mv_ok(wk, x) && mv_ok(wv, x) &&
                    wq.type == wk.type && wq.type == wv.type && wq.ne[0] == wk.ne[0] && wq.ne[0] == wv.ne[0] &&
                    bias == !bk.empty() && bias == !bv.empty() && nq % kMvRows == 0 && nk % kMvRows == 0 &&
                    chunks(wq).size() == 1 && chunks(wk).size() == 1 && chunks(wv).size() == 1 &&
                    q.type == DType::F32 && k.type == DType::F32 && v.type == DType::F32 && q.nelements() == nq &&
                    k.nelements() == nk && v.nelements() == nv && loc(q.data, q.nbytes()).id == loc(k.data, k.nbytes()).id &&
                    loc(q.data, q.nbytes()).id == loc(v.data, v.nbytes()).id;
    if (!ok) return false;
    std::vector<uint32_t> rope_p;  // P[18 ..] of mv-rope.wgsl
    Loc lkc{}, lvc{};
    if (rs) {
      const int64_t hd = rs->head_dim, kvd = nk;
      const Tensor &ck = *rs->cache_k, &cv = *rs->cache_v;
      const RopeParams& r = *rs->rope;
      if (hd <= 0 || hd % 4 != 0 || nq % hd != 0 || nk % hd != 0 || nv != nk || r.n_rot <= 0 || r.n_rot % 4 != 0 ||
          r.n_rot > hd || ck.type != cv.type || (ck.type != DType::F32 && ck.type != DType::F16) || ck.ne[0] != kvd ||
          cv.ne[0] != kvd || rs->n_past < 0 || rs->n_past >= ck.nrows() || rs->n_past >= cv.nrows()) {
        return false;
      }
      const bool f16 = ck.type == DType::F16;
      const uint32_t es = f16 ? 2 : 4;
      lkc = loc(ck.data, ck.nbytes());
      lvc = loc(cv.data, cv.nbytes());
      const uint32_t qkv_id = loc(q.data, q.nbytes()).id;
      if (lkc.id == lvc.id || lkc.id == qkv_id || lvc.id == qkv_id || (f16 && ((lkc.offset / es) % 2 || (lvc.offset / es) % 2))) {
        return false;
      }
      rope_p = {uint32_t(hd), uint32_t(r.n_rot), r.neox ? 1u : 0u, uint32_t(rs->n_past), uint32_t(kvd),
                lkc.offset / es, lvc.offset / es, f16 ? 1u : 0u};
      for (const float f : rope_inv_freq(r)) rope_p.push_back(fbits(f));
    }
    MvEpilogue e;
    e.norm_w = &norm_w;
    e.eps = eps;
    e.up = &wk;
    e.qkv = true;
    Bind bb{kArena, 0, 0};
    uint32_t b_off = 0;
    if (bias) {
      const Tensor& cat = qkv_bias(bq, bk, bv);
      e.bias = &cat;
      const Loc l = loc(cat.data, cat.nbytes());
      bb = whole(l);
      b_off = l.offset / 4;
    } else {
      const float zero[4] = {0, 0, 0, 0};
      bb = Bind{kArena, push(zero, 16), 16};
    }
    e.rope = rs != nullptr;
    const std::string key = "mv:" + std::to_string(weight_index(wq.type)) + ":qkv" + std::to_string(bias) + (rs ? "r" : "");
    const uint32_t kid = named_pipeline(key, [&] { return mv_source(wq.type, e); }, mv_name(wq.type, e));
    need(norm_w.type == DType::F32 && norm_w.nelements() == wq.ne[0], "norm_qkv: norm weight shape");
    const Loc lnw = loc(norm_w.data, norm_w.nbytes());
    need(lnw.offset % 16 == 0, "norm_qkv: norm weight alignment");
    const Loc lx = loc(x.data, x.nbytes()), lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()),
              lv = loc(v.data, v.nbytes());
    const Chunk cq = chunks(wq)[0], ck = chunks(wk)[0], cv = chunks(wv)[0];
    const uint32_t rows = uint32_t(nq + nk + nv);
    const Grid g = grid_for((uint64_t(rows) + kMvRows - 1) / kMvRows);
    std::vector<uint32_t> p = {uint32_t(wq.ne[0]), rows, cq.loc.offset, uint32_t(wq.row_bytes()), lx.offset / 16,
                               lq.offset / 4, 0, g.gx, fbits(eps), lnw.offset / 16, b_off, 0, uint32_t(nq),
                               uint32_t(nq + nk), ck.loc.offset, cv.loc.offset, lk.offset / 4, lv.offset / 4};
    p.insert(p.end(), rope_p.begin(), rope_p.end());
    std::vector<Bind> b = {arena(p.data(), uint32_t(p.size() * 4)), whole(cq.loc), whole(lx), whole(lq), whole(lnw), bb,
                           whole(ck.loc), whole(cv.loc)};
    if (rs) {
      b.push_back(whole(lkc));
      b.push_back(whole(lvc));
    }
    raw_dispatch(kid, b, g);
    return true;
  }

  void matmul_add(const Tensor& w, const Tensor& x, Tensor& tmp, Tensor& y) override {
    if (x.nrows() != 1 || !mv_ok(w, x)) return Backend::matmul_add(w, x, tmp, y);
    MvEpilogue e;
    e.add = true;
    matvec(w, x, y, e);
  }

  void norm_gate_up(const Tensor& x, const Tensor& norm_w, float eps, Tensor& h, const Tensor& w_gate,
                    const Tensor& w_up, bool gelu, Tensor& up, Tensor& y) override {
    if (x.nrows() != 1 || !mv_ok(w_gate, x) || !mv_ok(w_up, x) || norm_w.empty() || w_gate.type != w_up.type) {
      return Backend::norm_gate_up(x, norm_w, eps, h, w_gate, w_up, gelu, up, y);
    }
    MvEpilogue e;
    e.norm_w = &norm_w;
    e.eps = eps;
    e.up = &w_up;
    e.gelu = gelu;
    matvec(w_gate, x, y, e);
  }

  void norm_add(Tensor& o, const Tensor& w, float eps, Tensor& x) override {
    need(o.type == DType::F32 && x.type == DType::F32 && o.nelements() == x.nelements(), "norm_add: shapes");
    need(w.type == DType::F32 && w.nelements() == o.ne[0], "norm_add: weight shape");
    const Loc lo = loc(o.data, o.nbytes()), lw = loc(w.data, w.nbytes()), lx = loc(x.data, x.nbytes());
    need(lo.id != lx.id && lw.id != lx.id, "norm_add: x must not share a buffer with o or w");
    const Grid g = grid_for(uint64_t(o.nrows()));
    const uint32_t p[] = {uint32_t(o.ne[0]), uint32_t(o.nrows()), lo.offset / 4, lx.offset / 4, fbits(eps), lw.offset / 4, g.gx};
    const uint32_t kid = named_pipeline("norm-add", [] { return src("workgroup-sum") + src("norm-add"); });
    raw_dispatch(kid, {arena(p, sizeof p), whole(lo), whole(lw), whole(lx)}, g);
  }

  void rope_store(Tensor& q, Tensor& k, const Tensor& v, Tensor& cache_k, Tensor& cache_v, int n_past,
                  const RopeParams& rp) override {
    const int64_t hd = q.ne[0], n_head = q.ne[1], n_tok = q.ne[2] * q.ne[3], n_head_kv = k.ne[1];
    const int64_t kvd = hd * n_head_kv;
    need(q.type == DType::F32 && k.type == DType::F32 && v.type == DType::F32, "rope_store: q, k, v must be f32");
    need(k.ne[0] == hd && k.ne[2] * k.ne[3] == n_tok && v.nelements() == kvd * n_tok, "rope_store: k/v shapes");
    need(cache_k.type == cache_v.type && (cache_k.type == DType::F32 || cache_k.type == DType::F16), "rope_store: cache type");
    need(cache_k.ne[0] == kvd && cache_v.ne[0] == kvd && kvd % 2 == 0, "rope_store: cache row size");
    need(rp.n_rot > 0 && rp.n_rot % 2 == 0 && rp.n_rot <= hd, "rope_store: n_rot must be even and <= head_dim");
    need(n_past >= 0 && n_past + n_tok <= cache_k.nrows(), "rope_store: positions past the cache");
    const bool f16 = cache_k.type == DType::F16;
    const uint32_t es = f16 ? 2 : 4;
    const Loc lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()), lv = loc(v.data, v.nbytes()),
              lkc = loc(cache_k.data, cache_k.nbytes()), lvc = loc(cache_v.data, cache_v.nbytes());
    // q, k and v may share a buffer (the decoder's one q|k|v allocation): dispatch() then binds it once.
    need(lkc.id != lvc.id && lkc.id != lq.id && lkc.id != lk.id && lkc.id != lv.id && lvc.id != lq.id &&
             lvc.id != lk.id && lvc.id != lv.id,
         "rope_store: the caches must be separate buffers");
    need((lkc.offset / es) % 2 == 0 && (lvc.offset / es) % 2 == 0, "rope_store: cache alignment");
    const uint32_t half = uint32_t(rp.n_rot / 2);
    const uint64_t n_threads = uint64_t(half) * uint64_t(n_head * n_tok) + uint64_t(kvd) * uint64_t(n_tok);
    const Grid g = grid_for((n_threads + 63) / 64);
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), uint32_t(n_tok), uint32_t(rp.n_rot), uint32_t(n_past),
                          uint32_t(n_head_kv), f16 ? 1u : 0u, rp.neox ? 1u : 0u, lq.offset / 4, lk.offset / 4,
                          lv.offset / 4, lkc.offset / es, lvc.offset / es, g.gx * 64};
    const std::vector<float> inv = rope_inv_freq(rp);
    const Bind pb = arena(p, sizeof p);
    const Bind ib{kArena, push(inv.data(), half * 4), half * 4};
    dispatch(kRopeStore, {pb, whole(lq), whole(lk), whole(lv), whole(lkc), whole(lvc), ib}, g, 1);
  }

  uint32_t features() const { return features_; }

  uint32_t take_dispatch_count() {
    const uint32_t n = n_dispatch_;
    n_dispatch_ = 0;
    return n;
  }

  void submit_recorded() { flush(); }  // webgpu_dispatch: outside work never joins a backend's step
 private:
  struct Bind {
    uint32_t id, offset, size;
  };
  struct Chunk {
    Loc loc;
    uint32_t row0, rows;
  };

  static void need(bool ok, const char* what) {
    if (!ok) fail("webgpu ", what);
  }

  // An optional F32 vector of n elements (layer_norm, group_norm weights); a null tensor binds `none` instead.
  Loc optional_vec(const Tensor& v, int64_t n, const Loc& none, const char* what) const {
    if (v.empty()) return none;
    need(v.type == DType::F32 && v.nelements() == n, what);
    return loc(v.data, v.nbytes());
  }

  // AttnParams::causal = false (attention-full.wgsl): every query sees all rows of k and v.
  void attention_full(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past,
                      const AttnParams& ap, Tensor& out) {
    const int64_t hd = q.ne[0], n_head = q.ne[1], n_tok = q.ne[2] * q.ne[3];
    need(n_past == 0 && ap.window == 0 && ap.softcap == 0.0f, "attention: non-causal needs n_past 0, no window, no softcap");
    need(k.nrows() >= 1 && v.nrows() == k.nrows(), "attention: k and v rows");
    const bool f16 = k.type == DType::F16;
    const Loc lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()), lv = loc(v.data, v.nbytes()),
              lo = loc(out.data, out.nbytes());
    const Grid g = grid_for(uint64_t(n_head * n_tok));
    const uint32_t es = f16 ? 2 : 4;
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), uint32_t(n_tok), uint32_t(n_head_kv), uint32_t(k.nrows()),
                          fbits(ap.scale), f16 ? 1u : 0u, lq.offset / 4, lo.offset / 4, uint32_t(k.ne[0]), g.gx,
                          lk.offset / es, lv.offset / es};
    dispatch(kAttentionFull, {arena(p, sizeof p), whole(lq), whole(lk), whole(lv), whole(lo)}, g, 1);
  }

  void make_buffers(Tensor& t, const std::vector<size_t>& sizes) {
    // Chunks of one tensor are contiguous in the address space; tensors are 256-aligned, 256 bytes apart.
    uint64_t total = 0;
    for (size_t s : sizes) total += s;
    if (total + 512 > 0xFFFFFFF0ull) fail("webgpu: out of GPU address space");
    const uintptr_t span = (uintptr_t(total) + 256 + 255) & ~uintptr_t(255);
    const uintptr_t base = st_->take(span);
    uintptr_t addr = base;
    for (size_t s : sizes) {
      // +16: word reads of the last block may touch the word after it. At least 1 KiB: Dawn asks a buffer that
      // a subgroup-matrix store writes (matmul-sgmat.wgsl's y) to hold one 16 x 16 f32 tile.
      const uint64_t padded = std::max<uint64_t>(((uint64_t(s) + 15) & ~uint64_t(15)) + 16, 1024);
      const uint32_t id = g_next_buffer_id++;
      sotto_gpu_buffer_create(id, uint32_t(padded));
      st_->bufs[addr] = Buf{id, uint32_t(s)};
      addr += s;
    }
    t.data = reinterpret_cast<void*>(base);
    std::shared_ptr<GpuState> st = st_;
    t.owner = std::shared_ptr<void>(reinterpret_cast<void*>(base), [st, base, span, n = sizes.size()](void*) {
      auto it = st->bufs.find(base);
      for (size_t i = 0; i < n && it != st->bufs.end(); i++) {
        sotto_gpu_buffer_destroy(it->second.id);
        forget_bind_groups(it->second.id);
        it = st->bufs.erase(it);
      }
      st->give_back(base, span);
    });
  }

  // The buffer holding [addr, addr + n).
  Loc loc(const void* p, size_t n) const {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    auto it = st_->bufs.upper_bound(a);
    if (it == st_->bufs.begin()) fail("webgpu: tensor is not a WebGPU tensor");
    --it;
    const uintptr_t off = a - it->first;
    if (off + n > it->second.size && !(n == 0 && off <= it->second.size)) {
      fail("webgpu: tensor is not a WebGPU tensor or spans buffers");
    }
    return {it->second.id, uint32_t(off), it->second.size};
  }

  // The buffers of a (possibly split) weight, with the rows each holds.
  std::vector<Chunk> chunks(const Tensor& w) const {
    std::vector<Chunk> out;
    const uintptr_t a = reinterpret_cast<uintptr_t>(w.data);
    auto it = st_->bufs.upper_bound(a);
    if (it == st_->bufs.begin()) fail("webgpu: weight is not a WebGPU tensor");
    --it;
    const size_t rb = w.row_bytes(), total = w.nbytes();
    size_t done = 0;
    uint32_t off = uint32_t(a - it->first);
    while (done < total) {
      if (it == st_->bufs.end() || (done > 0 && it->first != a + done)) fail("webgpu: weight buffers are not contiguous");
      const size_t avail = std::min<size_t>(it->second.size - off, total - done);
      if (avail % rb != 0 || avail == 0) fail("webgpu: weight split inside a row");
      out.push_back({{it->second.id, off, it->second.size}, uint32_t(done / rb), uint32_t(avail / rb)});
      done += avail;
      off = 0;
      ++it;
    }
    return out;
  }

  uint32_t push(const void* p, size_t n) {
    const size_t off = (arena_.size() + 255) & ~size_t(255);
    arena_.resize(off + std::max<size_t>(n, 16), 0);
    std::memcpy(arena_.data() + off, p, n);
    return uint32_t(off);
  }
  Bind arena(const void* p, size_t n) { return {kArena, push(p, n), uint32_t(n)}; }
  static Bind whole(const Loc& l) { return {l.id, 0, 0}; }

  // WebGPU forbids binding one buffer twice as writable storage in a dispatch, so when two bindings
  // name the same buffer (y = a + b in place, rms_norm in place), a variant of the kernel is used where
  // the later binding's declaration is dropped and its name replaced by the earlier one's (offsets are
  // parameters, so both views still work).
  void dispatch(uint32_t k, std::initializer_list<Bind> binds, Grid g, uint32_t gz) {
    std::vector<Bind> b(binds);
    if (g_q8_memo.valid) {
      const bool dp4a = k >= kMatMulDp4a && k < kMatMulDp4a + 8 * kMaxDp4aKb;
      for (size_t j = 0; j < b.size(); j++) {
        if (b[j].id == g_q8_memo.x_id || (!(dp4a && j == 2) && b[j].id == g_q8_memo.q_id)) g_q8_memo.valid = false;
      }
    }
    std::string alias;  // "j=i," for each dropped binding j that reads binding i
    std::vector<bool> drop(b.size(), false);
    for (size_t j = 0; j < b.size(); j++) {
      if (b[j].id == kArena) continue;
      for (size_t i = 0; i < j; i++) {
        if (!drop[i] && b[i].id == b[j].id) {
          drop[j] = true;
          alias += std::to_string(j) + "=" + std::to_string(i) + ",";
          break;
        }
      }
    }
    const uint32_t kid = variant(k, alias);
    uint32_t q[4 * 8];
    uint32_t n = 0;
    for (size_t j = 0; j < b.size(); j++) {
      if (drop[j]) continue;
      q[4 * n] = uint32_t(j);
      q[4 * n + 1] = b[j].id;
      q[4 * n + 2] = b[j].offset;
      q[4 * n + 3] = b[j].size;
      n++;
    }
    claim();
    gpu_dispatch(kid, q, n, g.gx, g.gy, gz);
    n_dispatch_++;
    n_since_flush_++;
    dirty_ = true;
  }

  // The pipeline id of kernel k with the bindings of `alias` merged, created on first use.
  uint32_t variant(uint32_t k, const std::string& alias) {
    const std::string key = std::to_string(k) + ":" + alias;
    auto it = variants_.find(key);
    if (it != variants_.end()) return it->second;
    std::string s = kernel_source(k);
    size_t pos = 0;
    while (!alias.empty() && pos < alias.size()) {
      const size_t eq = alias.find('=', pos), comma = alias.find(',', pos);
      const std::string from = binding_name(s, alias.substr(pos, eq - pos));
      const std::string to = binding_name(s, alias.substr(eq + 1, comma - eq - 1));
      if (binding_type(s, from) != binding_type(s, to)) {
        fail("webgpu: one buffer bound as ", from, " and ", to, ", which have different element types");
      }
      const size_t decl = s.find("@binding(" + alias.substr(pos, eq - pos) + ")");
      s.erase(s.rfind('\n', decl) + 1, s.find('\n', decl) - s.rfind('\n', decl));
      for (size_t at = 0; (at = s.find(from + "[", at)) != std::string::npos;) {
        const bool word = at == 0 || !(std::isalnum(uint8_t(s[at - 1])) || s[at - 1] == '_');
        if (word) s.replace(at, from.size(), to);
        at += 1;
      }
      pos = comma + 1;
    }
    s = "// kernel " + kernel_name(k) + "\n" + s;
    const uint32_t id = g_next_kernel_id++;
    sotto_gpu_pipeline_create(id, s.data(), uint32_t(s.size()));
    variants_[key] = id;
    return id;
  }

  static std::string binding_type(const std::string& s, const std::string& name) {
    const size_t at = s.find("> " + name + ":");
    return s.substr(at + name.size() + 3, s.find(';', at) - at - name.size() - 3);
  }

  // The variable declared at @binding(index) in s, checking the element types of merged bindings agree.
  static std::string binding_name(const std::string& s, const std::string& index) {
    const size_t decl = s.find("@binding(" + index + ")");
    if (decl == std::string::npos) fail("webgpu: kernel has no binding ", index);
    const size_t gt = s.find("> ", decl), colon = s.find(':', gt);
    return s.substr(gt + 2, colon - gt - 2);
  }

  void flush() {
    if (g_recording == this) g_recording = nullptr;
    if (!dirty_) return;
    sotto_gpu_flush(arena_.data(), uint32_t(arena_.size()));
    arena_.clear();
    dirty_ = false;
    n_since_flush_ = 0;
  }

  // Before recording: another backend of this instance with unflushed work submits it first (with its own
  // arena). A single engine never switches, so its step stays one encoder and one submit.
  void claim() {
    if (g_recording == this) return;
    if (g_recording) g_recording->flush();
    g_recording = this;
  }

  void binary(uint32_t k, const Tensor& a, const Tensor& b, Tensor& y) {
    need(a.type == DType::F32 && b.type == DType::F32 && y.type == DType::F32, "add/mul: tensors must be f32");
    need(y.nelements() == a.nelements(), "add/mul: y shape");
    const bool bcast = b.nelements() != a.nelements();
    need(!bcast || b.nelements() == a.ne[0], "add/mul: b must have a's shape or be one row");
    const Loc la = loc(a.data, a.nbytes()), lb = loc(b.data, b.nbytes()), ly = loc(y.data, y.nbytes());
    const Grid g = grid_for((uint64_t(a.nelements()) + 63) / 64);
    const uint32_t p[] = {uint32_t(a.nelements()), uint32_t(a.ne[0]), bcast ? 1u : 0u, la.offset / 4, lb.offset / 4,
                          ly.offset / 4, g.gx * 64};
    dispatch(k, {arena(p, sizeof p), whole(la), whole(lb), whole(ly)}, g, 1);
  }

  void glu(uint32_t k, const Tensor& gate, const Tensor& up, Tensor& y) {
    need(gate.type == DType::F32 && up.nelements() == gate.nelements() && y.nelements() == gate.nelements(),
         "swiglu/geglu: shapes");
    const Loc lg = loc(gate.data, gate.nbytes()), lu = loc(up.data, up.nbytes()), ly = loc(y.data, y.nbytes());
    const Grid g = grid_for((uint64_t(gate.nelements()) + 63) / 64);
    const uint32_t p[] = {uint32_t(gate.nelements()), lg.offset / 4, lu.offset / 4, ly.offset / 4, g.gx * 64};
    dispatch(k, {arena(p, sizeof p), whole(lg), whole(lu), whole(ly)}, g, 1);
  }

  // ---- decode matrix-vector kernels (mv-*.wgsl): one token, R rows per workgroup, optional prologue
  // (rms norm of x times a weight) and epilogues (bias, residual add, gate*up GLU).
  struct MvEpilogue {
    const Tensor* norm_w = nullptr;  // NORM: x is rms-normalised (eps) and multiplied by *norm_w
    float eps = 0;
    const Tensor* bias = nullptr;    // BIAS: + bias[row]
    bool add = false;                // ADD: y += result
    const Tensor* up = nullptr;      // GLU: y = act(w x) * (up x)
    bool gelu = false;
    bool qkv = false;                // QKV: see norm_qkv (up binds k's weight, binding 7 v's)
    bool rope = false;               // ROPE (with QKV): see norm_qkv_rope_store
  };
  static constexpr uint32_t kMvRows = 4, kMvThreads = 128;

  // Subgroup-matrix prefill (matmul-sgmat.wgsl, config t = kSgTiles[cfg]) per weight buffer; for XM 1 and 2 x
  // first goes to f16 in a scratch buffer (to-f16.wgsl), rows padded to 128 and K to 64 with zeros.
  void matmul_sgmat(const Tensor& w, const std::vector<Chunk>& cs, const Loc& lx, int64_t n_tok, const Loc& ly,
                    const SgTile& t, uint32_t cfg) {
    const uint32_t n_in = uint32_t(w.ne[0]);
    Loc lin = lx;
    uint32_t in_offset = lx.offset / 4, in_stride = n_in;
    if (t.xm > 0) {
      const uint64_t kp = (uint64_t(n_in) + 63) / 64 * 64, rp = (uint64_t(n_tok) + 127) / 128 * 128;
      const size_t bytes = size_t(kp * rp * 2);
      if (f16_scratch_.empty() || f16_scratch_.nbytes() < bytes) {
        f16_scratch_ = alloc(DType::I32, {int64_t(std::max<size_t>(bytes, 1 << 16) / 4), 1, 1, 1});
      }
      lin = loc(f16_scratch_.data, f16_scratch_.nbytes());
      const Grid gh = grid_for((kp / 2 * rp + 255) / 256);
      const uint32_t ph[] = {n_in, uint32_t(n_tok), lx.offset / 4, n_in, lin.offset / 4, uint32_t(kp / 2), uint32_t(rp),
                             gh.gx * 256};
      dispatch(kToF16, {arena(ph, sizeof ph), whole(lx), whole(lin)}, gh, 1);
      in_offset = t.xm == 1 ? lin.offset / 16 : lin.offset / 2;
      in_stride = uint32_t(t.xm == 1 ? kp / 8 : kp);
    }
    const uint32_t slot = sg_f16_rows(w, cs) ? kSgF16Rows : uint32_t(weight_index(w.type));
    for (const Chunk& c : cs) {
      const Grid g = grid_for(t.row_groups(c.rows));
      const uint32_t p[] = {n_in, 0, uint32_t(n_tok), c.loc.offset, uint32_t(w.row_bytes()), in_offset, ly.offset / 4,
                            in_stride, uint32_t(w.ne[1]), c.row0, c.rows, g.gx};
      dispatch(kMatMulSgmat + slot + 8 * cfg, {arena(p, sizeof p), whole(c.loc), whole(lin), whole(ly)},
               g, uint32_t(t.token_groups(n_tok)));
    }
  }

  // Q8_0/Q4_0 weights, two or more tokens, a device with dot4I8Packed: x quantized to 8-bit blocks in a scratch
  // buffer (quantize-q8.wgsl), then matmul-dp4a.wgsl per weight buffer.
  void matmul_dp4a(const Tensor& w, const std::vector<Chunk>& cs, const Loc& lx, const Tensor& x, const Loc& ly,
                   int tile) {
    const int64_t n_in = w.ne[0], n_tok = x.nrows();
    const uint64_t n_blocks = uint64_t(n_in / 32) * uint64_t(n_tok);
    const size_t bytes = size_t(n_blocks) * 40;  // 8 words of int8 + (d, s) a block
    if (q8_scratch_.empty() || q8_scratch_.nbytes() < bytes) {
      q8_scratch_ = alloc(DType::I32, {int64_t(std::max<size_t>(bytes, 1 << 16) / 4), 1, 1, 1});
    }
    const Loc lq = loc(q8_scratch_.data, q8_scratch_.nbytes());
    const Q8Memo m{lx.id, lx.offset, uint32_t(n_in), uint32_t(n_tok), lq.id, true};
    const Q8Memo& o = g_q8_memo;
    if (!(o.valid && o.x_id == m.x_id && o.x_offset == m.x_offset && o.n_in == m.n_in && o.n_tok == m.n_tok &&
          o.q_id == m.q_id)) {
      const Grid gq = grid_for((n_blocks + 63) / 64);
      const uint32_t pq[] = {uint32_t(n_in), uint32_t(n_tok), lx.offset / 4, uint32_t(x.ne[0]), lq.offset / 4, gq.gx * 64};
      dispatch(kQuantizeQ8, {arena(pq, sizeof pq), whole(lx), whole(lq)}, gq, 1);
      g_q8_memo = m;
    }
    // Blocks a stage: the knob's, as many as fit WebGPU's default 16 KiB of workgroup memory (36 BN + 40 BM bytes a
    // block: 1 for the 128 x 128 tile).
    const MmTile& t = kMmTiles[tile];
    const uint32_t kb = std::clamp<uint32_t>(16384 / (36 * 16 * t.tn + 40 * 16 * t.tm), 1, g_dp4a_kb);
    tile_dispatch(kMatMulDp4a + 8 * (kb - 1) + 2 * uint32_t(tile) + (w.type == DType::Q4_0 ? 1 : 0), t, w, cs, n_tok,
                  lq, 0, ly);
  }

  // One dispatch per weight buffer of a prefill kernel (matmul-tiled.wgsl, matmul-dp4a.wgsl): tile t's workgroups
  // over the buffer's rows (x, y) and the tokens (z); `in` is x (row stride in_stride elements) or the 8-bit
  // blocks of quantize-q8.wgsl. y is [w.ne[1], n_tok].
  void tile_dispatch(uint32_t kid, const MmTile& t, const Tensor& w, const std::vector<Chunk>& cs, int64_t n_tok,
                     const Loc& in, uint32_t in_stride, const Loc& ly) {
    for (const Chunk& c : cs) {
      const Grid g = grid_for(t.row_groups(c.rows));
      const uint32_t p[] = {uint32_t(w.ne[0]), 0, uint32_t(n_tok), c.loc.offset, uint32_t(w.row_bytes()), in.offset / 4,
                            ly.offset / 4, in_stride, uint32_t(w.ne[1]), c.row0, c.rows, g.gx};
      dispatch(kid, {arena(p, sizeof p), whole(c.loc), whole(in), whole(ly)}, g, uint32_t(t.token_groups(n_tok)));
    }
  }

  // The prefill tile for a matmul of n_tok >= 2 tokens over these weight chunks, or -1 for matmul.wgsl (few
  // tokens). Larger tiles read the weights and activations fewer times but give fewer workgroups. Measured on
  // the H100 (docs/benchmarks.md, matmul-dp4a.wgsl, 512-token passes): 64 x 64 (tile 0) is fastest for the
  // Qwen2.5-0.5B and Gemma-3-270M shapes, 128 rows x 64 tokens (tile 1) for Llama-3.2-1B (its 8192-row FFN:
  // 512 workgroups), 128 x 128 (tile 3) slower on all three; so tile 1 from 512 workgroups, else tile 0.
  static int mm_tile(const std::vector<Chunk>& cs, int64_t n_tok) {
    if (g_mm_tile >= 8 && g_mm_tile < 16) return g_mm_tile;
    if (g_mm_tile >= 0 && g_mm_tile < 8) return g_mm_tile < int(kNumMmTiles) ? g_mm_tile : -1;
    if (n_tok < 16) return -1;
    uint32_t rows = 0;
    for (const Chunk& c : cs) rows = std::max(rows, c.rows);
    return kMmTiles[1].row_groups(rows) * kMmTiles[1].token_groups(n_tok) >= 512 ? 1 : 0;
  }

  // The matmul-sgmat.wgsl config for a matmul of n_tok >= 2 tokens, or -1 for the other kernels. Forced
  // (sotto_gpu_matmul_tile 16 + i): for F16, Q8_0, Q4_0 and Q4_K weights. By shape: config 1 for F16 weights whose
  // rows and buffers are whole 16-byte words (sgmat-wf16.wgsl) from 16 tokens, as matmul-tiled.wgsl starts. Measured
  // on the H100 (docs/benchmarks.md, session 12): config 1 ran F16 prefill at 1.35-1.6x the f32 tiled kernel; on
  // Q8_0 / Q4_0 every config was slower than matmul-dp4a.wgsl, so those stay there.
  int sg_tile(const Tensor& w, const std::vector<Chunk>& cs, int64_t n_tok) const {
    if (!(features_ & 16u) || w.type == DType::F32 || weight_index(w.type) < 0) return -1;
    if (g_mm_tile >= 16) return std::min(g_mm_tile - 16, int(kNumSgTiles) - 1);
    if (g_mm_tile >= 0) return -1;  // another kernel forced
    return n_tok >= 16 && sg_f16_rows(w, cs) ? 1 : -1;
  }

  // F16 weights whose rows and buffers are whole 16-byte words: matmul-sgmat.wgsl reads them 8 values a load.
  static bool sg_f16_rows(const Tensor& w, const std::vector<Chunk>& cs) {
    bool rows16 = w.type == DType::F16 && w.row_bytes() % 16 == 0;
    for (const Chunk& c : cs) rows16 = rows16 && c.loc.offset % 16 == 0;
    return rows16;
  }

  // The weight's rows and buffers suit the vector loads of mv-*.wgsl and x is one 16-byte aligned row.
  bool mv_ok(const Tensor& w, const Tensor& x) const {
    const int wi = weight_index(w.type);
    if (wi < 0 || w.ne[0] % 8 != 0 || x.nrows() != 1) return false;
    if (loc(x.data, x.nbytes()).offset % 16 != 0) return false;
    for (const Chunk& c : chunks(w)) {
      if (c.loc.offset % 16 != 0) return false;
    }
    return w.row_bytes() % 16 == 0 || w.type == DType::Q8_0 || w.type == DType::Q4_0;
  }

  static std::string mv_name(DType t, const MvEpilogue& e) {
    return std::string("matvec.") + dtype_name(t) + (e.norm_w ? "+norm" : "") + (e.qkv ? "+qkv" : e.up ? "+glu" : "") +
           (e.bias ? "+bias" : "") + (e.add ? "+add" : "") + (e.rope ? "+rope+store" : "");
  }

  std::string mv_source(DType t, const MvEpilogue& e) const {
    const bool sg = (features_ & 1u) != 0, h16 = (features_ & 2u) != 0 && t == DType::F16;
    auto b = [](bool v) { return v ? std::string("true") : std::string("false"); };
    std::string s;
    if (sg) s += "enable subgroups;\n";
    if (h16) s += "enable f16;\n";
    s += "const R: u32 = " + std::to_string(kMvRows) + "u;\nconst WG: u32 = " + std::to_string(kMvThreads) + "u;\n";
    s += "const NORM = " + b(e.norm_w) + ";\nconst BIAS = " + b(e.bias) + ";\nconst ADD = " + b(e.add) +
         ";\nconst GLU = " + b(e.up && !e.qkv) + ";\nconst ACT: u32 = " + (e.gelu ? "1u" : "0u") +
         ";\nconst QKV = " + b(e.qkv) + ";\nconst ROPE = " + b(e.rope) + ";\n";
    s += src("mv-common");
    const char* const files[] = {"mv-f32", "mv-f16", "mv-q8_0", "mv-q4_0", "mv-q4_k"};
    const std::string wsrc = src(h16 ? "mv-f16h" : files[weight_index(t)]);
    s += wsrc;
    // The same loads for a second (and third) weight: W -> U at binding 6 (GLU's up, QKV's k), W -> Z at 7 (QKV's v).
    auto renamed = [&wsrc](const std::string& name, const std::string& binding) {
      std::string u = wsrc;
      auto rep = [&u](const std::string& from, const std::string& to) {
        for (size_t at = 0; (at = u.find(from, at)) != std::string::npos; at += to.size()) u.replace(at, from.size(), to);
      };
      rep("_W", "_" + name);
      rep("W[", name + "[");
      rep(" W:", " " + name + ":");
      rep("@binding(1)", "@binding(" + binding + ")");
      return u;
    };
    const std::string stub = " -> array<vec4f, 2> { return array<vec4f, 2>(vec4f(0.0), vec4f(0.0)); }\n";
    s += e.up ? renamed("U", "6") : "fn wsl_U(rb: u32, s: u32)" + stub;
    s += e.qkv ? renamed("Z", "7") : "fn wsl_Z(rb: u32, s: u32)" + stub;
    if (e.rope) {
      s += src("sincos") + src("mv-rope");
    } else {
      s += "fn rope_row(l: u32) -> u32 { return l; }\n"
           "fn rope_epilogue(r: u32, b: u32, row: u32, y: f32, red: ptr<function, array<f32, 9>>) -> f32 { return y; }\n"
           "fn rope_cache(r: u32, b: u32, row: u32, y: f32, red: ptr<function, array<f32, 9>>) {}\n";
    }
    s += src(sg ? "mv-main-sg" : "mv-main-wg");
    return s;
  }

  // y[0 .. n_out) = epilogue(W x) for one token x (mv_ok(w, x)).
  void matvec(const Tensor& w, const Tensor& x, Tensor& y, const MvEpilogue& e) {
    const int64_t n_in = w.ne[0], n_out = w.ne[1];
    need(y.type == DType::F32 && y.nelements() == n_out, "matvec: y shape");
    const std::string key = "mv:" + std::to_string(weight_index(w.type)) + ":" + std::to_string(e.norm_w != nullptr) +
                            std::to_string(e.bias != nullptr) + std::to_string(e.add) + std::to_string(e.up != nullptr) +
                            std::to_string(e.gelu) + std::to_string(e.qkv);
    const uint32_t kid = named_pipeline(key, [&] { return mv_source(w.type, e); }, mv_name(w.type, e));
    const Loc lx = loc(x.data, x.nbytes()), ly = loc(y.data, y.nbytes());
    const float zero[4] = {0, 0, 0, 0};
    const Bind none{kArena, push(zero, 16), 16};
    Bind nw = none, bias = none;
    uint32_t nw_off = 0, b_off = 0;
    if (e.norm_w) {
      need(e.norm_w->type == DType::F32 && e.norm_w->nelements() == n_in, "matvec: norm weight shape");
      const Loc l = loc(e.norm_w->data, e.norm_w->nbytes());
      need(l.offset % 16 == 0, "matvec: norm weight alignment");
      nw = whole(l);
      nw_off = l.offset / 16;
    }
    if (e.bias) {
      need(e.bias->type == DType::F32 && e.bias->nelements() == n_out, "matvec: bias shape");
      const Loc l = loc(e.bias->data, e.bias->nbytes());
      bias = whole(l);
      b_off = l.offset / 4;
    }
    std::vector<Chunk> uc;
    if (e.up) {
      need(e.up->type == w.type && e.up->ne == w.ne, "matvec: gate and up weights differ in type or shape");
      uc = chunks(*e.up);
    }
    const std::vector<Chunk> wc = chunks(w);
    if (e.up) need(uc.size() == wc.size(), "matvec: gate and up weights split differently");
    for (size_t i = 0; i < wc.size(); i++) {
      const Chunk& c = wc[i];
      const Grid g = grid_for((uint64_t(c.rows) + kMvRows - 1) / kMvRows);
      const uint32_t p[] = {uint32_t(n_in), c.rows, c.loc.offset, uint32_t(w.row_bytes()), lx.offset / 16, ly.offset / 4,
                            c.row0, g.gx, fbits(e.eps), nw_off, b_off, e.up ? uc[i].loc.offset : 0u, 0, 0, 0, 0, 0, 0};
      std::vector<Bind> b = {arena(p, sizeof p), whole(c.loc), whole(lx), whole(ly), nw, bias};
      if (e.up) b.push_back(whole(uc[i].loc));
      raw_dispatch(kid, b, g);
    }
  }

  // bq | bk | bv as one vector (norm_qkv's bias), made on the GPU on first use (a new buffer is zeros, as
  // WebGPU guarantees; + each bias) and kept for the backend's life (the weights live as long).
  const Tensor& qkv_bias(const Tensor& bq, const Tensor& bk, const Tensor& bv) {
    const std::array<const void*, 3> key = {bq.data, bk.data, bv.data};
    auto it = qkv_bias_.find(key);
    if (it != qkv_bias_.end()) return it->second;
    need(bq.type == DType::F32 && bk.type == DType::F32 && bv.type == DType::F32, "norm_qkv: biases must be f32");
    const int64_t n = bq.nelements() + bk.nelements() + bv.nelements();
    Tensor cat = alloc(DType::F32, {n, 1, 1, 1});
    Tensor rows = reshape(cat, {1, n, 1, 1});
    int64_t at = 0;
    for (const Tensor* b : {&bq, &bk, &bv}) {
      Tensor part = reshape(view_rows(rows, at, b->nelements()), {b->nelements(), 1, 1, 1});
      Tensor src = reshape(*b, {b->nelements(), 1, 1, 1});
      add(part, src, part);  // 0 + b: b exactly
      at += b->nelements();
    }
    return qkv_bias_[key] = cat;
  }

  // The pipeline of a kernel outside the Kernel enum, by key, compiled on first use.
  // `name` (default: the key) is the kernel's name in profiles.
  template <typename F>
  uint32_t named_pipeline(const std::string& key, F make_source, const std::string& name = "") {
    auto it = variants_.find(key);
    if (it != variants_.end()) return it->second;
    const std::string s = "// kernel " + (name.empty() ? key : name) + "\n" + make_source();
    const uint32_t kid = g_next_kernel_id++;
    sotto_gpu_pipeline_create(kid, s.data(), uint32_t(s.size()));
    variants_[key] = kid;
    return kid;
  }
  // A dispatch whose bindings j = 0, 1, ... are b[j] (no aliasing: no two name one writable buffer).
  void raw_dispatch(uint32_t kid, const std::vector<Bind>& b, Grid g) {
    uint32_t q[4 * 10];
    uint32_t n = 0;
    for (size_t j = 0; j < b.size() && j < 10; j++, n++) {
      q[4 * n] = uint32_t(j);
      q[4 * n + 1] = b[j].id;
      q[4 * n + 2] = b[j].offset;
      q[4 * n + 3] = b[j].size;
    }
    claim();
    gpu_dispatch(kid, q, n, g.gx, g.gy, 1);
    n_dispatch_++;
    n_since_flush_++;
    dirty_ = true;
  }

  // Decode attention over more than 64 keys: split over chunks of keys, then merged per head
  // (attention-merge.wgsl). attention-decode.wgsl (a workgroup per kv head and chunk, serving the kv head's
  // query heads, tiles of keys in workgroup memory) where head_dim is 64, 128 or 256 with at most 1024 query
  // values per kv head; else attention-split.wgsl (a workgroup per query head and chunk). Shapes are checked
  // by attention(). Returns false when the single-pass kernel is the better choice.
  bool attention_split(const Tensor& q, const Tensor& k, const Tensor& v, int n_head_kv, int n_past,
                       const AttnParams& ap, Tensor& out) {
    const int64_t hd = q.ne[0], n_head = q.ne[1];
    const uint32_t pos = uint32_t(n_past);
    const uint32_t win = uint32_t(std::max(ap.window, 0));
    const uint32_t lo_key = (win > 0 && pos + 1 > win) ? pos + 1 - win : 0;
    const uint32_t nk = pos + 1 - lo_key;
    if (nk <= 64) return false;
    const bool f16 = k.type == DType::F16;
    const uint32_t es = f16 ? 2 : 4;
    const int64_t grp = n_head / n_head_kv;
    // attention-decode.wgsl reads 16 bytes at a time: the views' offsets and the row must be multiples of 16 bytes.
    const bool gqa = g_attn_decode && (hd == 64 || hd == 128 || hd == 256) && grp * hd <= 1024 &&
                     loc(k.data, k.nbytes()).offset % 16 == 0 && loc(v.data, v.nbytes()).offset % 16 == 0 &&
                     (k.ne[0] * es) % 16 == 0;
    // Chunks: attention-split.wgsl, up to 32 of 64-key multiples; attention-decode.wgsl, about 256 workgroups
    // (n_head_kv x chunks), up to 64 chunks of TK-key multiples (TK = 2048 / head_dim keys a tile).
    const uint32_t tk = gqa ? uint32_t(2048 / hd) : 64u;
    const uint32_t max_chunks = gqa ? std::clamp<uint32_t>(uint32_t((256 + n_head_kv - 1) / n_head_kv), 1, 64) : 32;
    const uint32_t tiles = (nk + tk - 1) / tk;
    const uint32_t ch = tk * ((tiles + max_chunks - 1) / max_chunks);
    const uint32_t n_chunks = (nk + ch - 1) / ch;
    const size_t need_floats = size_t(n_head) * n_chunks * size_t(hd + 2);
    if (attn_scratch_.empty() || size_t(attn_scratch_.nelements()) < need_floats) {
      attn_scratch_ = alloc(DType::F32, {int64_t(std::max<size_t>(need_floats, 1u << 16)), 1, 1, 1});
    }
    const Loc lq = loc(q.data, q.nbytes()), lk = loc(k.data, k.nbytes()), lv = loc(v.data, v.nbytes()),
              lo = loc(out.data, out.nbytes()), ls = loc(attn_scratch_.data, attn_scratch_.nbytes());
    if (ls.offset != 0) return false;
    const uint32_t p[] = {uint32_t(hd), uint32_t(n_head), 1, uint32_t(n_head_kv), pos, fbits(ap.scale), win,
                          fbits(ap.softcap), f16 ? 1u : 0u, lq.offset / 4, ch, uint32_t(k.ne[0]), n_chunks,
                          lk.offset / es, lv.offset / es};
    if (gqa) {
      const std::string key = "attention-decode.hd" + std::to_string(hd) + ".g" + std::to_string(grp) + (f16 ? ".f16" : ".f32");
      const uint32_t kd = named_pipeline(key, [&] {
        return "const HD: u32 = " + std::to_string(hd) + "u;\nconst G: u32 = " + std::to_string(grp) +
               "u;\nconst F16 = " + (f16 ? "true" : "false") + ";\n" + src("attention-decode");
      });
      raw_dispatch(kd, {arena(p, sizeof p), whole(lq), whole(lk), whole(lv), whole(ls)},
                   Grid{uint32_t(n_head_kv) * n_chunks, 1});
    } else {
      const uint32_t ks =
          named_pipeline("attention-split", [] { return src("attention-common") + src("attention-split"); });
      raw_dispatch(ks, {arena(p, sizeof p), whole(lq), whole(lk), whole(lv), whole(ls)},
                   Grid{uint32_t(n_head) * n_chunks, 1});
    }
    attention_merge(ls, lo, uint32_t(hd), uint32_t(n_head), n_chunks);
    return true;
  }

  // attention-merge.wgsl: the n_chunks (<= 64) partials of each of n_heads rows in ls into lo.
  void attention_merge(const Loc& ls, const Loc& lo, uint32_t hd, uint32_t n_heads, uint32_t n_chunks) {
    need(n_chunks <= 64, "attention: more than 64 chunks to merge");
    const Grid g = grid_for(uint64_t(n_heads) * ((hd + 63) / 64));
    const uint32_t pm[] = {hd, n_heads, n_chunks, lo.offset / 4, g.gx};
    const uint32_t km = named_pipeline("attention-merge", [] { return src("attention-merge"); });
    raw_dispatch(km, {arena(pm, sizeof pm), whole(ls), whole(lo)}, g);
  }

  Tensor attn_scratch_;  // attention_split's partials
  uint32_t features_ = 0;
  uint32_t limit_;
  std::shared_ptr<GpuState> st_;
  std::vector<uint8_t> arena_;
  std::map<std::string, uint32_t> variants_;  // "kernel:alias" -> pipeline id
  std::map<std::array<const void*, 3>, Tensor> qkv_bias_;  // norm_qkv: (bq, bk, bv) -> their concatenation
  bool dirty_ = false;
  uint32_t n_dispatch_ = 0;
  uint32_t n_since_flush_ = 0;  // dispatches recorded since the last submit
  Tensor sample_scratch_;  // GPU sampling: per-chunk candidates (sample-select.wgsl)
  Tensor q8_scratch_;      // 8-bit activations of matmul-dp4a.wgsl (quantize-q8.wgsl), grow-only
  Tensor f16_scratch_;     // f16 activations of matmul-sgmat.wgsl (to-f16.wgsl), grow-only
  Tensor argmax_scratch_;  // one-row argmax: per-chunk (index, value) pairs (argmax-chunk.wgsl)
  static constexpr uint32_t kArgMaxChunk = 2048;
};

}  // namespace

std::unique_ptr<Backend> make_webgpu_backend(uint32_t binding_limit, uint32_t feature_mask) {
  return std::make_unique<WebGpuBackend>(binding_limit, feature_mask);
}

void webgpu_sample(Backend& be, const Tensor& logits, const GpuSampleParams& p, Tensor& out) {
  auto* w = dynamic_cast<WebGpuBackend*>(&be);
  if (!w) fail("webgpu_sample: not a WebGPU backend");
  w->sample(logits, p, out);
}

bool webgpu_attention_decode(int on) {
  const bool was = g_attn_decode;
  if (on >= 0) g_attn_decode = on != 0;
  return was;
}

int webgpu_submit_every(int n) {
  const int was = g_submit_every;
  if (n >= 0) g_submit_every = n;
  return was;
}

int webgpu_dp4a_kb(int kb) {
  const int was = int(g_dp4a_kb);
  if (kb >= 1) g_dp4a_kb = uint32_t(std::min(kb, int(kMaxDp4aKb)));
  return was;
}

int webgpu_force_matmul_tile(int tile) {
  g_mm_tile = tile < 0 ? -1 : tile >= 16 ? std::min(tile, 15 + int(kNumSgTiles)) : tile >= 8 ? std::min(tile, 7 + int(kNumMmTiles))
                                                                                     : std::min(tile, int(kNumMmTiles));
  return int(kNumMmTiles);
}

int webgpu_sgmat_configs() { return int(kNumSgTiles); }

uint32_t webgpu_features(const Backend& be) {
  const auto* w = dynamic_cast<const WebGpuBackend*>(&be);
  return w ? w->features() : 0;
}

uint32_t webgpu_take_dispatch_count(Backend& be) {
  auto* w = dynamic_cast<WebGpuBackend*>(&be);
  return w ? w->take_dispatch_count() : 0;
}

uint32_t webgpu_new_buffer_id() { return g_next_buffer_id++; }
uint32_t webgpu_new_kernel_id() { return g_next_kernel_id++; }
void webgpu_destroy_buffer(uint32_t id) {
  sotto_gpu_buffer_destroy(id);
  forget_bind_groups(id);
}
void webgpu_dispatch(uint32_t kernel, const uint32_t* quads, uint32_t n, uint32_t gx, uint32_t gy, uint32_t gz) {
  if (g_recording) g_recording->submit_recorded();  // a backend's recorded step is submitted first, with its arena
  gpu_dispatch(kernel, quads, n, gx, gy, gz);
}

}  // namespace sotto
