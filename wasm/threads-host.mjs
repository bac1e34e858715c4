// threads-host.mjs — the host side of wasi-threads for the threaded build (sotto-mt.wasm, wasm/build.sh): a
// set of Workers (browser and Deno: Worker; Node: worker_threads) that each instantiate the same module on the
// same shared WebAssembly.Memory (wasm/thread-worker.mjs) and run one engine thread at a time.
//   threadsUsable()         SharedArrayBuffer, cross-origin isolation (browsers), a shared-memory module that
//                           validates, and a Worker constructor: whether sotto-mt.wasm can run here
//   defaultThreads()        navigator.hardwareConcurrency (Node: os.availableParallelism()) capped at 8
//   ThreadHost.create(module, memory, n, log, {timeoutMs, workerUrl})   starts n Workers and waits until each
//                           has its instance, or timeoutMs (START_TIMEOUT_MS; workerUrl: thread-worker.mjs,
//                           tests replace both): a Worker not ready by then is left out (logged; the engine's
//                           pools run with the threads that started), so a browser that never starts a
//                           Worker (seen in Firefox ESR, rarely: a nested Worker that never answered) costs
//                           speed, not a hang
//   host.spawn(startArg)    the module's `wasi` `thread-spawn` import: called synchronously from inside the
//                           engine, hands the thread to an idle Worker by a message (which the Worker gets
//                           without help from this thread's event loop) and returns its id; -1 when none is
//                           idle (the engine's pool then runs with fewer threads) and one more Worker is
//                           started for next time
//   host.terminate()        gives the idle Workers back (after the engine's pools are gone) for the next host
//                           to take (their instance dropped), up to MAX_IDLE; ends the others
//   lendThreadWorkers(engineWorker)   called by a page on the Worker its engine runs in: the page makes the
//                           engine's thread Workers (on its request, each talking to it over a MessagePort)
//                           instead of the engine Worker making nested ones. Firefox ESR was seen to block for
//                           good in `new Worker` inside a Worker (tests/browsers: the engine Worker stopped in
//                           the constructor, about one nested Worker in 20-40), so pages that can, lend.
// Workers are reused across hosts (engine instances, revivals): a Worker is kept rather than ended and made
// again, which also makes a new instance start faster.
// Workers are started ahead because a Worker created while the engine runs might not start before the
// caller returns to its event loop, and the engine's pool would wait for it.
// Does not: block (the engine waits for its threads in wasm, core/thread-pool-wasi.cpp: Atomics.wait where the
// calling thread may, a spin on a browser's main thread); restart a Worker whose thread trapped (it marks the thread done; the engine reports it).

// (module (import "m" "m" (memory 1 1 shared))): browsers without wasm threads refuse it.
const SHARED_MEMORY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 9, 1, 1, 109, 1, 109, 2, 3, 1, 1]);
const MAX_WORKERS = 64;
const START_TIMEOUT_MS = 10000;
const MAX_IDLE = 16;
const idle = [];  // {w, busy, slot, url}: Workers of ended hosts, their instance dropped
let lender = null;  // in an engine Worker whose page lends thread Workers: the port to ask on
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

// The page side: each request on the port (a MessagePort for the new Worker to talk on, and the Worker's URL)
// becomes a thread Worker of this page.
export function lendThreadWorkers(engineWorker) {
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => {
    const w = new Worker(e.data.url, { type: 'module' });
    w.postMessage({ port: e.data.port }, [e.data.port]);
  };
  engineWorker.postMessage({ sottoThreadLender: ch.port2 }, [ch.port2]);
}
// The engine Worker side: the lender's port arrives as the page's first message, before the engine's own
// handler sees anything (this module is evaluated before the scripts that import it set theirs).
if (typeof globalThis.WorkerGlobalScope === 'function' && typeof globalThis.addEventListener === 'function' && !isNode) {
  globalThis.addEventListener('message', (e) => {
    if (e.data?.sottoThreadLender) {
      lender = e.data.sottoThreadLender;
      e.stopImmediatePropagation();
    }
  });
}

