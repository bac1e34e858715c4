// ort-lm.mjs — greedy decoding of a gguf-to-onnx.py decoder with onnxruntime-web in Node, the way
// Transformers.js decodes: the KV cache (present.*) stays where the EP put it (preferredOutputLocation
// 'gpu-buffer' on WebGPU) and is fed back as past_key_values.*, the logits of the last position are read
// back each step and the argmax is taken in JS.
// Builds (--ort): native dist/ort.webgpu.min.mjs (the native WebGPU EP; ort-wasm-simd-threaded.asyncify.wasm):
//                        'onnxruntime-web/webgpu', what Transformers.js imports in the browser (src/backends/onnx.js)
//                 jsep   dist/ort.min.mjs        (the older JSEP WebGPU backend, 'onnxruntime-web'; its
//                        GroupQueryAttention ignores local_window_size: gemma3's sliding window is lost)
// EP (--ep): webgpu or wasm (CPU). WebGPU comes from Dawn for Node (npm webgpu) as navigator.gpu.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BUILDS = { jsep: 'ort.min.mjs', native: 'ort.webgpu.min.mjs' };

// ortDir: the folder holding onnxruntime-web's dist files; webgpuModule: npm webgpu's index.js (default: the one
// tests/webgpu installs).
// threads: ort.env.wasm.numThreads (the wasm EP's threads; 1 by default, as before).
export async function loadOrt({ build = 'native', ep = 'webgpu', ortDir, webgpuModule, fallback = false, trackMemory = false, threads = 1 }) {
  if (!BUILDS[build]) throw new Error(`--ort: one of ${Object.keys(BUILDS).join(', ')}`);
  if (ep !== 'webgpu' && ep !== 'wasm') throw new Error('--ep: webgpu or wasm');
  ortDir = resolve(ortDir ?? join(here, 'node_modules', 'onnxruntime-web', 'dist'));
  let adapterInfo = 'cpu (wasm)';
  let device = null, memory = null;
  if (ep === 'webgpu') {
    const { create, globals } = await import(pathToFileURL(resolve(webgpuModule ??
      join(here, '..', '..', '..', 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js'))).href);
    Object.assign(globalThis, globals);
    // SOTTO_DAWN_TOGGLES (as webgpu-bench.mjs): the same adapter features for ORT as for the engine it is
    // compared with (on NVIDIA's Vulkan: shader-f16, which ORT's WebGPU EP uses where the device has it).
    const t = process.env.SOTTO_DAWN_TOGGLES;
    const gpu = create(t ? [`enable-dawn-features=${t}`] : []);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', forceFallbackAdapter: fallback });
    if (!adapter) throw new Error('no WebGPU adapter');
    const i = adapter.info ?? {};
    adapterInfo = `${i.vendor ?? ''} ${i.architecture ?? ''} ${i.description ?? ''}`.trim();
    // A device of ours only to reach dawn.node's GPUDevice / GPUQueue prototypes; ORT requests its own.
    const requiredFeatures = ['shader-f16', 'subgroups'].filter((f) => adapter.features.has(f));
    device = await adapter.requestDevice();
    // ort-web's wasm memory is a SharedArrayBuffer (the -threaded builds) and it uploads straight from it;
    // browsers take shared views in writeBuffer ([AllowShared]), dawn.node does not: copy those first.
    const Q = Object.getPrototypeOf(device.queue);
    if (!Q.__sottoShared) {
      const write = Q.writeBuffer;
      Q.writeBuffer = function (buffer, offset, data, dataOffset, size) {
        if (data instanceof SharedArrayBuffer) {
          const o = dataOffset ?? 0;
          return write.call(this, buffer, offset, new Uint8Array(data, o, size ?? data.byteLength - o).slice());
        }
        if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) data = data.slice();
        return dataOffset === undefined ? write.call(this, buffer, offset, data)
          : write.call(this, buffer, offset, data, dataOffset, size);
      };
      Q.__sottoShared = true;
    }
    if (trackMemory) {  // bytes of the live buffers of every device (here: ORT's) and their peak
      memory = { live: 0, peak: 0 };
      const D = Object.getPrototypeOf(device), create = D.createBuffer;
      D.createBuffer = function (desc) {
        const b = create.call(this, desc);
        const destroy = b.destroy;
        let alive = true;
        memory.live += desc.size;
        memory.peak = Math.max(memory.peak, memory.live);
        b.destroy = function () { if (alive) { alive = false; memory.live -= desc.size; } return destroy.call(this); };
        return b;
      };
    }
    device.__features = requiredFeatures;
    device.__adapter = adapter;
  }
  const ort = await import(pathToFileURL(join(ortDir, BUILDS[build])).href);
  ort.env.wasm.numThreads = threads;  // > 1: ORT's threaded wasm (its own Workers)
  ort.env.wasm.wasmPaths = pathToFileURL(ortDir + '/').href;
  ort.env.logLevel = 'error';
  // ORT makes its own device from navigator.gpu, as in a browser tab running Transformers.js (ours above
  // only reaches the prototypes); on a CPU machine the fallback adapter is handed over.
  if (fallback && device) ort.env.webgpu.adapter = device.__adapter;
  return { ort, build, ep, adapterInfo, memory, features: device ? device.__features.join('+') || 'none' : '' };
}

export class OrtLm {
  // onnxPath: the .onnx; its weights in onnxPath + '.data' (+ '.data.1', ...: gguf-to-onnx.py).
  static async create(rt, onnxPath) {
    const self = new OrtLm();
    self.rt = rt;
    const model = readFileSync(onnxPath);
    const base = basename(onnxPath);  // external data: base.data, base.data.1, ... (gguf-to-onnx.py)
    const files = readdirSync(dirname(resolve(onnxPath))).filter((f) => f === base + '.data' || f.startsWith(base + '.data.'));
    const externalData = files.map((f) => ({ path: f, data: readBig(join(dirname(resolve(onnxPath)), f)) }));
    const opts = {
      executionProviders: [rt.ep],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      externalData,
    };
    const t = performance.now();
    const s = await rt.ort.InferenceSession.create(model, opts.executionProviders[0] === 'webgpu' ? { ...opts,
      preferredOutputLocation: Object.fromEntries(OrtLm.presentNames(model).map((n) => [n, 'gpu-buffer'])) } : opts);
    self.loadS = (performance.now() - t) / 1000;
    self.session = s;
    self.modelBytes = model.length + externalData.reduce((n, f) => n + f.data.length, 0);
    const past = s.inputNames.filter((n) => n.startsWith('past_key_values.'));
    self.nLayer = past.length / 2;
    self.pastNames = past;
    // past shape [1, n_head_kv, P, head_dim] and dtype, from the input metadata where the build gives it.
    const meta = (s.inputMetadata ?? []).find((m) => m.name === past[0]);
    self.kvType = meta?.type ?? 'float16';
    self.kvShape = meta?.shape ?? null;
    return self;
  }

  // present.* names from the model bytes (the output list is known only after session creation otherwise).
  static presentNames(modelBytes) {
    const s = Buffer.from(modelBytes).toString('latin1');
    const names = new Set();
    for (const m of s.matchAll(/present\.\d+\.(?:key|value)/g)) names.add(m[0]);
    return [...names];
  }

  reset(nKv, headDim) {
    this.disposePast();
    const T = this.rt.ort.Tensor;
    const empty = this.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    this.past = {};
    for (const n of this.pastNames) this.past[n] = new T(this.kvType, empty, [1, nKv, 0, headDim]);
    this.nPast = 0;
  }

  disposePast() {
    if (!this.past) return;
    for (const t of Object.values(this.past)) if (t.location === 'gpu-buffer') t.dispose();
    this.past = null;
  }

  // Runs ids (a prompt chunk or one token) and returns the last position's logits (Float32Array).
  async forward(ids) {
    const T = this.rt.ort.Tensor;
    const n = ids.length, total = this.nPast + n;
    const feeds = {
      input_ids: new T('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, n]),
      attention_mask: new T('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new T('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(this.nPast + i)), [1, n]),
      ...this.past,
    };
    const out = await this.session.run(feeds);
    this.disposePast();
    this.past = {};
    for (const [k, v] of Object.entries(out)) {
      if (k.startsWith('present.')) this.past['past_key_values.' + k.slice('present.'.length)] = v;
    }
    this.nPast = total;
    const logits = out.logits;
    const data = logits.location === 'cpu' ? logits.data : await logits.getData(true);
    return data;
  }

  dispose() {
    this.disposePast();
    return this.session.release();
  }
}

// A whole file, also past readFileSync's 2 GiB; or its first `limit` bytes.
export function readBig(path, limit = Infinity) {
  const fd = openSync(path, 'r');
  try {
    const n = Math.min(fstatSync(fd).size, limit), b = Buffer.allocUnsafe(n);
    for (let o = 0; o < n;) {
      const k = readSync(fd, b, o, Math.min(2 ** 30, n - o), o);
      if (k <= 0) throw new Error(`${path}: short read`);
      o += k;
    }
    return b;
  } finally {
    closeSync(fd);
  }
}

export function argmax(a) {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > bv) { bv = a[i]; best = i; }
  return best;
}

// A GGUF's metadata and tensors ({type, ne, data: Uint8Array view}); enough for the fixtures' reference files
// and the attention shape of a model.
export function readGguf(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  const u64 = () => { const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const str = () => { const n = u64(); const s = Buffer.from(bytes.buffer, bytes.byteOffset + p, n).toString('utf8'); p += n; return s; };
  const nT = u64(), nKv = u64();
  const kv = {};
  const SIZE = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const value = (t) => {
    if (t === 8) return str();
    if (t === 9) { const et = u32(), n = u64(); for (let i = 0; i < n; i++) value(et); return null; }
    const v = t === 4 ? dv.getUint32(p, true) : t === 5 ? dv.getInt32(p, true) : t === 6 ? dv.getFloat32(p, true) : null;
    p += SIZE[t];
    return v;
  };
  for (let i = 0; i < nKv; i++) { const k = str(); kv[k] = value(u32()); }
  const infos = [];
  for (let i = 0; i < nT; i++) {
    const name = str(), nd = u32(), ne = [];
    for (let j = 0; j < nd; j++) ne.push(u64());
    infos.push({ name, ne, type: u32(), off: u64() });
  }
  const align = kv['general.alignment'] ?? 32;
  const start = Math.ceil(p / align) * align;
  const BYTES = { 0: [1, 4], 1: [1, 2], 2: [32, 18], 8: [32, 34], 26: [1, 4], 30: [1, 2] };
  const tensors = {};
  for (const t of infos) {
    const [bs, bb] = BYTES[t.type] ?? [0, 0];
    const n = bs ? t.ne[0] / bs * bb * t.ne.slice(1).reduce((a, b) => a * b, 1) : 0;
    tensors[t.name] = { type: t.type, ne: t.ne, data: bytes.subarray(start + t.off, start + t.off + n) };
  }
  return { kv, tensors };
}

// The attention shape of a model GGUF (for the empty past tensors).
export function ggufKvShape(bytes) {
  const { kv } = readGguf(bytes);
  const a = kv['general.architecture'];
  return { arch: a, nKv: kv[`${a}.attention.head_count_kv`], nLayer: kv[`${a}.block_count`],
           headDim: kv[`${a}.attention.key_length`] ?? kv[`${a}.embedding_length`] / kv[`${a}.attention.head_count`] };
}
