// index.js — the npm package's API (ESM, browsers and Node): a model in a worker of its own, driven by messages
// (engine.js). Types and documentation of every option: index.d.ts; guide: docs/npm.md.
//   const m = await Sotto.load(urlOrPathOrBytes, { device: 'auto' | 'webgpu' | 'wasm', onProgress, cache, signal })
//   for await (const text of m.generate(promptOrMessages, { maxTokens, temperature, schema, signal })) ...
//   await m.transcribe(float32Pcm16k)        (a speech model: Moonshine, Whisper)
//   await m.note(transcript, templateSchema) (a text model: a note under a JSON Schema template, as `sotto note`)
//   m.dispose();  await Sotto.clearCache(cache)
// The worker: a module Web Worker in browsers, a worker_threads Worker in Node (unref'd while idle, so an idle model
// does not keep the process alive); {worker: false} or a `gpu` object runs the engine in this thread instead.
// Cancellation: an AbortSignal (generate, transcribe, note, load) rejects with the signal's reason; breaking out of the
// generate loop stops the worker too. Errors: Error with the engine's one-line message.
// Does not: hold more than one model per instance (load another with Sotto.load), run requests of one model in
// parallel (they queue).
import { clearCache as clearModelCache } from './model-source.js';

const isNode = typeof globalThis.process?.versions?.node === 'string';

const abortError = (signal) => signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');

// The transport to the engine: {post(m), onMessage(fn), onError(fn), busy(on), terminate()}.
async function startWorker(inline) {
  if (inline) {
    const { serve } = await import('./engine.js');
    let deliver = () => {};
    const handle = serve((m) => setTimeout(() => deliver(m), 0));
    return { post: (m) => setTimeout(() => handle(m), 0), onMessage: (f) => { deliver = f; }, onError: () => {},
             busy: () => {}, terminate: () => {} };
  }
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    // Node flags that only apply to the main script (node --input-type=module -e ...) would stop the Worker.
    const execArgv = globalThis.process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const w = new Worker(new URL('./worker.js', import.meta.url), { execArgv });
    w.unref();
    return { post: (m) => w.postMessage(m), onMessage: (f) => w.on('message', f), onError: (f) => w.on('error', f),
             busy: (on) => (on ? w.ref() : w.unref()), terminate: () => w.terminate() };
  }
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  // The threaded engine's Workers are made by this page on the worker's request, not nested in it (Firefox ESR was
  // seen to hang in a nested `new Worker`: wasm/threads-host.mjs). Its first message, before any request.
  const { lendThreadWorkers } = await import('./engine/wasm/threads-host.mjs');
  lendThreadWorkers(w);
  return { post: (m) => w.postMessage(m), onMessage: (f) => { w.onmessage = (e) => f(e.data); },
           onError: (f) => { w.onerror = (e) => { e.preventDefault?.(); f(new Error(e.message || 'the worker script did not load')); }; },
           busy: () => {}, terminate: () => w.terminate() };
}

// Options that cross to the worker (functions and signals stay here).
function plain(opts) {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => typeof v !== 'function' && !(v instanceof EventTarget)));
}

export class Sotto {
  #worker;
  #pending = new Map();  // id -> fn(message)
  #nextId = 1;
  #dead = null;

  // The model's description: {name, arch, kind: 'text' | 'speech', device: 'webgpu' | 'wasm', adapter, why, bytes,
  // cached, threads}.
  info = null;