async function startWorker(url) {
  if (lender && String(url).startsWith(globalThis.location?.origin ?? '\0')) {  // a Worker of the page, over a port
    const ch = new MessageChannel();
    lender.postMessage({ port: ch.port2, url: String(url) }, [ch.port2]);
    const port = ch.port1;
    return { post: (m) => port.postMessage(m), onMessage: (f) => { port.onmessage = (e) => f(e.data); },
             onError: () => {},  // a Worker of the page that fails to load is seen as one that is never ready
             terminate: () => { port.postMessage({ close: true }); port.close(); } };
  }
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    let onMessage = null, onError = null;  // one handler each, replaced when a host takes the Worker again
    w.on('message', (m) => onMessage?.(m));
    w.on('error', (e) => onError?.(e));
    // The engine's threads never keep a Node process alive. After the listeners: a 'message' listener added
    // to an unref'd Worker refs its port again, and the process did not exit when the bench ended (seen
    // under CPU contention).
    w.unref();
    return { post: (m) => w.postMessage(m), onMessage: (f) => { onMessage = f; }, onError: (f) => { onError = f; },
             terminate: () => w.terminate() };
  }
  const w = new Worker(url, { type: 'module' });
  return { post: (m) => w.postMessage(m), onMessage: (f) => { w.onmessage = (e) => f(e.data); },
           onError: (f) => { w.onerror = (e) => { e.preventDefault?.(); f(new Error(e.message || 'the script did not load')); }; },
           terminate: () => w.terminate() };
}

export class ThreadHost {
  static async create(module, memory, n, log, { timeoutMs = START_TIMEOUT_MS, workerUrl = new URL('./thread-worker.mjs', import.meta.url) } = {}) {
    const h = new ThreadHost(module, memory, log, workerUrl);
    let timer = 0;
    const late = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    try {
      const started = Promise.all(Array.from({ length: Math.min(n, MAX_WORKERS) }, () => h.addWorker()));
      await Promise.race([started, late]);
    } catch (e) {
      h.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const missing = h.workers.filter((w) => !w).length;
    if (missing) log(2, `sotto: ${missing} of ${n} thread Workers did not start in ${timeoutMs / 1000} s (${h.stages()}); running with fewer threads`);
    return h;
  }

  constructor(module, memory, log, workerUrl) {
    this.module = module;
    this.workerUrl = workerUrl;
    this.memory = memory;
    this.log = log;
    this.busy = new Int32Array(new SharedArrayBuffer(4 * MAX_WORKERS));  // per Worker: 1 while it runs a thread
    this.workers = [];   // by slot, once ready (null while starting)
    this.started = [];   // every Worker started, ready or not (terminate() ends them all)
    this.nextTid = 1;
    this.adding = null;
    this.stage = [];     // by slot, while starting: 'created', 'script loaded' (the Worker's module ran)
  }

  stages() { return this.workers.map((w, i) => (w ? null : `Worker ${i}: ${this.stage[i] ?? 'not created'}`)).filter((x) => x).join(', '); }

  async addWorker() {
    const slot = this.workers.length;
    if (slot >= MAX_WORKERS) return;
    this.workers.push(null);
    let w = null;
    while (!w && idle.length) {  // an idle Worker of an ended host whose last thread has returned
      const c = idle.pop();
      if (c.url === String(this.workerUrl) && Atomics.load(c.busy, c.slot) === 0) w = c.w;
      else c.w.terminate();
    }
    this.stage[slot] = w ? 'reused' : 'created';
    w ??= await startWorker(this.workerUrl);
    this.started.push(w);
    await new Promise((resolve, reject) => {
      w.onError((e) => {
        if (this.workers[slot] === w) this.log(2, `sotto thread worker: ${e.message}`);
        else reject(new Error(`sotto thread worker ${slot}: ${e.message}`));
      });
      w.onMessage((m) => {
        if (m.alive) this.stage[slot] = 'script loaded';
        else if (m.ready) resolve();
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
    for (const w of this.started) {
      const slot = this.workers.indexOf(w);
      if (slot >= 0 && idle.length < MAX_IDLE) {
        w.post({ reset: true });
        idle.push({ w, busy: this.busy, slot, url: String(this.workerUrl) });
      } else {
        w.terminate();
      }
    }
    this.started = [];
    this.workers = [];
  }
}
