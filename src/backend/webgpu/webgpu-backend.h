// webgpu-backend.h — the WebGPU backend of the wasm build: every op records a compute dispatch through
// wasm imports (module "sotto_gpu") that the JS host (wasm/gpu-host.mjs) implements on a GPUDevice.
// Contract with the host (no JSPI: the engine never waits for the GPU):
//   - all dispatches between two flushes go into one command encoder and one submit;
//   - flush() hands the host the per-step argument arena (op parameters, token ids, RoPE factors);
//   - read() is deferred: it records a copy, and the host fills the destination (wasm memory) after the
//     submit, before it calls into the engine again. Callers must not look at the bytes before that;
//   - write() flushes recorded work first, so a write never overtakes an earlier dispatch;
//   - the arena belongs to the backend, the encoder to the wasm instance: when a backend records while
//     another backend of the instance has unflushed work, that work is flushed first (with its own arena),
//     so backends may interleave freely; a single backend's step stays one submit. Separate wasm instances
//     have separate encoders on the host (GpuHost.attach).
// Tensor::data holds a virtual address: each GPU buffer owns a range of a 32-bit address space, so the
// shared views (view_rows, reshape) work unchanged; the backend maps an address back to (buffer, offset).
// A weight larger than the device's maxStorageBufferBindingSize is split by rows over several buffers at
// consecutive addresses; matmul and get_rows issue one dispatch per buffer.
// Built only into the wasm build (wasm/build.sh).
#pragma once

#include <cstdint>
#include <memory>

#include "backend/backend.h"

namespace sotto {

// binding_limit: the device's maxStorageBufferBindingSize in bytes (the host reports it).
// feature_mask: the optional device features (host import `features`: bit 0 subgroups, bit 1 shader-f16, bit 2
// packed 8-bit integer dot products, bit 3 10 storage buffers a shader stage) the kernels may use; tests clear
// bits to check the fallback kernels on a device that has them.
std::unique_ptr<Backend> make_webgpu_backend(uint32_t binding_limit, uint32_t feature_mask = ~0u);

// Bench and test knob for every WebGPU backend of the instance: the prefill matmul tile to use for every matmul of
// two or more tokens (0..3: matmul-dp4a.wgsl for Q8_0/Q4_0 where the device has feature bit 2, else
// matmul-tiled.wgsl), 4 for the 8-token kernel (matmul.wgsl), 8 + tile for that tile of matmul-tiled.wgsl
// whatever the type, -1 (the default) to choose by shape. Returns the number of tiles (4).
int webgpu_force_matmul_tile(int tile);
// The number of matmul-sgmat.wgsl configs (forced as tiles 16 .. 15 + that number).
int webgpu_sgmat_configs();
// Bench/test knob: blocks of 32 values a stage of matmul-dp4a.wgsl's K loop (1..4; default 2); below 1 only asks.
// Returns the previous value.
int webgpu_dp4a_kb(int kb);
// Bench/test knob: decode attention over > 64 keys on attention-decode.wgsl (on = 1, the default) or on
// attention-split.wgsl (0); -1 only asks. Returns the previous setting.
bool webgpu_attention_decode(int on);
// Submit the recorded work at a layer boundary once n or more dispatches wait (default 48; 0: one submit a step);
// -1 only asks. Returns the previous setting.
int webgpu_submit_every(int n);

// The optional features (bits as feature_mask) the backend uses; 0 for another backend.
uint32_t webgpu_features(const Backend& be);

// The number of dispatches recorded since the last call (for the dispatches-per-token report).
uint32_t webgpu_take_dispatch_count(Backend& be);

// GPU work recorded outside the backends (wasm/splat-abi.cpp, the splat renderer): fresh host buffer and pipeline
// ids of the instance, a buffer's destruction (its bind groups forgotten), and a dispatch through the bind-group
// cache (any backend's unflushed step is flushed first). The caller submits its own work with sotto_gpu_flush.
uint32_t webgpu_new_buffer_id();
uint32_t webgpu_new_kernel_id();
void webgpu_destroy_buffer(uint32_t id);
void webgpu_dispatch(uint32_t kernel, const uint32_t* quads, uint32_t n, uint32_t gx, uint32_t gy, uint32_t gz);

}  // namespace sotto
