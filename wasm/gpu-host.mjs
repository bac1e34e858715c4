// gpu-host.mjs — the JS side of the WebGPU backend (src/backend/webgpu): implements the wasm imports of
// module "sotto_gpu" on a GPUDevice. Browser (navigator.gpu), Node (npm `webgpu`: create([])) and Deno
// alike; no dependencies, no JSPI.
//   const host = await GpuHost.create(navigator.gpu, {forceFallbackAdapter});
//   const engine = await Sotto.create(wasmBytes, {gpu: host});  // host.attach(): its own GpuInstance
// CPU fallback: GpuHost.tryCreate() returns null without WebGPU; Sotto.create(wasm, {gpu: null}) then
// runs the wasm CPU backend (SIMD128).
// Recording: every dispatch of a step goes into one command encoder (one compute pass, split only where
// a read-back copy is recorded); the engine's flush(arena) uploads the step's argument arena and
// submits. Read-backs are deferred: read(id, off, n, dst) records a copy into a staging buffer, and
// settle() (awaited by the JS API after each engine call that may have submitted) maps them and copies
// the bytes to wasm memory. Validation errors of a step are collected with an error scope and thrown
// by settle(). Bind groups are cached under the engine's id of (kernel, buffers, offsets), so a decode step
// after the first creates none. Buffers the engine destroys while a step is recorded are destroyed after its submit.
// Several engines (wasm instances) may share one GpuHost: attach() gives each its own GpuInstance (buffer,
// kernel and bind-group tables, argument arena, command encoder, pending reads and loads), since buffer
// and kernel ids are only unique within an instance. The device, the compiled pipelines (by WGSL source),
// the staging buffers and the memory counters are shared. Backends inside one instance share its encoder
// (see src/backend/webgpu/webgpu-backend.h).
// Optional features: 'subgroups' and 'shader-f16' are enabled when the adapter has them (the import
// `features` tells the engine, which then picks the decode kernels that use them). shader-f16 is told only
// when the WGSL compiler takes the vector bitcast the F16 kernel uses (bitcast<vec4<f16>>(vec2<u32>)):
// wgpu's (naga: Deno) rejects bitcasts that change the component count, so there the f32 path runs.
// Profiling (create({profile: true}), where the adapter has 'timestamp-query'): every dispatch gets a compute
// pass of its own with begin/end timestamps while host.profiling is set, and settle() adds each kernel's GPU time
// (by the name in the first line of its source, "// kernel NAME") to host.profile, with the JS time spent in the
// dispatch import.
// host.profileReset() / host.profileTable(). Only for measuring: one pass per dispatch is slower.

const STORAGE = 0x80, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;  // GPUBufferUsage bits
const PROFILE_QUERIES = 4096;  // timestamps per step (2 a dispatch) when profiling; later dispatches are not timed
const F16_BITCAST_PROBE = `enable f16;
@group(0) @binding(0) var<storage, read_write> b: array<vec4u>;
@compute @workgroup_size(1) fn main() { b[1] = vec4u(vec4f(bitcast<vec4<f16>>(b[0].xy))); }`;

// The packed 4 x 8-bit integer dot product (WGSL's packed_4x8_integer_dot_product: dot4I8Packed, pack4xI8), which
// the prefill matmul of Q8_0/Q4_0 weights uses (matmul-dp4a.wgsl) where it compiles.
const DP4A_PROBE = `@group(0) @binding(0) var<storage, read_write> b: array<u32>;
@compute @workgroup_size(1) fn main() { b[1] = bitcast<u32>(dot4I8Packed(b[0], pack4xI8(vec4i(1, -2, 3, -4)))); }`;

