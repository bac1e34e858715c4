// sotto.mjs — the JS host of the wasm build (sotto.wasm from wasm/build.sh): browser and Node, no
// dependencies. API:
//   const engine = await Sotto.create(wasmBytesOrModule, {threads});   // one instance = one wasm memory
//   await engine.load(ggufBytes, {name, nCtx});                // Uint8Array of a GGUF file
//   for await (const piece of engine.generate(prompt, {maxTokens, temperature, topK, topP, minP,
//                                                     repeatPenalty, seed, chat, onToken,
//                                                     schema | grammar, compact})) ...
//   engine.cancel();  engine.dispose();
//   engine.promptReuse(true): a prompt that starts with the last prompt and answer (a chat's next turn) prefills
//   only the rest (engine.reused() says how many tokens were kept; generate's cachePrompt: false
//   prefills all).
// prompt: text, or messages [{role: 'system' | 'user' | 'assistant', content}] through the model's chat template.
// Also the low-level calls the tests use: tokenize(text, chat) -> Int32Array, tokenizeChat(messages), start(ids, opts),
// step() -> id (-1: context full), isEog(id), piece(id) -> Uint8Array, detokenize(ids) -> string.
// Errors: the engine traps on an error (see wasm/sotto-abi.cpp); every call here turns a trap into a JS
// Error carrying the engine's one-line message (sotto_last_error, else the last line it wrote to stderr) and
// the trapped instance is dropped. The engine object stays usable: the async methods (load, loadStream,
// generate, gpuStart, gpuStartSampled, gpuNext, ready) reject only after a fresh instance of the compiled
// module is up with the last good model reloaded (the bytes given to load() are kept, not copied, for
// that; a loadStream source is read again) and the last good grammar set; the sync methods do the same
// first thing on the next call (CPU, single-threaded; elsewhere they ask for `await engine.ready()`).
// Other users of the instance (SottoAsr, the scribe) register what to rebuild with onRevive(fn).
// engine.generation counts instances (a handle of an older generation must not be passed in), engine.traps
// the traps. A failed WebGPU submit or read (settle) is not revived: the engine stays dead (the device may be
// lost). WASI: only the imports the module uses are provided (clock_time_get, fd_write to the console,
// fd_fdstat_get, fd_close, fd_seek; random_get, environ and proc_exit for safety); there is no file system.
// WebGPU: pass {gpu: await GpuHost.create(navigator.gpu)} (wasm/gpu-host.mjs) to create(); load() then
// puts the model on the GPU and generate() decodes with one submit and a 4-byte read-back per token:
// greedy by argmax, or (temperature > 0, a grammar, penalties) with the sampler chain on the GPU
// (top_k 1..256 there). Without a GpuHost the module's GPU imports throw.
// WebGPU engines load through loadStream(source): weights go from the source (bytes, Blob/OPFS file, URL with
// Range requests) straight into GPU buffers, never into wasm memory.
// Constrained output, both backends: generate(prompt, {schema}) (a JSON Schema, object or text; compact:
// true for no whitespace) or {grammar} (GBNF text): only valid documents, ending at the end of the document.
// Threads: wasm may also be {single, threaded}: the bytes or modules of sotto.wasm and sotto-mt.wasm (the
// threaded build, shared memory + wasi-threads). create() takes the threaded one when `threads` (default:
// defaultThreads(), the hardware's count capped at 8) is above 1 and threadsUsable() (SharedArrayBuffer,
// a cross-origin-isolated page, wasm threads, Workers; wasm/threads-host.mjs), else the single-threaded
// one; a threaded module passed alone is used as such. engine.threads is the count sessions ask for
// (1 on the single-threaded build); engine.threadsOf() the count the loaded session got. The threads run
// in Workers started by create(); a browser page runs the engine itself in a Worker (the engine waits for
// its threads with Atomics.wait after a short spin where the calling thread may block, and only spins on a
// browser's main thread: threadImports). Memory views of a threaded build are shared: text is
// copied out before decoding.

import { ThreadHost, defaultThreads, threadsUsable } from './threads-host.mjs';

