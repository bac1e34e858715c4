// threads-host.mjs — the host side of wasi-threads for the threaded build (sotto-mt.wasm, wasm/build.sh): a
// set of Workers (browser and Deno: Worker; Node: worker_threads) that each instantiate the same module on the
// same shared WebAssembly.Memory (wasm/thread-worker.mjs) and run one engine thread at a time.
//   threadsUsable()         SharedArrayBuffer, cross-origin isolation (browsers), a shared-memory module that
//                           validates, and a Worker constructor: whether sotto-mt.wasm can run here
//   defaultThreads()        navigator.hardwareConcurrency (Node: os.availableParallelism()) capped at 8
//   ThreadHost.create(module, memory, n, log)   starts n Workers and waits until each has its instance
//   host.spawn(startArg)    the module's `wasi` `thread-spawn` import: called synchronously from inside the
//                           engine, hands the thread to an idle Worker by a message (which the Worker gets
//                           without help from this thread's event loop) and returns its id; -1 when none is
//                           idle (the engine's pool then runs with fewer threads) and one more Worker is
//                           started for next time
//   host.terminate()        ends the Workers (after the engine's pools are gone)
// Workers are started ahead because a Worker created while the engine runs might not start before the
// caller returns to its event loop, and the engine's pool would wait for it.
// Does not: block (the engine spins where it waits for workers; Atomics.wait is not allowed on a browser's
// main thread); restart a Worker whose thread trapped (it marks the thread done; the engine reports it).

// (module (import "m" "m" (memory 1 1 shared))): browsers without wasm threads refuse it.
const SHARED_MEMORY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 9, 1, 1, 109, 1, 109, 2, 3, 1, 1]);
const MAX_WORKERS = 64;
const isNode = typeof globalThis.process?.versions?.node === 'string' && typeof globalThis.Worker !== 'function';

export function threadsUsable() {
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated === false) return false;
  if (typeof globalThis.Worker !== 'function' && !isNode) return false;
  try {
    return WebAssembly.validate(SHARED_MEMORY_MODULE);
  } catch {
    return false;
  }
}

export async function defaultThreads() {
  let n = globalThis.navigator?.hardwareConcurrency;
  if (!n && isNode) n = (await import('node:os')).availableParallelism();
  return Math.max(1, Math.min(8, n || 1));
}

async function startWorker() {
  const url = new URL('./thread-worker.mjs', import.meta.url);
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    w.unref();  // the engine's threads never keep a Node process alive
    return { post: (m) => w.postMessage(m), onMessage: (f) => w.on('message', f), onError: (f) => w.on('error', f),
             terminate: () => w.terminate() };
  }
  const w = new Worker(url, { type: 'module' });
  return { post: (m) => w.postMessage(m), onMessage: (f) => { w.onmessage = (e) => f(e.data); },
           onError: (f) => { w.onerror = (e) => { e.preventDefault?.(); f(new Error(e.message || 'the script did not load')); }; },
           terminate: () => w.terminate() };
}

export class ThreadHost {
  static async create(module, memory, n, log) {
    const h = new ThreadHost(module, memory, log);
    try {
      await Promise.all(Array.from({ length: Math.min(n, MAX_WORKERS) }, () => h.addWorker()));
    } catch (e) {
      h.terminate();
      throw e;
    }
    return h;
  }

  constructor(module, memory, log) {
    this.module = module;
    this.memory = memory;
    this.log = log;
    this.busy = new Int32Array(new SharedArrayBuffer(4 * MAX_WORKERS));  // per Worker: 1 while it runs a thread
    this.workers = [];   // by slot, once ready (null while starting)
    this.started = [];   // every Worker started, ready or not (terminate() ends them all)
    this.nextTid = 1;
    this.adding = null;
  }

  async addWorker() {
    const slot = this.workers.length;
    if (slot >= MAX_WORKERS) return;
    this.workers.push(null);
    const w = await startWorker();
    this.started.push(w);
    await new Promise((resolve, reject) => {
      w.onError((e) => {
        if (this.workers[slot] === w) this.log(2, `sotto thread worker: ${e.message}`);
        else reject(new Error(`sotto thread worker ${slot}: ${e.message}`));
      });
      w.onMessage((m) => {
        if (m.ready) resolve();
        else if (m.error) reject(new Error(`sotto thread worker: ${m.error}`));
        else if (m.log) this.log(m.fd, m.log);
      });
      w.post({ init: true, module: this.module, memory: this.memory, busy: this.busy, slot });
    });
    this.workers[slot] = w;
  }

  spawn(startArg) {
    // A thread of a pool just destroyed has returned from the engine a moment before its Worker clears its
    // busy flag: look again for up to 20 ms before giving up.
    const t0 = performance.now();
    do {
      for (let i = 0; i < this.workers.length; i++) {
        if (this.workers[i] && Atomics.compareExchange(this.busy, i, 0, 1) === 0) {
          const tid = this.nextTid;
          this.nextTid = this.nextTid >= 0x1fffffff ? 1 : this.nextTid + 1;
          this.workers[i].post({ tid, startArg });
          return tid;
        }
      }
    } while (performance.now() - t0 < 20);
    if (!this.adding) this.adding = this.addWorker().catch((e) => this.log(2, e.message)).finally(() => { this.adding = null; });
    return -1;
  }

  terminate() {
    for (const w of this.started) w.terminate();
    this.started = [];
    this.workers = [];
  }
}