// Chromium's subgroup matrices (cooperative matrices: the tensor cores), which the prefill matmul uses
// (matmul-sgmat.wgsl) where the adapter has f16 16 x 16 x 16 products with f32 results, subgroups of exactly 32
// and 32 KiB of workgroup memory, and this probe (operands from workgroup memory) compiles. Dawn offers the
// feature only with its 'allow_unsafe_apis' toggle (Chrome: --enable-unsafe-webgpu), and NVIDIA's Vulkan f16
// only with 'vulkan_enable_f16_on_nvidia' (docs/webgpu.md).
const SGMAT = 'chromium-experimental-subgroup-matrix';
const SGMAT_PROBE = `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
@group(0) @binding(0) var<storage, read_write> b: array<f32>;
var<workgroup> a: array<f16, 512>;
@compute @workgroup_size(32) fn main(@builtin(local_invocation_index) i: u32) {
  for (var j = i; j < 512u; j += 32u) { a[j] = f16(b[j]); }
  workgroupBarrier();
  let l = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&a, 0u, false, 16u);
  let r = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&a, 256u, true, 16u);
  subgroupMatrixStore(&b, 0u, subgroupMatrixMultiplyAccumulate(l, r, subgroup_matrix_result<f32, 16, 16>()), false, 16u);
}`;

function sgmatUsable(adapter) {
  const f = adapter.features;
  if (!f.has(SGMAT) || !f.has('shader-f16') || !f.has('subgroups')) return false;
  const info = adapter.info ?? {};
  if (info.subgroupMinSize !== 32 || info.subgroupMaxSize !== 32) return false;
  if ((adapter.limits.maxComputeWorkgroupStorageSize ?? 0) < 32768) return false;
  return [...(info.subgroupMatrixConfigs ?? [])].some((c) => c.componentType === 'f16' &&
    c.resultComponentType === 'f32' && c.M === 16 && c.N === 16 && c.K === 16);
}

// Whether a WGSL compute shader compiles into a pipeline on this device (no validation error).
async function compiles(device, code) {
  device.pushErrorScope('validation');
  device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  return (await device.popErrorScope()) === null;
}

