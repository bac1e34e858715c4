// splat-abi.cpp — Gaussian splats in the wasm build (issue 23, docs/splats.md): one scene an instance, rendered by
// the CPU reference (src/splat/render.h) or on WebGPU by the splat-*.wgsl kernels through the GPU host's imports
// (projection, a deterministic 4-pass LSD radix depth sort, per-tile lists, compositing: the same definitions).
//   sotto_splat_load(bytes, size, name)        parse a .ply / .splat (one-line trap on a malformed file) -> n splats
//   sotto_splat_render_cpu(w, h, view, bg)     CPU render into the frame buffer; returns the visible count
//   sotto_splat_render_gpu(w, h, view, bg, mode)  records and submits the GPU frame; the frame and the sorted order
//                                              land in the buffers once the host settles (a deferred read); mode 1/2:
//                                              benchmarks (everything but compositing / no read-back of the frame);
//                                              3: also the tile lists; 4: the frame without the order (the page)
//   sotto_splat_gpu_retry() -> 1 when the frame's (tile, splat) pairs outgrew their buffers (nothing was drawn):
//                                              the next render grows them; call it after the host settled
//   sotto_splat_frame() -> [h, w, 3] f32        sotto_splat_order() -> u32 indices (CPU: radix_depth_order's visible
//                                              splats; GPU: all n sorted, culled last)
//   sotto_splat_bins() -> u32 [tiles + 1 offsets, then the splats]: the per-tile lists (CPU: tile_bins; GPU, mode 3:
//                                              the sorted pairs' ranges)
// view: 7 floats: azimuth, elevation (degrees), radius, vertical fov (degrees), target x y z; bg: 3 floats.
// GPU frame, one submit: project -> depth sort (4 x hist/scan/scatter over n) -> bin-count, bin-scan, bin-emit (one
// (tile, splat) pair per tile a splat's square reaches, written in depth order) -> the tile sort (the same radix
// kernels on the tile id's bits only: stable, so each tile keeps depth order) -> render (each tile its range).
// The pair count stays on the GPU (bin-scan writes the tile sort's pass sizes); buffers hold `cap` pairs, and a frame
// with more draws nothing and asks for a retry. Timing: the host's per-dispatch timestamps, by kernel name
// (splat-project, splat-sort-*, splat-bin-*, splat-tile-*, splat-render: wasm/splat.mjs sums them).
// Does not: share a step with a model's backend (a backend's unflushed step is flushed first).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend/webgpu/webgpu-backend.h"
#include "backend/webgpu/wgsl-sources.h"
#include "core/error.h"
#include "splat/render.h"
#include "splat/scene.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))
#define SOTTO_GPU_IMPORT(name) __attribute__((import_module("sotto_gpu"), import_name(#name)))
extern "C" {
SOTTO_GPU_IMPORT(buffer_create) void sotto_gpu_buffer_create(uint32_t id, uint32_t bytes);
SOTTO_GPU_IMPORT(buffer_write) void sotto_gpu_buffer_write(uint32_t id, uint32_t offset, const void* src, uint32_t n);
SOTTO_GPU_IMPORT(pipeline_create) void sotto_gpu_pipeline_create(uint32_t kernel, const char* src, uint32_t len);
SOTTO_GPU_IMPORT(read) void sotto_gpu_read(uint32_t id, uint32_t offset, uint32_t n, void* dst);
SOTTO_GPU_IMPORT(flush) void sotto_gpu_flush(const void* arena, uint32_t n);
}

