// gpu-features.mjs — what the GPU machine's WebGPU adapter offers under Dawn's toggles, and whether its
// subgroup-matrix (cooperative matrix) and f16 paths compute correctly and how fast: a probe for issue 14's
// "where an adapter offers a subgroup-matrix or f16 feature, a path that uses it".
// Usage: node tools/bench/gpu-features.mjs --webgpu <webgpu package index.js> [--fallback] [--size 4096]
// Prints one JSON line per toggle set (features, subgroup sizes, subgroup-matrix configs), then for each f16 / i8
// config a correctness check of one tile product against a scalar product here, and the TFLOP/s of a plain
// subgroup-matrix GEMM (each subgroup a 2 x 2 block of tiles, operands loaded from storage; no workgroup staging:
// a floor, not a tuned kernel).
// Does not: change the engine; the engine's kernels are chosen by wasm/gpu-host.mjs.
import { createRequire } from 'node:module';

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : d; };
const webgpuPath = arg('--webgpu', 'webgpu');
const fallback = process.argv.includes('--fallback');
const size = Number(arg('--size', '4096'));
const require = createRequire(import.meta.url);
const { create, globals } = require(webgpuPath);
Object.assign(globalThis, globals);

const toggleSets = [[], ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia']];

function configs(adapter) {
  const c = adapter.info?.subgroupMatrixConfigs ?? [];
  return [...c].map((x) => ({ componentType: x.componentType, resultComponentType: x.resultComponentType,
                              M: x.M, N: x.N, K: x.K }));
}

function f16bits(v) {  // round to nearest f16 bits (values here are small integers: exact)
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const s = (u >>> 16) & 0x8000;
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  const m = (u >>> 13) & 0x3ff;
  if (v === 0) return s;
  return s | (e << 10) | m;
}

// WGSL for C[M x N] (f32 or i32) = A[M x K] * W[N x K]^T, A and W row-major; a subgroup owns 2 x 2 tiles.
function gemmSource(cfg, order) {
  const t = cfg.componentType, rt = cfg.resultComponentType;
  const { M, N, K } = cfg;
  const L = order === 'KM' ? `subgroup_matrix_left<${t}, ${K}, ${M}>` : `subgroup_matrix_left<${t}, ${M}, ${K}>`;
  const R = order === 'KM' ? `subgroup_matrix_right<${t}, ${N}, ${K}>` : `subgroup_matrix_right<${t}, ${K}, ${N}>`;
  const C = order === 'KM' ? `subgroup_matrix_result<${rt}, ${N}, ${M}>` : `subgroup_matrix_result<${rt}, ${M}, ${N}>`;
  const store = rt === 'f32' ? 'f32' : 'i32';
  const elem = t === 'f16' ? 'f16' : (t === 'i8' ? 'i32' : 'u32');
  const per = t === 'f16' || process.argv.includes('--i8-elements') ? 1 : 4;  // i8 / u8: offsets in words or values?
  return `${t === 'f16' ? 'enable f16;\n' : ''}enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
@group(0) @binding(0) var<storage, read_write> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> A: array<${elem}>;
@group(0) @binding(2) var<storage, read_write> W: array<${elem}>;
@group(0) @binding(3) var<storage, read_write> Y: array<${store}>;
@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let m = P[0]; let n = P[1]; let k = P[2]; let per = ${per}u;
  let sg = li / 32u;
  let row0 = (wid.y * 4u + sg) * ${2 * M}u;
  let col0 = wid.x * ${2 * N}u;
  var c00 = ${C}(); var c01 = ${C}(); var c10 = ${C}(); var c11 = ${C}();
  for (var k0 = 0u; k0 < k; k0 += ${K}u) {
    let a0 = subgroupMatrixLoad<${L}>(&A, (row0 * k + k0) / per, false, k / per);
    let a1 = subgroupMatrixLoad<${L}>(&A, ((row0 + ${M}u) * k + k0) / per, false, k / per);
    let b0 = subgroupMatrixLoad<${R}>(&W, (col0 * k + k0) / per, true, k / per);
    let b1 = subgroupMatrixLoad<${R}>(&W, ((col0 + ${N}u) * k + k0) / per, true, k / per);
    c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
    c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
  }
  subgroupMatrixStore(&Y, row0 * n + col0, c00, false, n);
  subgroupMatrixStore(&Y, row0 * n + col0 + ${N}u, c01, false, n);
  subgroupMatrixStore(&Y, (row0 + ${M}u) * n + col0, c10, false, n);
  subgroupMatrixStore(&Y, (row0 + ${M}u) * n + col0 + ${N}u, c11, false, n);
}
`;
}

async function compile(device, code) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) return { error: (info.messages.map((x) => x.message).join('; ') || err.message).slice(0, 400) };
  return { pipeline };
}