export class GpuHost {
  // gpu: navigator.gpu or the object from the `webgpu` package's create([]).
  // features: false enables no optional feature (the kernels' fallbacks); otherwise 'subgroups' and
  // 'shader-f16' are enabled when the adapter has them. limits: 'adapter' asks for the adapter's largest
  // buffer sizes; 'default' keeps WebGPU's defaults (128 MiB bindings, 256 MiB buffers), as a tab gets.
  // subgroupMatrix: false keeps matmul-sgmat.wgsl off where the adapter offers subgroup matrices (the engine then
  // takes it for F16 prefill only: docs/webgpu.md).
  static async create(gpu, { forceFallbackAdapter = false, powerPreference = 'high-performance', features = true,
                             limits = 'adapter', profile = false, subgroupMatrix = true } = {}) {
    if (!gpu) throw new Error('WebGPU is not available (no navigator.gpu)');
    const adapter = await gpu.requestAdapter({ forceFallbackAdapter, powerPreference });
    if (!adapter) throw new Error('WebGPU: no adapter');
    const want = limits === 'default' ? [] : ['maxStorageBufferBindingSize', 'maxBufferSize'];
    const requiredLimits = {};
    for (const k of want) requiredLimits[k] = adapter.limits[k];
    // 10 storage buffers a shader stage where the adapter has them (the decode kernel of q, k, v with RoPE and the
    // KV-cache store binds 10; WebGPU's default is 8): any page may ask for that much.
    const sb = adapter.limits.maxStorageBuffersPerShaderStage ?? 8;
    if (sb >= 10) requiredLimits.maxStorageBuffersPerShaderStage = 10;
    const requiredFeatures = features ? ['subgroups', 'shader-f16'].filter((f) => adapter.features.has(f)) : [];
    if (profile && adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
    const sgmat = features && subgroupMatrix && sgmatUsable(adapter);
    if (sgmat) {
      requiredFeatures.push(SGMAT);
      requiredLimits.maxComputeWorkgroupStorageSize = 32768;
    }
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const host = new GpuHost(gpu, adapter, device);
    host.canProfile = profile && device.features.has('timestamp-query');
    host.shaderF16 = device.features.has('shader-f16') && await compiles(device, F16_BITCAST_PROBE);
    host.dp4a = features && await compiles(device, DP4A_PROBE);
    host.sgmat = sgmat && device.features.has(SGMAT) && await compiles(device, SGMAT_PROBE);
    return host;
  }

  // The same, or null when there is no WebGPU (no gpu object, no adapter, no device): the caller then
  // creates the engine without {gpu} and runs on the wasm CPU backend.
  static async tryCreate(gpu, opts = {}) {
    try {
      return await GpuHost.create(gpu, opts);
    } catch {
      return null;
    }
  }

  constructor(gpu, adapter, device) {
    this.gpu = gpu;  // kept alive: Dawn for Node tears the instance down when its GPU object is collected
    this.adapter = adapter;
    this.device = device;
    this.bySource = new Map();      // WGSL source -> GPUComputePipeline
    this.staging = new Map();       // size -> [GPUBuffer] free staging buffers
    this.dispatches = 0;            // total dispatches recorded (all instances)
    this.bytes = 0;                 // bytes of the engines' live buffers (weights, KV cache, activations)
    this.peakBytes = 0;             // the most bytes live at once (staging and arena not counted)
    this.submits = 0;
    this.lostMessage = null;
    this.shaderF16 = false;         // shader-f16 enabled and its vector bitcast compiles (create())
    this.dp4a = false;              // dot4I8Packed / pack4xI8 compile (create(); not with features: false)
    this.sgmat = false;             // f16 subgroup matrices usable for matmul-sgmat.wgsl (create())
    device.lost?.then?.((info) => { this.lostMessage = `WebGPU device lost: ${info.message}`; });
    this.canProfile = false;        // create({profile: true}) on an adapter with 'timestamp-query'
    this.profiling = false;         // timestamp per dispatch while set (only where canProfile)
    this.submitAt = 0;              // performance.now() at the last submit (the CPU side of a step ends there)
    this.profile = new Map();       // kernel name -> {n, gpuNs, jsNs}
    this.profileSteps = 0;          // submits whose timestamps were read
  }

  profileReset() {
    this.profile.clear();
    this.profileSteps = 0;
  }

  // Rows {kernel, n, gpu_us, js_us} sorted by GPU time, for the steps since profileReset().
  profileTable() {
    return [...this.profile].map(([kernel, e]) => ({ kernel, n: e.n, gpu_us: e.gpuNs / 1000, js_us: e.jsNs / 1000 }))
      .sort((a, b) => b.gpu_us - a.gpu_us);
  }

  profileAdd(name, gpuNs, jsNs) {
    let e = this.profile.get(name);
    if (!e) this.profile.set(name, e = { n: 0, gpuNs: 0, jsNs: 0 });
    e.n++;
    e.gpuNs += gpuNs;
    e.jsNs += jsNs;
  }

  // The largest buffer the engine may bind (it splits weights above this).
  bindingLimit() {
    const l = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    return Math.min(l, 2 ** 32 - 256);
  }

  // The per-instance side of one wasm instance (engine) on this device; getMemory() returns the instance's
  // WebAssembly.Memory. Its imports() go into the instance's "sotto_gpu" module.
  attach(getMemory) {
    return new GpuInstance(this, getMemory);
  }
}

// One wasm instance's recording state on a shared GpuHost.
export class GpuInstance {
  constructor(host, getMemory) {
    this.host = host;
    this.device = host.device;
    this.getMemory = getMemory;
    this.buffers = new Map();       // id -> GPUBuffer
    this.pipelines = new Map();     // kernel -> GPUComputePipeline
    this.bindGroups = new Map();    // engine group id -> {bg: GPUBindGroup, ids: buffer ids it binds}
    this.arena = null;              // newest arena buffer
    this.stepArenas = [];           // arena buffers referenced by the step being recorded
    this.encoder = null;
    this.pass = null;
    this.passPipeline = null;
    this.reads = [];                // deferred reads of submitted steps
    this.stepReads = [];            // reads recorded in the current step
    this.toDestroy = [];
    this.scopes = [];               // {flush, p}: popErrorScope promises of submitted steps
    this.nFlush = 0;                // flushes so far (reads, scopes and timed passes carry the one they belong to)
    this.inScope = false;
    this.pendingLoads = [];         // buffer_load records: {id, offset, fileOffset, n}
    this.names = new Map();         // kernel -> name (profiling)
    this.stepTimed = [];            // profiling: [kernel name, JS ns] of the step's timed dispatches
    this.querySet = null;
    this.timed = [];                // profiling: {flush, st, names} of submitted steps
  }