namespace {

using namespace sotto;

struct GpuParams {  // splat-project.wgsl / splat-render.wgsl `Params`
  float rot[9], trans[3], centre[3], fx, fy, cx, cy;
  uint32_t width, height, n, sh_degree;
  float bg[3];
};
static_assert(sizeof(GpuParams) == 104);

struct Gpu {
  uint32_t k_project = 0, k_hist, k_scan, k_scatter, k_render, k_count, k_bscan, k_emit, k_thist, k_tscan, k_tscatter;
  uint32_t params = 0, scene = 0, out2d, keys[2], vals[2], hist, pass[4], img = 0;
  uint32_t bsum, bstate, tpass[3], tkeys[2] = {0, 0}, tvals[2], thist;  // binning
  uint32_t n = 0, img_bytes = 0;
  uint32_t cap = 0, want_cap = 0;  // pairs the buffers hold; the count a frame asked for (0: none)
  uint32_t tile_passes = 1;        // of the last frame
};

struct State {
  splat::Scene scene;
  std::vector<float> frame;
  std::vector<uint32_t> order;
  std::vector<uint32_t> bins;       // tiles + 1 offsets, then the splats
  uint32_t gpu_state[4] = {};       // the frame's pair count (read back) and capacity
  std::vector<uint32_t> gpu_pairs;  // mode 3: tile keys [cap], then splats [cap]
  int bins_tiles = 0;
  Gpu gpu;
};
State& state() {
  static State s;
  return s;
}

splat::Camera camera(int w, int h, const float* view) {
  splat::OrbitView v;
  v.azimuth_deg = view[0];
  v.elevation_deg = view[1];
  v.radius = view[2];
  v.fov_y_deg = view[3];
  for (int k = 0; k < 3; ++k) v.target[k] = view[4 + k];
  return splat::orbit_camera(v, w, h);
}

// label: the kernel's name in the host's timestamps (the tile sort runs the radix kernels under its own names).
uint32_t kernel(const char* name, const char* label = nullptr) {
  const char* src = wgsl_source(name);
  if (!src) fail("splat: kernel ", name, " missing from the build");
  const std::string s = std::string("// kernel ") + (label ? label : name) + "\n" + src;
  const uint32_t id = webgpu_new_kernel_id();
  sotto_gpu_pipeline_create(id, s.data(), uint32_t(s.size()));
  return id;
}

uint32_t buffer(uint32_t bytes) {
  const uint32_t id = webgpu_new_buffer_id();
  sotto_gpu_buffer_create(id, std::max(bytes, 16u));
  return id;
}

void dispatch(uint32_t k, std::initializer_list<uint32_t> ids, uint32_t groups_x, uint32_t groups_y = 1) {
  std::vector<uint32_t> quads;
  uint32_t b = 0;
  for (uint32_t id : ids) quads.insert(quads.end(), {b++, id, 0, 0});
  webgpu_dispatch(k, quads.data(), uint32_t(ids.size()), groups_x, groups_y, 1);
}

// A 1D count of workgroups as (x, y) within the 65535 limit of each.
void grid(uint32_t groups, uint32_t& gx, uint32_t& gy) {
  gx = std::min(groups, 65535u);
  gy = gx ? (groups + gx - 1) / gx : 1;
  gx = std::max(gx, 1u);
}

void upload_scene(State& st) {
  Gpu& g = st.gpu;
  if (!g.k_project) {
    g.k_project = kernel("splat-project");
    g.k_hist = kernel("splat-sort-hist");
    g.k_scan = kernel("splat-sort-scan");
    g.k_scatter = kernel("splat-sort-scatter");
    g.k_render = kernel("splat-render");
    g.k_count = kernel("splat-bin-count");
    g.k_bscan = kernel("splat-bin-scan");
    g.k_emit = kernel("splat-bin-emit");
    g.k_thist = kernel("splat-sort-hist", "splat-tile-hist");
    g.k_tscan = kernel("splat-sort-scan", "splat-tile-scan");
    g.k_tscatter = kernel("splat-sort-scatter", "splat-tile-scatter");
    g.params = buffer(sizeof(GpuParams));
    for (uint32_t& p : g.pass) p = buffer(16);
    for (uint32_t& p : g.tpass) p = buffer(16);
    g.bstate = buffer(16);
  }
  if (g.scene) {
    for (uint32_t id : {g.scene, g.out2d, g.keys[0], g.keys[1], g.vals[0], g.vals[1], g.hist, g.bsum}) webgpu_destroy_buffer(id);
    g.scene = 0;
  }
  const splat::Scene& s = st.scene;
  const uint32_t n = uint32_t(s.size());
  if (uint64_t(n) * 60 * 4 > 0xFFFFFF00u) fail("splat: ", std::to_string(n), " splats do not fit one GPU buffer");
  std::vector<float> packed(size_t(n) * 60, 0.0f);  // pos 3, scale 3, rot 4, opacity, pad, sh 48
  for (size_t i = 0; i < n; ++i) {
    float* p = &packed[i * 60];
    std::memcpy(p, &s.pos[i * 3], 12);
    std::memcpy(p + 3, &s.scale[i * 3], 12);
    std::memcpy(p + 6, &s.rot[i * 4], 16);
    p[10] = s.opacity[i];
    std::memcpy(p + 12, &s.sh[i * 48], 48 * 4);
  }
  const uint32_t n_blocks = (n + 255) / 256;
  g.n = n;
  g.scene = buffer(n * 240);
  g.out2d = buffer(n * 48);
  for (int k = 0; k < 2; ++k) {
    g.keys[k] = buffer(n * 4);
    g.vals[k] = buffer(n * 4);
  }
  g.hist = buffer(256 * n_blocks * 4);
  g.bsum = buffer(n_blocks * 4);
  if (n) sotto_gpu_buffer_write(g.scene, 0, packed.data(), n * 240);
  for (uint32_t p = 0; p < 4; ++p) {
    const uint32_t pass[4] = {8 * p, n, n_blocks, 0};
    sotto_gpu_buffer_write(g.pass[p], 0, pass, 16);
  }
}

// The pair buffers for `cap` (tile, splat) pairs: keys and values twice (the tile sort ping-pongs) and its histogram.
void pair_buffers(Gpu& g, uint32_t cap) {
  if (uint64_t(cap) * 4 > 0xFFFFFF00u) fail("splat: ", std::to_string(cap), " (tile, splat) pairs do not fit one GPU buffer");
  if (g.tkeys[0]) {
    for (uint32_t id : {g.tkeys[0], g.tkeys[1], g.tvals[0], g.tvals[1], g.thist}) webgpu_destroy_buffer(id);
  }
  g.cap = cap;
  for (int k = 0; k < 2; ++k) {
    g.tkeys[k] = buffer(cap * 4);
    g.tvals[k] = buffer(cap * 4);
  }
  g.thist = buffer(256 * ((cap + 255) / 256) * 4);
}

// Binding and dispatching: ids of the pair buffers after the tile sort's passes.
uint32_t tile_passes(int w, int h) {
  const uint64_t tiles = uint64_t((w + 15) / 16) * uint64_t((h + 15) / 16);
  uint32_t bits = 1;
  while (bits < 32 && (uint64_t(1) << bits) < tiles) ++bits;
  return (bits + 7) / 8;
}

}  // namespace