export { defaultThreads, threadsUsable };
// Whether the relaxed-SIMD builds (sotto-relaxed.wasm, sotto-mt-relaxed.wasm) run here, exactly (relaxed-simd.mjs).
export { relaxedSimdUsable } from './relaxed-simd.mjs';

const WASI_EBADF = 8;
const MEMORY_PAGES = 512;      // the threaded build's memory: --initial-memory of wasm/build.sh (32 MiB)
const MEMORY_MAX_PAGES = 65536;  // and its --max-memory (4 GiB)
const WASI_ENOSYS = 52;

class Trap extends Error {}

const oneLine = (text) => String(text).split('\n').map((l) => l.trim()).find((l) => l) ?? '';

// The threaded build's `sotto_threads` imports (exported for wasm/thread-worker.mjs). may-wait: 1 when the
// calling thread may block in Atomics.wait (a Worker, Node's main thread), 0 on a browser's main thread,
// where the engine's thread pool spins instead (core/thread-pool-wasi.cpp).
let mayWait = null;
export function threadImports() {
  return {
    'may-wait': () => {
      if (mayWait === null) {
        try {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);  // 'not-equal' where allowed
          mayWait = 1;
        } catch {
          mayWait = 0;
        }
      }
      return mayWait;
    },
  };
}

// (Exported for wasm/thread-worker.mjs.)
export function wasiImports(getMemory, log) {
  const view = () => new DataView(getMemory().buffer);
  const lines = { 1: '', 2: '' };
  const decoder = new TextDecoder();
  return {
    clock_time_get(clockId, precision, outPtr) {
      // 0: realtime, 1: monotonic; nanoseconds as u64.
      const ms = clockId === 0 ? Date.now() : globalThis.performance.now();
      view().setBigUint64(outPtr, BigInt(Math.round(ms * 1e6)), true);
      return 0;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      const v = view();
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = v.getUint32(iovs + 8 * i, true), len = v.getUint32(iovs + 8 * i + 4, true);
        lines[fd] += decoder.decode(new Uint8Array(getMemory().buffer, ptr, len).slice());
        n += len;
      }
      let nl;
      while ((nl = lines[fd].indexOf('\n')) >= 0) {
        log(fd, lines[fd].slice(0, nl));
        lines[fd] = lines[fd].slice(nl + 1);
      }
      v.setUint32(nwrittenPtr, n, true);
      return 0;
    },
    fd_fdstat_get(fd, ptr) {  // stdout/stderr: a character device (printf asks before buffering)
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      new Uint8Array(getMemory().buffer, ptr, 24).fill(0);
      view().setUint8(ptr, 2);
      return 0;
    },
    fd_close() { return 0; },
    fd_seek() { return WASI_ENOSYS; },
    random_get(ptr, len) {
      const bytes = new Uint8Array(len);  // getRandomValues refuses a shared view
      for (let o = 0; o < len; o += 65536) globalThis.crypto.getRandomValues(bytes.subarray(o, o + 65536));
      new Uint8Array(getMemory().buffer, ptr, len).set(bytes);
      return 0;
    },
    environ_sizes_get(countPtr, sizePtr) {
      view().setUint32(countPtr, 0, true);
      view().setUint32(sizePtr, 0, true);
      return 0;
    },
    environ_get() { return 0; },
    proc_exit(code) { throw new Trap(`the engine exited with code ${code}`); },
  };
}

// The GPU imports of an engine created without a GpuHost: any use is an error.
export function noGpuImports() {
  const no = () => { throw new Trap('no WebGPU device: create the engine with {gpu: GpuHost}'); };
  const names = ['features', 'buffer_load', 'buffer_create', 'buffer_destroy', 'buffer_write', 'pipeline_create', 'dispatch', 'read', 'flush'];
  return Object.fromEntries(names.map((n) => [n, no]));
}