  static async load(source, opts = {}) {
    const { onProgress, onLog, signal, worker, gpu, ...rest } = opts;
    signal?.throwIfAborted();
    // A URL object does not cross to a worker; a relative URL is the page's (a worker's own location is worker.js).
    if (source instanceof URL) source = source.href;
    if (typeof source === 'string' && !isNode && globalThis.location) source = new URL(source, globalThis.document?.baseURI ?? globalThis.location.href).href;
    const m = new Sotto();
    m.onLog = onLog ?? null;
    m.#worker = await startWorker(worker === false || !!gpu);
    m.#worker.onMessage((msg) => m.#receive(msg));
    m.#worker.onError((e) => m.#fail(`sotto worker: ${String(e?.message ?? e).split('\n')[0]}`));
    try {
      m.info = await m.#request({ type: 'load', source, opts: { ...plain(rest), ...(gpu ? { gpu } : {}) } }, signal, onProgress);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  // Deletes the models cached by load() ({cache} as given to load(); default: the default cache).
  static clearCache(cache) { return clearModelCache(cache); }

  #receive(msg) {
    if (msg.type === 'log') { this.onLog?.(msg.line, msg.fd); return; }
    this.#pending.get(msg.id)?.(msg);
  }

  #fail(message) {
    this.#dead = message;
    for (const fn of [...this.#pending.values()]) fn({ type: 'error', message });
  }

  #post(m) {
    if (this.#dead) throw new Error(this.#dead);
    this.#worker.post(m);
  }

  #track(id, fn) {
    this.#pending.set(id, fn);
    this.#worker.busy(true);
  }

  #untrack(id) {
    this.#pending.delete(id);
    if (!this.#pending.size) this.#worker?.busy(false);
  }

  // One request, one answer ({type: 'result'}); progress messages go to onProgress.
  #request(m, signal, onProgress) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(abortError(signal)); return; }
      const finish = () => { signal?.removeEventListener('abort', onAbort); this.#untrack(id); };
      const onAbort = () => {
        if (!this.#dead) this.#worker.post({ type: 'cancel', id });
        if (m.type === 'load') { finish(); reject(abortError(signal)); }  // at once: load() then ends the worker
      };
      this.#track(id, (msg) => {
        if (msg.type === 'progress') { const { type, id: _, ...p } = msg; onProgress?.(p); return; }
        finish();
        if (msg.type === 'error') reject(new Error(msg.message));
        else if (signal?.aborted || msg.aborted) reject(abortError(signal));
        else resolve(msg.value);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      try { this.#post({ ...m, id }); } catch (e) { finish(); reject(e); }
    });
  }

  // Text pieces (whole UTF-8 characters) as they are generated. input: a prompt, or messages [{role: 'system' |
  // 'developer' | 'user' | 'assistant', content}] (a conversation in the model's chat template, as the API renders it). After the loop, this.stopReason: 'stop' (end of generation), 'length' (maxTokens or a
  // full context) or 'aborted', and this.usage: {promptTokens, cachedTokens}: a chat's next turn
  // (the previous messages and answer, then a new one) keeps the prefix the worker's KV cache holds and prefills only
  // the rest, with the answer of a cold run (opts.cachePrompt: false prefills all).
  async *generate(input, opts = {}) {
    const { signal, onToken, ...rest } = opts;
    signal?.throwIfAborted();
    const id = this.#nextId++;
    const queue = [];
    let wake = null;
    this.#track(id, (msg) => { queue.push(msg); wake?.(); });
    const onAbort = () => { if (!this.#dead) this.#worker.post({ type: 'cancel', id }); };
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      this.#post({ type: 'generate', id, input, opts: plain(rest) });
      for (;;) {
        while (!queue.length) await new Promise((r) => { wake = r; });
        const msg = queue.shift();
        if (msg.type === 'error') { finished = true; throw new Error(msg.message); }
        for (const t of msg.ids ?? []) onToken?.(t);
        if (msg.type === 'token') { if (msg.text) yield msg.text; continue; }
        finished = true;
        this.stopReason = msg.reason;
        this.usage = msg.usage ?? null;
        if (msg.reason === 'aborted' && signal?.aborted) throw abortError(signal);
        return;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!finished && !this.#dead) this.#worker.post({ type: 'cancel', id });  // the caller left the loop
      this.#untrack(id);
    }
  }

  // Speech to text of mono samples (16 kHz unless sampleRate says otherwise): {text, segments: [{start, end, text,
  // words, flags, latency_ms}]}, as `sotto transcribe --json`.
  transcribe(pcm, { sampleRate = 16000, signal } = {}) {
    signal?.throwIfAborted?.();
    return this.#request({ type: 'transcribe', pcm, sampleRate }, signal);
  }

  // A structured note of a transcript under a template (a JSON Schema object or its text), as `sotto note`:
  // {text, note (parsed), markdown, support, windows, message}.
  note(transcript, template, opts = {}) {
    const { signal, ...rest } = opts;
    signal?.throwIfAborted?.();
    return this.#request({ type: 'note', transcript, template, opts: plain(rest) }, signal);
  }

  // Ends the worker; pending requests reject.
  dispose() {
    if (!this.#worker || this.#dead === 'sotto: disposed') return;
    this.#fail('sotto: disposed');
    this.#worker.post({ type: 'dispose' });
    this.#worker.terminate();
  }
}

export default Sotto;