SOTTO_EXPORT uint32_t sotto_splat_load(const uint8_t* data, uint32_t size, const char* name) {
  State& st = state();
  st.scene = splat::parse_scene(data, size, name);
  st.gpu.n = 0;
  return uint32_t(st.scene.size());
}

SOTTO_EXPORT uint32_t sotto_splat_render_cpu(int w, int h, const float* view, const float* bg) {
  State& st = state();
  const splat::Camera cam = camera(w, h, view);
  st.frame = splat::render(st.scene, cam, bg);
  const std::vector<splat::Splat2D> sp = splat::project(st.scene, cam);
  st.order = splat::radix_depth_order(sp);
  const auto bins = splat::tile_bins(sp, st.order, w, h);
  st.bins.assign(1, 0);
  for (const auto& b : bins) st.bins.push_back(st.bins.back() + uint32_t(b.size()));
  for (const auto& b : bins) st.bins.insert(st.bins.end(), b.begin(), b.end());
  st.bins_tiles = int(bins.size());
  return uint32_t(st.order.size());
}

// mode: 0 reads back the frame and the order; 1 (benchmarks) records everything but the compositing and reads back
// the pair count; 2 records everything and reads back 4 bytes of the frame; 3: as 0, and the tile lists; 4: the frame
// without the order. The frame/order buffers then hold only what was read.
SOTTO_EXPORT void sotto_splat_render_gpu(int w, int h, const float* view, const float* bg, int mode) {
  State& st = state();
  Gpu& g = st.gpu;
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) fail("splat: frame size ", std::to_string(w), "x", std::to_string(h), " (1..16384)");
  const splat::Camera cam = camera(w, h, view);
  if (g.n != st.scene.size() || !g.scene) upload_scene(st);
  if (!g.tkeys[0] || g.want_cap > g.cap) {
    const uint64_t want = std::max({uint64_t(g.want_cap) * 5 / 4, uint64_t(g.n) * 4, uint64_t(65536)});
    pair_buffers(g, uint32_t(std::min<uint64_t>(want, 0xFFFFFFFFu)));  // past 2^30 pairs: refused there, one line
  }
  g.want_cap = 0;
  const uint32_t img_bytes = uint32_t(w) * uint32_t(h) * 12;
  if (g.img && g.img_bytes != img_bytes) {
    webgpu_destroy_buffer(g.img);
    g.img = 0;
  }
  if (!g.img) {
    g.img = buffer(img_bytes);
    g.img_bytes = img_bytes;
  }
  GpuParams p = {};
  std::memcpy(p.rot, cam.rot, sizeof p.rot);
  std::memcpy(p.trans, cam.trans, sizeof p.trans);
  std::memcpy(p.centre, cam.centre, sizeof p.centre);
  p.fx = cam.fx, p.fy = cam.fy, p.cx = cam.cx, p.cy = cam.cy;
  p.width = uint32_t(w), p.height = uint32_t(h), p.n = g.n, p.sh_degree = uint32_t(st.scene.sh_degree);
  std::memcpy(p.bg, bg, sizeof p.bg);
  sotto_gpu_buffer_write(g.params, 0, &p, sizeof p);
  st.gpu_state[0] = 0;
  st.gpu_state[1] = g.cap;
  sotto_gpu_buffer_write(g.bstate, 0, st.gpu_state, 16);
  st.frame.assign(mode == 0 || mode == 3 || mode == 4 ? size_t(w) * size_t(h) * 3 : 1, 0.0f);
  st.order.assign(mode == 0 || mode == 3 ? g.n : 0, 0);
  const uint32_t n_blocks = (g.n + 255) / 256;
  uint32_t gx, gy;
  if (g.n) {
    grid((g.n + 63) / 64, gx, gy);
    dispatch(g.k_project, {g.params, g.scene, g.out2d, g.keys[0], g.vals[0]}, gx, gy);
    grid(n_blocks, gx, gy);
    for (int pass = 0; pass < 4; ++pass) {
      const int a = pass & 1, b = a ^ 1;
      dispatch(g.k_hist, {g.pass[pass], g.keys[a], g.hist}, gx, gy);
      dispatch(g.k_scan, {g.pass[pass], g.hist}, 1);
      dispatch(g.k_scatter, {g.pass[pass], g.keys[a], g.vals[a], g.hist, g.keys[b], g.vals[b]}, gx, gy);
    }
  }
  // Per-tile lists: the pairs in depth order, then stably sorted by tile (the passes the tile ids need).
  grid(n_blocks, gx, gy);
  if (g.n) dispatch(g.k_count, {g.params, g.out2d, g.vals[0], g.bsum}, gx, gy);
  dispatch(g.k_bscan, {g.params, g.bsum, g.bstate, g.tpass[0], g.tpass[1], g.tpass[2]}, 1);
  if (g.n) dispatch(g.k_emit, {g.params, g.out2d, g.vals[0], g.bsum, g.bstate, g.tkeys[0], g.tvals[0]}, gx, gy);
  const uint32_t passes = tile_passes(w, h);
  g.tile_passes = passes;
  grid((g.cap + 255) / 256, gx, gy);
  for (uint32_t pass = 0; pass < passes; ++pass) {
    const int a = pass & 1, b = a ^ 1;
    dispatch(g.k_thist, {g.tpass[pass], g.tkeys[a], g.thist}, gx, gy);
    dispatch(g.k_tscan, {g.tpass[pass], g.thist}, 1);
    dispatch(g.k_tscatter, {g.tpass[pass], g.tkeys[a], g.tvals[a], g.thist, g.tkeys[b], g.tvals[b]}, gx, gy);
  }
  const int f = passes & 1;  // the sorted pairs
  sotto_gpu_read(g.bstate, 0, 16, st.gpu_state);
  if (mode != 1) {
    dispatch(g.k_render, {g.params, g.out2d, g.tkeys[f], g.tvals[f], g.tpass[0], g.img}, (uint32_t(w) + 15) / 16,
             (uint32_t(h) + 15) / 16);
  }
  if (mode == 0 || mode == 3 || mode == 4) sotto_gpu_read(g.img, 0, img_bytes, st.frame.data());
  if (mode == 2) sotto_gpu_read(g.img, 0, 4, st.frame.data());
  if (g.n && (mode == 0 || mode == 3)) sotto_gpu_read(g.vals[0], 0, g.n * 4, st.order.data());
  if (mode == 3) {
    st.gpu_pairs.assign(size_t(g.cap) * 2, 0);
    sotto_gpu_read(g.tkeys[f], 0, g.cap * 4, st.gpu_pairs.data());
    sotto_gpu_read(g.tvals[f], 0, g.cap * 4, st.gpu_pairs.data() + g.cap);
    st.bins_tiles = ((w + 15) / 16) * ((h + 15) / 16);
  }
  sotto_gpu_flush(nullptr, 0);
}