function buffer(device, data) {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE |
    GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  device.queue.writeBuffer(b, 0, data);
  return b;
}

async function readBack(device, src, bytes) {
  const rb = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, rb, 0, bytes);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = rb.getMappedRange().slice(0);
  rb.unmap();
  return out;
}

// Operands of m x k and n x k small integers (exact in f16 and i8), packed as the kernel reads them.
function operands(cfg, m, n, k, seed) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) % 7 - 3;
  const a = Array.from({ length: m * k }, rnd), w = Array.from({ length: n * k }, rnd);
  const pack = (v) => {
    if (cfg.componentType === 'f16') return new Uint16Array(v.map(f16bits));
    return new Int8Array(cfg.componentType === 'u8' ? v.map((x) => x + 3) : v);
  };
  return { a, w, ab: pack(a), wb: pack(w) };
}

async function runGemm(device, pipeline, cfg, m, n, k, reps) {
  const ops = operands(cfg, m, n, k, 7);
  const p = buffer(device, new Uint32Array([m, n, k, 0]));
  const ab = buffer(device, ops.ab), wb = buffer(device, ops.wb);
  const y = device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [p, ab, wb, y].map(
    (buffer, binding) => ({ binding, resource: { buffer } })) });
  const groups = [n / (2 * cfg.N), m / (8 * cfg.M)];
  const once = () => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(groups[0], groups[1]);
    pass.end();
    device.queue.submit([enc.finish()]);
    return device.queue.onSubmittedWorkDone();
  };
  await once();
  const t0 = performance.now();
  await once();
  const ms = (performance.now() - t0) / reps;
  const out = await readBack(device, y, m * n * 4);
  const got = cfg.resultComponentType === 'f32' ? new Float32Array(out) : new Int32Array(out);
  const av = cfg.componentType === 'u8' ? ops.a.map((x) => x + 3) : ops.a;
  const wv = cfg.componentType === 'u8' ? ops.w.map((x) => x + 3) : ops.w;
  let bad = 0, first = null;
  const checkRows = Math.min(m, 64), checkCols = Math.min(n, 64);
  for (let i = 0; i < checkRows; i++) {
    for (let j = 0; j < checkCols; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += av[i * k + q] * wv[j * k + q];
      if (got[i * n + j] !== s) { bad++; if (!first) first = { i, j, got: got[i * n + j], want: s }; }
    }
  }
  return { ms, tflops: (2 * m * n * k) / (ms * 1e9), checked: checkRows * checkCols, bad, first };
}

for (const toggles of toggleSets) {
  const gpu = create(toggles);
  const adapter = await gpu.requestAdapter({ forceFallbackAdapter: fallback, powerPreference: 'high-performance' });
  if (!adapter) { console.log(JSON.stringify({ toggles, adapter: null })); continue; }
  const info = adapter.info ?? {};
  const row = { toggles, vendor: info.vendor, architecture: info.architecture, description: info.description,
                subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize,
                features: [...adapter.features].sort(), subgroupMatrixConfigs: configs(adapter) };
  console.log(JSON.stringify(row));
  const want = ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix', 'timestamp-query']
    .filter((f) => adapter.features.has(f));
  if (!want.includes('chromium-experimental-subgroup-matrix')) continue;
  const device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
  for (const cfg of row.subgroupMatrixConfigs) {
    if (cfg.componentType === 'f16' && !want.includes('shader-f16')) continue;
    for (const order of ['KM', 'MK']) {
      const c = await compile(device, gemmSource(cfg, order));
      if (c.error) { console.log(JSON.stringify({ cfg, order, compile: c.error })); continue; }
      const tile = await runGemm(device, c.pipeline, cfg, 8 * cfg.M, 2 * cfg.N, 4 * cfg.K, 1);
      const big = tile.bad === 0 ? await runGemm(device, c.pipeline, cfg, size, size, size, 5) : null;
      console.log(JSON.stringify({ cfg, order, tile, big }));
    }
  }
  device.destroy();
}
process.exit(0);