// The bytes of a GGUF file from its start through the tensor table (what the engine parses), read from
// `source` in growing prefixes. Walks the layout only (values are not decoded); sizes from the GGUF spec.
async function ggufHeader(source, name) {
  const scalar = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  for (let have = Math.min(source.size, 1 << 20); ; have = Math.min(source.size, have * 4)) {
    const u8 = await source.read(0, have);
    const dv = new DataView(u8.buffer, u8.byteOffset, u8.length);
    let p = 0;
    const need = (n) => { if (p + n > u8.length) throw RangeError('short'); };
    const u32 = () => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
    const u64 = () => { need(8); const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
    const skip = (n) => { need(n); p += n; };
    const str = () => skip(u64());
    const value = (t) => {
      if (t === 8) return str();
      if (scalar[t] === undefined) throw new Error(`${name}: unknown metadata type ${t}`);
      skip(scalar[t]);
    };
    try {
      if (u32() !== 0x46554747) throw new Error(`${name}: not a GGUF file`);
      u32();
      const nTensors = u64(), nKv = u64();
      for (let i = 0; i < nKv; i++) {
        str();
        const t = u32();
        if (t === 9) {
          const et = u32(), n = u64();
          if (et === 8) for (let j = 0; j < n; j++) str();
          else if (scalar[et] !== undefined) skip(n * scalar[et]);
          else throw new Error(`${name}: unknown array element type ${et}`);
        } else {
          value(t);
        }
      }
      for (let i = 0; i < nTensors; i++) {
        str();
        skip(8 * u32() + 4 + 8);
      }
      return u8.slice(0, p);
    } catch (e) {
      if (!(e instanceof RangeError) || have >= source.size) throw e instanceof RangeError ? new Error(`${name}: truncated GGUF header`) : e;
    }
  }
}

export class Sotto {
  // wasm: bytes (ArrayBuffer / Uint8Array) or a compiled WebAssembly.Module, of either build; or
  // {single, threaded} of both (see the top). threads: the CPU backend's thread count (WebGPU: always 1).
  static async create(wasm, { log, gpu, threads } = {}) {
    const logger = log ?? ((fd, line) => console.error(line));
    if (wasm && !(wasm instanceof WebAssembly.Module) && (wasm.single || wasm.threaded)) {
      const want = threads ?? await defaultThreads();
      if (want > 1 && wasm.threaded && threadsUsable()) {
        if (!wasm.single) return Sotto.create(wasm.threaded, { log, gpu, threads });
        try {
          return await Sotto.create(wasm.threaded, { log, gpu, threads });
        } catch (e) {  // e.g. a Worker that cannot start here: one thread it is
          logger(2, `sotto: the threaded build did not start (${e.message}); using the single-threaded one`);
        }
      }
      return Sotto.create(wasm.single ?? wasm.threaded, { log, gpu, threads: 1 });
    }
    const self = new Sotto();
    self.logger = logger;
    self.gpu = gpu ?? null;
    self.module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
    self.threaded = WebAssembly.Module.imports(self.module).some((i) => i.kind === 'memory');
    self.threads = 1;
    if (self.threaded) {
      if (!threadsUsable()) throw new Error('sotto: this is the threaded build (sotto-mt.wasm), and threads are not usable here (SharedArrayBuffer, cross-origin isolation)');
      self.threads = gpu ? 1 : Math.max(1, Math.min(64, threads ?? await defaultThreads()));
    }
    await self.instantiate();
    return self;
  }

  // The imports of a new instance; the last line the engine wrote to stderr is kept (an error message when
  // a trap did not come through sotto::fail, e.g. libc++'s abort message).
  importsFor() {
    const log = (fd, line) => {
      if (fd === 2) this.lastStderr = line;
      this.logger(fd, line);
    };
    this.gpuInstance = this.gpu ? this.gpu.attach(() => this.memory) : null;  // this instance's state on the shared host
    return { wasi_snapshot_preview1: wasiImports(() => this.memory, log),
             sotto_gpu: this.gpu ? this.gpuInstance.imports() : noGpuImports() };
  }

  adopt(instance) {
    this.exports = instance.exports;
    if (!this.threaded) this.memory = instance.exports.memory;
    this.exports._initialize();
    this.generation++;
    this.dead = null;
    this.lastStderr = '';
  }

  // A new instance of the module: fresh memory (and thread Workers, GPU state).
  async instantiate() {
    const imports = this.importsFor();
    if (this.threaded) {
      const memory = new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_MAX_PAGES, shared: true });
      this.memory = memory;
      this.threadHost = await ThreadHost.create(this.module, memory, this.threads - 1, this.logger);
      imports.env = { memory };
      imports.wasi = { 'thread-spawn': (startArg) => this.threadHost.spawn(startArg) };
      imports.sotto_threads = threadImports();
    }
    this.adopt(await WebAssembly.instantiate(this.module, imports));
  }

  // What a trapped instance held outside its memory: its thread Workers, its GPU buffers.
  dropInstance() {
    if (this.threadHost) this.threadHost.terminate();
    this.threadHost = null;
    if (this.gpuInstance) for (const b of this.gpuInstance.buffers.values()) b.destroy?.();
  }

  // fn() rebuilds what its owner had in the instance (a session from its last good model) after a revive.
  // On the CPU of the single-threaded build it must finish its engine calls synchronously (it may return a
  // promise for what follows them). Returns a function that removes it.
  onRevive(fn) {
    this.restorers.push(fn);
    return () => { this.restorers = this.restorers.filter((f) => f !== fn); };
  }

  restore() {
    const pending = [];
    for (const fn of this.restorers) {
      try {
        const r = fn();
        if (r && typeof r.then === 'function') pending.push(r.catch((e) => this.logger(2, `sotto: not restored after the error: ${e.message}`)));
      } catch (e) {
        this.logger(2, `sotto: not restored after the error: ${e.message}`);
      }
    }
    return Promise.all(pending);
  }

  // After a trap: a fresh instance, then what onRevive registered (this engine's last good model, grammar).
  // Resolves once the engine is usable again; a second call while one runs joins it.
  revive() {
    if (!this.reviving) {
      this.reviving = (async () => {
        this.dropInstance();
        await this.instantiate();
        await this.restore();
        if (this.dead) {  // a restore trapped: a clean instance without it
          this.dropInstance();
          await this.instantiate();
        }
      })().finally(() => { this.reviving = null; });
    }
    return this.reviving;
  }

  // The same without awaiting, where that is possible (no threads, no GPU); false otherwise.
  reviveSync() {
    if (this.threaded || this.gpu || this.reviving) return false;
    this.dropInstance();
    this.adopt(new WebAssembly.Instance(this.module, this.importsFor()));
    this.restore();
    if (this.dead) {
      this.adopt(new WebAssembly.Instance(this.module, this.importsFor()));
      this.session = 0;
    }
    return true;
  }

  // Resolves once the engine can take calls: a trapped instance is revived first. Rejects when it cannot be
  // (a failed GPU submit or read, or a disposed engine).
  async ready() {
    if (this.reviving) await this.reviving;
    if (!this.dead) return;
    if (this.gpuFailed || this.disposed) throw new Error(`sotto: engine unusable: ${this.dead}`);
    await this.revive();
  }

  // Sync methods: a trapped instance is revived first where it can be without awaiting.
  live() {
    if (this.dead && !this.gpuFailed && !this.disposed && this.reviveSync()) return;
    if (this.reviving) throw new Error('sotto: the engine is restarting after an error (await engine.ready())');
    if (this.dead) throw new Error(`sotto: instance unusable after an earlier error (await engine.ready()): ${this.dead}`);
  }

  // Runs an async method: the engine is made ready first, and after a trap it is revived before the
  // promise rejects with the engine's message.
  async guarded(fn) {
    await this.ready();
    try {
      return await fn();
    } catch (e) {
      if (this.dead && !this.gpuFailed && !this.disposed) {
        try { await this.revive(); } catch (e2) { this.logger(2, `sotto: the engine could not be restarted: ${e2.message}`); }
      }
      throw e;
    }
  }

  constructor() {
    this.session = 0;
    this.dead = null;
    this.generation = 0;
    this.traps = 0;             // traps so far (each revived)
    this.restorers = [];
    this.reviving = null;
    this.gpuFailed = false;
    this.disposed = false;
    this.lastStderr = '';
    this.lastGood = null;       // {bytes | source, name, nCtx} of the last model that loaded
    this.lastGrammar = null;    // the arguments of the last setGrammar that compiled
    this.onRevive(() => this.restoreModel());
    this.cancelled = false;
    this.encoder = new TextEncoder();
  }

  // Calls an export; a trap becomes an Error with the engine's message and poisons the instance.
  call(name, ...args) {
    if (this.dead) throw new Error(`sotto: instance unusable after an earlier error: ${this.dead}`);
    try {
      return this.exports[name](...args);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError) && !(e instanceof Trap)) throw e;
      let msg = '';
      try { msg = this.cString(this.exports.sotto_last_error()); } catch { /* memory unreadable */ }
      msg = oneLine(msg || this.lastStderr || `${name}: ${e.message}`);
      this.traps++;
      this.dead = msg;
      this.session = 0;
      throw new Error(msg);
    }
  }

  cString(ptr) {
    const mem = new Uint8Array(this.memory.buffer);
    let end = ptr;
    while (mem[end] !== 0) end++;
    return new TextDecoder().decode(mem.slice(ptr, end));
  }

  // Copies bytes into a new engine buffer; returns its handle (freed by the caller or taken by create).
  buffer(bytes) {
    const handle = this.call('sotto_buffer_new', bytes.length);
    const ptr = this.call('sotto_buffer_data', handle);
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    return handle;
  }

  withBuffer(bytes, fn) {
    const handle = this.buffer(bytes);
    const gen = this.generation;
    try {
      return fn(this.call('sotto_buffer_data', handle));
    } finally {
      this.freeBuffer(handle, gen);
    }
  }

  // Frees a buffer of instance generation `gen` (one that trapped since is gone with its memory).
  freeBuffer(handle, gen) {
    if (!this.dead && gen === this.generation) this.call('sotto_buffer_free', handle);
  }

  // Model file sources for loadStream(): {size, read(offset, n) -> Promise<Uint8Array>}.
  static bytesSource(bytes) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return { size: u8.length, read: async (o, n) => u8.subarray(o, o + n) };
  }
  static blobSource(blob) {  // a File, a Blob, an OPFS file (getFile())
    return { size: blob.size, read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()) };
  }
  static async urlSource(url) {  // HTTP Range requests to the page's own server
    const head = await fetch(url, { method: 'HEAD' });
    const size = Number(head.headers.get('content-length'));
    if (!head.ok || !(size > 0)) throw new Error(`${url}: no size (HTTP ${head.status})`);
    return {
      size,
      read: async (o, n) => {
        const r = await fetch(url, { headers: { Range: `bytes=${o}-${o + n - 1}` } });
        if (r.status !== 206) throw new Error(`${url}: range request answered HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      },
    };
  }

  // WebGPU sessions: loads a model without holding it in wasm memory. The header (through the tensor table)
  // and the tensors of up to 64 KiB go to the engine; every other tensor is streamed from `source` straight
  // into its GPU buffer(s). Peak wasm memory is about the header's size.
  loadStream(source, { name = 'model.gguf', nCtx = 0 } = {}) {
    if (!this.gpu) return Promise.reject(new Error('sotto: loadStream needs a WebGPU engine (create it with {gpu})'));
    return this.guarded(async () => {
      await this.loadStreamNow(source, name, nCtx);
      this.lastGood = { source, name, nCtx };
    });
  }

  async loadStreamNow(source, name, nCtx) {
    await this.drain();  // a pipelined read must not land in the destroyed session
    if (this.session) this.call('sotto_destroy', this.session);
    this.session = 0;
    const header = await ggufHeader(source, name);
    const f = this.withBuffer(this.encoder.encode(name + '\0'), (namePtr) =>
      this.call('sotto_gguf_open', this.buffer(header), source.size % 2 ** 32, Math.floor(source.size / 2 ** 32), namePtr));
    const nSmall = this.call('sotto_gguf_small_count', f, 65536);
    for (let i = 0; i < nSmall; i++) {
      const off = this.call('sotto_gguf_small_offset', f, i), n = this.call('sotto_gguf_small_size', f, i);
      const bytes = await source.read(off, n);
      if (bytes.length !== n) throw new Error(`${name}: ${bytes.length} bytes at ${off}, expected ${n}`);
      new Uint8Array(this.memory.buffer, this.call('sotto_gguf_small_provide', f, i), n).set(bytes);
    }
    this.session = this.call('sotto_create_gpu_stream', f, nCtx, this.gpu.bindingLimit());
    if (this.promptReuseOn && this.exports.sotto_prompt_reuse) this.call('sotto_prompt_reuse', this.session, 1);
    await this.gpuInstance.streamLoads(source);
    await this.settle();
  }

  load(bytes, { name = 'model.gguf', nCtx = 0 } = {}) {
    if (this.gpu) return this.loadStream(Sotto.bytesSource(bytes), { name, nCtx });
    return this.guarded(async () => {
      const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
      this.loadNow(u8, name, nCtx);
      this.lastGood = { bytes: u8, name, nCtx };
      this.lastGrammar = null;
    });
  }

  loadNow(u8, name, nCtx) {  // CPU: synchronous
    if (this.session) this.call('sotto_destroy', this.session);
    this.session = 0;
    const handle = this.buffer(u8);
    const nameBytes = this.encoder.encode(name + '\0');
    this.session = this.withBuffer(nameBytes, (namePtr) => this.call('sotto_create', handle, namePtr, nCtx, this.threads));
    if (this.promptReuseOn && this.exports.sotto_prompt_reuse) this.call('sotto_prompt_reuse', this.session, 1);
  }

  // Prompt reuse (sotto_prompt_reuse; off unless asked), on the wasm CPU and on WebGPU: a start keeps the longest
  // prefix of its prompt whose K/V the cache holds (the last prompt and the answer tokens run: a chat's next turn)
  // and prefills only the rest; the answer is a cold run's. Kept for later loads and revives. Returns whether this
  // build has it. reused(): prompt tokens the last start kept; promptTokens: the last prompt's length.
  promptReuse(on) {
    this.promptReuseOn = !!on;
    if (!this.exports.sotto_prompt_reuse) return false;
    if (this.session && !this.dead) this.call('sotto_prompt_reuse', this.session, on ? 1 : 0);
    return true;
  }
  reused() { return this.exports.sotto_n_reused && this.session ? this.call('sotto_n_reused', this.session) : 0; }

  // The restorer of this engine's own session (onRevive): the last good model, then its grammar.
  restoreModel() {
    const g = this.lastGood, grammar = this.lastGrammar;
    this.session = 0;
    if (!g) return undefined;
    const regrammar = () => { if (grammar && this.session) this.setGrammarNow(grammar); };
    if (g.bytes) {
      this.loadNow(g.bytes, g.name, g.nCtx);
      regrammar();
      return undefined;
    }
    return this.loadStreamNow(g.source, g.name, g.nCtx).then(regrammar);
  }

  // Waits for the GPU work an engine call submitted (deferred reads land in wasm memory). oldest: only up to
  // the oldest pending read (the pipelined greedy steps: the one after it stays in flight).
  async settle(opts) {
    if (!this.gpu) return;
    try {
      await this.gpuInstance.settle(opts);
    } catch (e) {
      this.dead = oneLine(e.message);
      this.gpuFailed = true;
      this.session = 0;
      throw e;
    }
  }

  // Every pending GPU step done and its reads landed (a pipelined generation left a step in flight).
  async drain() {
    if (this.gpu && this.gpuInstance && !this.dead) await this.settle();
  }

  // WebGPU sessions: prefill ids and compute the first token on the GPU (greedy). Pipelined by default
  // (sotto_gpu_pipeline): the first token's step is already recorded, and each gpuNext records one more, so
  // the GPU runs a step while the next is recorded; the promises return once the oldest token has landed.
  gpuStart(ids) {
    return this.guarded(async () => {
      await this.drain();
      const s = this.requireSession();
      const bytes = new Uint8Array(Int32Array.from(ids).buffer);
      this.withBuffer(bytes, (ptr) => this.call('sotto_gpu_start', s, ptr, ids.length));
      await this.settle({ oldest: true });
    });
  }

  // Greedy pipelining of the next gpuStart on (the default) or off; returns the previous setting.
  gpuPipeline(on) { return this.call('sotto_gpu_pipeline', this.requireSession(), on === undefined ? -1 : on ? 1 : 0) === 1; }

  // WebGPU sessions: prefill ids and sample the first token on the GPU with the sampler chain (and the
  // grammar of setGrammar). Options as start().
  gpuStartSampled(ids, { temperature = 0.8, topK = 40, topP = 0.95, minP = 0.05, repeatPenalty = 1.0, seed } = {}) {
    return this.guarded(async () => {
      await this.drain();
      const s = this.requireSession();
      const seed64 = BigInt.asUintN(64, BigInt(seed ?? Math.floor(Math.random() * 2 ** 53)));
      const bytes = new Uint8Array(Int32Array.from(ids).buffer);
      this.withBuffer(bytes, (ptr) =>
        this.call('sotto_gpu_start_sampled', s, ptr, ids.length, temperature, topK, topP, minP, repeatPenalty,
                  Number(seed64 & 0xffffffffn), Number(seed64 >> 32n)));
      await this.settle();
    });
  }

  // The grammar of the next start / gpuStartSampled / generate: {schema} (JSON Schema: object or text),
  // {grammar} (GBNF text), or {} for none; compact: no whitespace between JSON tokens. Errors (an
  // unsupported keyword...) are thrown with the engine's one-line message.
  setGrammar({ schema, grammar, compact = false } = {}) {
    this.live();
    if (schema !== undefined && grammar !== undefined) throw new Error('sotto: give a schema or a grammar, not both');
    const text = schema !== undefined ? (typeof schema === 'string' ? schema : JSON.stringify(schema)) : grammar;
    const g = text === undefined ? null : { text, kind: schema !== undefined ? (compact ? 3 : 1) : 2 };
    this.setGrammarNow(g);
    this.lastGrammar = g;
  }

  setGrammarNow(g) {
    const s = this.requireSession();
    if (!g) {
      this.call('sotto_set_grammar', s, 0, 0, 0);
      return;
    }
    const bytes = this.encoder.encode(g.text);
    this.withBuffer(bytes, (ptr) => this.call('sotto_set_grammar', s, ptr, bytes.length, g.kind));
  }

  // The next token (-1: context full); unless it ends generation, the one after it is computed.
  gpuNext() {
    return this.guarded(async () => {
      const id = this.call('sotto_gpu_next', this.requireSession());
      await this.settle({ oldest: true });
      return id;
    });
  }

  // Dispatches recorded by the last gpuStart / gpuNext.
  gpuDispatches() { return this.call('sotto_gpu_dispatches', this.requireSession()); }

  // The threads the loaded (CPU) session runs on: engine.threads, or fewer if the host gave fewer.
  threadsOf() { return this.exports.sotto_n_threads ? this.call('sotto_n_threads', this.requireSession()) : 1; }

  requireSession() {
    if (!this.session) throw new Error('sotto: no model loaded (call load first)');
    return this.session;
  }

  tokenize(text, chat = false) {
    this.live();
    const s = this.requireSession();
    const bytes = this.encoder.encode(text);
    const n = this.withBuffer(bytes, (ptr) => this.call('sotto_tokenize', s, ptr, bytes.length, chat ? 1 : 0));
    const ptr = this.call('sotto_ids', s);
    return new Int32Array(this.memory.buffer, ptr, n).slice();
  }

  // A conversation [{role: 'system' | 'user' | 'assistant', content}] in the model's chat template, the assistant's
  // turn opened (as `sotto serve --api` encodes messages).
  tokenizeChat(messages) {
    this.live();
    const s = this.requireSession();
    const bytes = this.encoder.encode(JSON.stringify(messages.map(({ role, content }) => ({ role, content }))));
    const n = this.withBuffer(bytes, (ptr) => this.call('sotto_tokenize_chat', s, ptr, bytes.length));
    const ptr = this.call('sotto_ids', s);
    return new Int32Array(this.memory.buffer, ptr, n).slice();
  }

  start(ids, { temperature = 0.8, topK = 40, topP = 0.95, minP = 0.05, repeatPenalty = 1.0, seed } = {}) {
    this.live();
    const s = this.requireSession();
    const seed64 = BigInt.asUintN(64, BigInt(seed ?? Math.floor(Math.random() * 2 ** 53)));
    const bytes = new Uint8Array(Int32Array.from(ids).buffer);
    this.withBuffer(bytes, (ptr) =>
      this.call('sotto_start', s, ptr, ids.length, temperature, topK, topP, minP, repeatPenalty,
                Number(seed64 & 0xffffffffn), Number(seed64 >> 32n)));
  }

  step() { this.live(); return this.call('sotto_step', this.requireSession()); }
  isEog(id) { return this.call('sotto_is_eog', this.requireSession(), id) !== 0; }
  isSpecial(id) { return this.call('sotto_is_special', this.requireSession(), id) !== 0; }

  piece(id) {
    this.live();
    const s = this.requireSession();
    const ptr = this.call('sotto_piece', s, id);
    return new Uint8Array(this.memory.buffer, ptr, this.call('sotto_out_len', s)).slice();
  }

  detokenize(ids) {
    this.live();
    const s = this.requireSession();
    const bytes = new Uint8Array(Int32Array.from(ids).buffer);
    const ptr = this.withBuffer(bytes, (p) => this.call('sotto_detokenize', s, p, ids.length));
    return new TextDecoder().decode(new Uint8Array(this.memory.buffer, ptr, this.call('sotto_out_len', s)).slice());
  }

  // Async iterator of text pieces (whole UTF-8 characters). Yields to the event loop after every token,
  // so cancel() (or breaking out of the loop) stops it between tokens. Special tokens are not emitted;
  // an end-of-generation token ends it. opts.onToken(id) sees every sampled id (eog included).
  async *generate(prompt, opts = {}) {
    await this.ready();
    try {
      yield* this.generateNow(prompt, opts);
    } catch (e) {
      if (this.dead && !this.gpuFailed && !this.disposed) {
        try { await this.revive(); } catch (e2) { this.logger(2, `sotto: the engine could not be restarted: ${e2.message}`); }
      }
      throw e;
    }
  }

  async *generateNow(prompt, opts) {
    const { maxTokens = 128, chat = false, onToken } = opts;
    this.cancelled = false;
    this.setGrammar({ schema: opts.schema, grammar: opts.grammar, compact: opts.compact });
    const ids = typeof prompt === 'string' ? this.tokenize(prompt, chat) : this.tokenizeChat(prompt);
    this.promptTokens = ids.length;
    // cachePrompt: false prefills the whole prompt (a cold run); the cache then holds it for the next turn.
    const cold = opts.cachePrompt === false && this.promptReuseOn && this.exports.sotto_prompt_reuse;
    if (cold) this.call('sotto_prompt_reuse', this.requireSession(), 0);
    try {
      if (this.gpu) {
        // temperature defaults to 0 (greedy) on WebGPU, as before sampling moved to the GPU.
        const o = { ...opts, temperature: opts.temperature ?? 0 };
        const plain = !(o.temperature > 0) && o.schema === undefined && o.grammar === undefined &&
                      (o.repeatPenalty ?? 1) === 1;
        if (plain) await this.gpuStart(ids);
        else await this.gpuStartSampled(ids, o);
      } else {
        this.start(ids, opts);
      }
    } finally {
      if (cold && !this.dead) this.call('sotto_prompt_reuse', this.requireSession(), 1);
    }
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < maxTokens && !this.cancelled; i++) {
      const id = this.gpu ? await this.gpuNext() : this.step();
      if (id < 0) break;  // context full
      if (onToken) onToken(id);
      if (this.isEog(id)) break;
      if (!this.isSpecial(id)) {
        const text = decoder.decode(this.piece(id), { stream: true });
        if (text) yield text;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  }

  cancel() { this.cancelled = true; }

  dispose() {
    if (this.session && !this.dead) this.call('sotto_destroy', this.session);
    this.session = 0;
    this.disposed = true;
    this.dead = this.dead ?? 'disposed';
    if (this.threadHost) this.threadHost.terminate();  // the pools are gone with the sessions
  }
}