// After the host settled a GPU frame: 1 when its pairs outgrew the buffers (it drew nothing; the next render grows
// them), else 0. After mode 3, also turns the read-back pairs into sotto_splat_bins()'s layout.
SOTTO_EXPORT int sotto_splat_gpu_retry() {
  State& st = state();
  Gpu& g = st.gpu;
  const uint32_t m = st.gpu_state[0];
  if (m > g.cap) {
    g.want_cap = m;
    return 1;
  }
  if (!st.gpu_pairs.empty()) {
    const uint32_t* keys = st.gpu_pairs.data();
    const uint32_t* vals = keys + g.cap;
    std::vector<uint32_t> bins(size_t(st.bins_tiles) + 1 + m, 0);
    for (uint32_t k = 0; k < m; ++k) {
      if (keys[k] >= uint32_t(st.bins_tiles)) fail("splat: GPU pair ", std::to_string(k), " has tile ", std::to_string(keys[k]));
      bins[keys[k] + 1]++;
    }
    for (int t = 0; t < st.bins_tiles; ++t) bins[size_t(t) + 1] += bins[size_t(t)];
    std::copy(vals, vals + m, bins.begin() + st.bins_tiles + 1);  // sorted by tile: each tile's range in order
    st.bins = std::move(bins);
    st.gpu_pairs.clear();
  }
  return 0;
}