  scope() {
    if (!this.inScope) {
      this.device.pushErrorScope('validation');
      this.inScope = true;
    }
  }

  closeScope() {
    if (this.inScope) {
      this.scopes.push({ flush: this.nFlush, p: this.device.popErrorScope() });
      this.inScope = false;
    }
  }

  ensureArena(bytes) {
    if (this.arena && this.arena.size >= bytes) {
      if (!this.stepArenas.includes(this.arena)) this.stepArenas.push(this.arena);
      return;
    }
    let size = Math.max(1 << 16, this.arena ? this.arena.size * 2 : 0);
    while (size < bytes) size *= 2;
    this.arena = this.device.createBuffer({ size, usage: STORAGE | COPY_DST });
    this.stepArenas.push(this.arena);
    this.bindGroups.clear();
  }

  beginPass() {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) {
      this.pass = this.encoder.beginComputePass();
      this.passPipeline = null;  // the pipeline set in this pass (setPipeline only when it changes)
    }
    return this.pass;
  }

  endPass() {
    if (this.pass) this.pass.end();
    this.pass = null;
  }

  // The wasm imports.
  imports() {
    const getMemory = this.getMemory, host = this.host;
    const u8 = (ptr, n) => new Uint8Array(getMemory().buffer, ptr, n);
    const u32 = (ptr, n) => new Uint32Array(getMemory().buffer, ptr, n);
    const dec = new TextDecoder();
    return {
      features: () => (this.device.features.has('subgroups') ? 1 : 0) | (host.shaderF16 ? 2 : 0) | (host.dp4a ? 4 : 0) |
                      ((this.device.limits.maxStorageBuffersPerShaderStage ?? 8) >= 10 ? 8 : 0) | (host.sgmat ? 16 : 0),
      buffer_create: (id, bytes) => {
        this.scope();
        this.buffers.set(id, this.device.createBuffer({ size: bytes, usage: STORAGE | COPY_SRC | COPY_DST }));
        host.bytes += bytes;
        host.peakBytes = Math.max(host.peakBytes, host.bytes);
      },
      buffer_load: (id, offset, lo, hi, n) => {
        this.pendingLoads.push({ id, offset, fileOffset: hi * 2 ** 32 + lo, n });
      },
      buffer_destroy: (id) => {
        const b = this.buffers.get(id);
        this.buffers.delete(id);
        if (b) {
          // Submitted work may still use it (WebGPU frees it after); recorded work not yet submitted may too.
          if (this.encoder) this.toDestroy.push(b);
          else b.destroy();
          host.bytes -= b.size;
        }
        for (const [key, e] of this.bindGroups) {
          if (e.ids.includes(id)) this.bindGroups.delete(key);
        }
      },
      buffer_write: (id, offset, ptr, n) => {
        this.scope();
        if (offset % 4) throw new Error(`sotto_gpu: write at unaligned offset ${offset}`);
        let data = u8(ptr, n);
        if (n % 4) {
          const padded = new Uint8Array((n + 3) & ~3);
          padded.set(data);
          data = padded;
        }
        this.device.queue.writeBuffer(this.buffers.get(id), offset, data);
      },
      pipeline_create: (kernel, ptr, len) => {
        this.scope();
        const code = dec.decode(u8(ptr, len).slice());  // a copy: TextDecoder refuses views of shared memory
        let p = host.bySource.get(code);  // a reloaded model reuses the compiled pipelines
        if (!p) {
          const module = this.device.createShaderModule({ code });
          p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
          host.bySource.set(code, p);
        }
        this.pipelines.set(kernel, p);
        this.names.set(kernel, /^\/\/ kernel (\S+)/.exec(code)?.[1] ?? `kernel-${kernel}`);
      },
      dispatch: (kernel, bptr, nb, gx, gy, gz, group) => {
        const t0 = host.profiling ? performance.now() : 0;
        this.scope();
        // group: the engine's id of (kernel, binding quads), the bind-group cache key (no key built here: a decode
        // step dispatches 100-200 times).
        let bg = this.bindGroups.get(group)?.bg;
        const pipeline = this.pipelines.get(kernel);
        if (bg) {
          if (this.stepArenas[this.stepArenas.length - 1] !== this.arena) this.ensureArena(0);
        } else {
          const b = u32(bptr, 4 * nb);  // (binding, buffer id, offset, size) quads
          let arenaEnd = 0;
          for (let i = 0; i < nb; i++) {
            if (b[4 * i + 1] === 0) arenaEnd = Math.max(arenaEnd, b[4 * i + 2] + b[4 * i + 3]);
          }
          this.ensureArena(arenaEnd);  // a larger arena drops every bind group
          const entries = [];
          const ids = [];
          for (let i = 0; i < nb; i++) {
            const [binding, id, offset, size] = [b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]];
            entries.push({ binding, resource: id === 0 ? { buffer: this.arena, offset, size }
                                                            : { buffer: this.buffers.get(id) } });
            ids.push(id);
          }
          bg = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
          this.bindGroups.set(group, { bg, ids });  // ids: buffer_destroy drops the groups that name a buffer
        }
        const timed = host.profiling && this.stepTimed.length < PROFILE_QUERIES / 2;
        if (timed) {
          this.endPass();
          if (!this.encoder) this.encoder = this.device.createCommandEncoder();
          this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: PROFILE_QUERIES });
          const i = 2 * this.stepTimed.length;
          this.pass = this.encoder.beginComputePass({ timestampWrites: { querySet: this.querySet,
            beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 } });
          this.passPipeline = null;
        }
        const pass = this.beginPass();
        if (pipeline !== this.passPipeline) {
          pass.setPipeline(pipeline);
          this.passPipeline = pipeline;
        }
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(gx, gy, gz);
        host.dispatches++;
        if (timed) {
          this.endPass();
          this.stepTimed.push([this.names.get(kernel), (performance.now() - t0) * 1e6]);
        }
      },
      read: (id, offset, n, dst) => {
        this.scope();
        const o0 = offset & ~3, end = (offset + n + 3) & ~3, size = end - o0;
        const free = host.staging.get(size);
        const st = free?.pop() ?? this.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
        this.endPass();
        if (!this.encoder) this.encoder = this.device.createCommandEncoder();
        this.encoder.copyBufferToBuffer(this.buffers.get(id), o0, st, 0, size);
        this.stepReads.push({ st, skip: offset - o0, n, dst, size });
      },
      flush: (ptr, len) => {
        this.scope();
        if (len > 0) {
          this.ensureArena(len);
          const data = u8(ptr, len);
          for (const a of this.stepArenas) {
            const m = Math.min(a.size, len) & ~3;
            if (m > 0) this.device.queue.writeBuffer(a, 0, data, 0, m);
          }
        }
        this.endPass();
        if (this.stepTimed.length) {
          const n = 2 * this.stepTimed.length;
          const rb = this.device.createBuffer({ size: 8 * n, usage: 0x200 /* QUERY_RESOLVE */ | COPY_SRC });
          const st = this.device.createBuffer({ size: 8 * n, usage: MAP_READ | COPY_DST });
          this.encoder.resolveQuerySet(this.querySet, 0, n, rb, 0);
          this.encoder.copyBufferToBuffer(rb, 0, st, 0, 8 * n);
          this.toDestroy.push(rb);
          this.timed.push({ flush: this.nFlush + 1, st, names: this.stepTimed });
          this.stepTimed = [];
        }
        if (this.encoder) this.device.queue.submit([this.encoder.finish()]);
        this.encoder = null;
        host.submits++;
        host.submitAt = performance.now();
        for (const a of this.stepArenas) if (a !== this.arena) this.toDestroy.push(a);
        this.stepArenas = [];
        for (const b of this.toDestroy) b.destroy();
        this.toDestroy = [];
        const flush = ++this.nFlush;
        for (const r of this.stepReads) this.reads.push({ ...r, flush });
        this.stepReads = [];
        this.scopes.push({ flush, p: this.device.popErrorScope() });
        this.inScope = false;
      },
    };
  }

  // Streams the file ranges the engine recorded (buffer_load) into their GPU buffers, in file order, in
  // pieces of at most `chunk` bytes, waiting for the queue every `window` bytes so that no more than that is
  // staged at once. source: {size, read(offset, n) -> Promise<Uint8Array>} (see wasm/sotto.mjs).
  async streamLoads(source, { chunk = 32 << 20, window = 256 << 20 } = {}) {
    this.closeScope();  // the scope is a device-wide stack: none stays open over the awaits below
    const loads = this.pendingLoads.sort((a, b) => a.fileOffset - b.fileOffset);
    this.pendingLoads = [];
    let staged = 0;
    for (const l of loads) {
      const buf = this.buffers.get(l.id);
      for (let done = 0; done < l.n; done += chunk) {
        const n = Math.min(chunk, l.n - done);
        const n4 = (n + 3) & ~3;  // writeBuffer sizes are multiples of 4 (buffers are padded)
        let data = await source.read(l.fileOffset + done, Math.min(n4, source.size - l.fileOffset - done));
        if (data.length < n) throw new Error(`model file: ${data.length} bytes at ${l.fileOffset + done}, expected ${n}`);
        if (data.length !== n4) {
          const p = new Uint8Array(n4);
          p.set(data.subarray(0, Math.min(data.length, n4)));
          data = p;
        }
        this.device.queue.writeBuffer(buf, l.offset + done, data);
        staged += n4;
        if (staged >= window) {
          await this.device.queue.onSubmittedWorkDone();
          staged = 0;
        }
      }
    }
  }

  // Waits for the submitted steps: copies every deferred read into wasm memory; throws the first
  // validation error. oldest: only the submits up to the one that holds the oldest pending read, whose bytes
  // land; later submits stay in flight (the engine's greedy pipelining records step n + 1 before the token of
  // step n is read: wasm/sotto-abi.cpp).
  async settle({ oldest = false } = {}) {
    const memory = this.getMemory();
    this.closeScope();  // errors of calls not followed by a flush (e.g. a failed load)
    const upTo = oldest && this.reads.length ? this.reads[0].flush : Infinity;
    const take = (list) => {
      const i = list.findIndex((e) => e.flush > upTo);
      return list.splice(0, i < 0 ? list.length : i);
    };
    const reads = take(this.reads), scopes = take(this.scopes), timed = take(this.timed);
    // onSubmittedWorkDone also keeps Node's event loop alive (and Dawn ticking) until the error scopes
    // resolve: without a pending map or queue promise, Dawn for Node lets the process exit. (With oldest,
    // the read's map is pending.)
    await Promise.all([...(upTo === Infinity ? [this.device.queue.onSubmittedWorkDone()] : []),
                       ...reads.map((r) => r.st.mapAsync(1 /* GPUMapMode.READ */)),
                       ...timed.map((t) => t.st.mapAsync(1))]);
    for (const t of timed) {
      const ts = new BigUint64Array(t.st.getMappedRange());
      t.names.forEach(([name, jsNs], i) => this.host.profileAdd(name, Number(ts[2 * i + 1] - ts[2 * i]), jsNs));
      t.st.unmap();
      t.st.destroy();
      this.host.profileSteps++;
    }
    for (const r of reads) {
      const bytes = new Uint8Array(r.st.getMappedRange(), r.skip, r.n);
      new Uint8Array(memory.buffer, r.dst, r.n).set(bytes);
      r.st.unmap();
      if (!this.host.staging.has(r.size)) this.host.staging.set(r.size, []);
      this.host.staging.get(r.size).push(r.st);
    }
    const errors = (await Promise.all(scopes.map((e) => e.p))).filter((e) => e);
    if (this.host.lostMessage) throw new Error(this.host.lostMessage);
    if (errors.length) throw new Error(`WebGPU: ${errors[0].message}`);
  }
}