SOTTO_EXPORT uint32_t sotto_splat_gpu_pairs() { return state().gpu_state[0]; }
SOTTO_EXPORT uint32_t sotto_splat_gpu_image_id() { return state().gpu.img; }
SOTTO_EXPORT const uint32_t* sotto_splat_bins() { return state().bins.data(); }
SOTTO_EXPORT uint32_t sotto_splat_bins_len() { return uint32_t(state().bins.size()); }
SOTTO_EXPORT uint32_t sotto_splat_bins_tiles() { return uint32_t(state().bins_tiles); }

// Bytes of the GPU buffers the scene and a w x h frame take: splats 240 + 48 + 16 each, the histogram and block sums,
// the frame, and the pair buffers as allocated (16 bytes a pair and the tile sort's histogram).
SOTTO_EXPORT double sotto_splat_gpu_bytes(int w, int h) {
  const Gpu& g = state().gpu;
  const double n = double(state().scene.size());
  return n * (240 + 48 + 16) + 257.0 * 4 * std::ceil(n / 256) + double(w) * h * 12 + 16.0 * g.cap +
         256.0 * 4 * std::ceil(g.cap / 256.0);
}

// Where a camera should look to frame the scene (the page, for a scene the user opens): out[0..2] the mean position,
// out[3] the distance from it within which 90% of the splats lie (robust to a capture's far-flung outliers).
SOTTO_EXPORT void sotto_splat_extent(float* out) {
  const splat::Scene& s = state().scene;
  const size_t n = s.size();
  double c[3] = {0, 0, 0};
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) c[k] += s.pos[i * 3 + k];
  for (double& v : c) v = n ? v / double(n) : 0.0;
  std::vector<float> d(n);
  for (size_t i = 0; i < n; ++i) {
    const double dx = s.pos[i * 3] - c[0], dy = s.pos[i * 3 + 1] - c[1], dz = s.pos[i * 3 + 2] - c[2];
    d[i] = float(std::sqrt(dx * dx + dy * dy + dz * dz));
  }
  float r = 0;
  if (n) {
    const size_t k = std::min(n - 1, n * 9 / 10);
    std::nth_element(d.begin(), d.begin() + ptrdiff_t(k), d.end());
    r = d[k];
  }
  for (int k = 0; k < 3; ++k) out[k] = float(c[k]);
  out[3] = r;
}

SOTTO_EXPORT const float* sotto_splat_frame() { return state().frame.data(); }
SOTTO_EXPORT const uint32_t* sotto_splat_order() { return state().order.data(); }
SOTTO_EXPORT uint32_t sotto_splat_order_len() { return uint32_t(state().order.size()); }
