// engine-worker.js — the engine's Web Worker (a module worker): downloads and caches the wasm engine and
// the note model, compiles and loads them, writes notes one step at a time and answers support checks and
// FHIR exports, so the page never waits on the engine. Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl}     -> progress* then {type: 'ready', backend, model, bytes, cached}
//   {type: 'generate', id, schema, transcript, temperature, seed, maxTokens}
//                                         -> {type: 'started', id, nPrompt}, {type: 'text', id, text, nTokens}*,
//                                            {type: 'note', id, text, nTokens, seconds, check}
//   {type: 'cancel'}                      -> the running generation ends with {type: 'cancelled', id}
//   {type: 'check', id, schema, note, transcript}  -> {type: 'checked', id, check}
//   {type: 'fhir', id, schema, note, args} -> {type: 'fhir', id, text}
//   {type: 'clear-cache'}                 -> {type: 'cache-cleared'}
// Any failure: {type: 'error', id, message} (one line). Progress: {type: 'progress', phase: 'download' |
// 'compile' | 'load', what, loaded, total}.
// Caching: the model is cache-first (Cache API, 'sotto-models-v1'), so after the first load the app works
// offline; the engine wasm is network-first with the cache as the offline fallback, so a rebuilt engine is
// picked up at once. Backend: the wasm CPU engine (engine-cpu.mjs); a WebGPU engine with the same interface
// plugs in at pickEngine().
import { ScribeEngineCpu } from './engine-cpu.mjs';

const CACHE = 'sotto-models-v1';
let engine = null;
let cancelled = false;
let busy = false;

const post = (m) => self.postMessage(m);
const oneLine = (e) => String(e?.message ?? e).split('\n')[0];

async function fetchWithProgress(url, what, cacheFirst, quiet = false) {
  const cache = await caches.open(CACHE);
  let resp = cacheFirst ? await cache.match(url) : null;
  let cached = !!resp;
  if (!resp) {
    try {
      resp = await fetch(url, { cache: 'no-cache' });
      if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    } catch (e) {
      resp = await cache.match(url);
      if (!resp) throw new Error(`${url}: cannot be fetched and is not cached (${oneLine(e)})`);
      cached = true;
    }
  }
  const total = Number(resp.headers.get('content-length')) || 0;
  const reader = resp.body.getReader();
  const parts = [];
  let loaded = 0, last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    const now = performance.now();
    if (!quiet && now - last > 100) { post({ type: 'progress', phase: 'download', what, loaded, total }); last = now; }
  }
  if (!quiet) post({ type: 'progress', phase: 'download', what, loaded, total: total || loaded });
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) { bytes.set(p, off); off += p.length; }
  if (!cached) await cache.put(url, new Response(bytes, { headers: { 'content-type': resp.headers.get('content-type') ?? '' } }));
  return { bytes, cached };
}

// The engine for this browser. WebGPU lands here from the webgpu branch; until then the wasm CPU engine.
// model: an async function returning the GGUF bytes (called again if the engine must be re-created).
async function pickEngine(wasmModule, model, name) {
  return ScribeEngineCpu.create(wasmModule, model, { name, nCtx: 4096 });
}

const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

async function generate(m) {
  await engine.ready();
  cancelled = false;
  const t0 = performance.now();
  const nPrompt = engine.start(m.schema, m.transcript, { temperature: m.temperature ?? 0, seed: m.seed ?? 1 });
  post({ type: 'started', id: m.id, nPrompt, seconds: (performance.now() - t0) / 1000 });
  const dec = new TextDecoder();
  let text = '', pending = '', nTokens = 0, lastPost = 0, lastYield = performance.now();
  const t1 = performance.now();
  for (;;) {
    if (cancelled) { post({ type: 'cancelled', id: m.id }); return; }
    const { status, bytes } = engine.step();
    nTokens++;
    const piece = dec.decode(bytes, { stream: true });
    text += piece;
    pending += piece;
    if (status === 1) break;
    if (status < 0) throw new Error(`the note did not fit the context after ${nTokens} tokens`);
    if (nTokens >= (m.maxTokens ?? 4000)) throw new Error(`the note was not finished after ${nTokens} tokens (raise the limit)`);
    const now = performance.now();
    if (now - lastPost > 50) { post({ type: 'text', id: m.id, text: pending, nTokens }); pending = ''; lastPost = now; }
    if (now - lastYield > 20) { await yieldToEvents(); lastYield = performance.now(); }
  }
  text += dec.decode();
  const seconds = (performance.now() - t1) / 1000;
  const check = engine.check(m.schema, text, m.transcript);
  post({ type: 'note', id: m.id, text, nTokens, seconds, check });
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === 'cancel') { cancelled = true; return; }
  try {
    switch (m.type) {
      case 'init': {
        const wasm = await fetchWithProgress(m.wasmUrl, 'engine', false);
        post({ type: 'progress', phase: 'compile', what: 'engine' });
        const module = await WebAssembly.compile(wasm.bytes);
        let first = await fetchWithProgress(m.modelUrl, 'model', true);
        const info = { bytes: first.bytes.length, cached: first.cached };
        const loader = async () => {  // the first call takes the download; later ones read the cache
          if (first) { const b = first.bytes; first = null; return b; }
          return (await fetchWithProgress(m.modelUrl, 'model', true, true)).bytes;
        };
        post({ type: 'progress', phase: 'load', what: 'model' });
        const name = m.modelUrl.split('/').pop();
        engine = await pickEngine(module, loader, name);
        post({ type: 'ready', backend: engine.backend, model: name, ...info });
        break;
      }
      case 'generate':
        if (!engine) throw new Error('the engine is not loaded');
        if (busy) throw new Error('a note is already being written');
        busy = true;
        try { await generate(m); } finally { busy = false; }
        break;
      case 'check':
        await engine.ready();
        post({ type: 'checked', id: m.id, check: engine.check(m.schema, m.note, m.transcript) });
        break;
      case 'fhir':
        await engine.ready();
        post({ type: 'fhir', id: m.id, text: engine.fhir(m.schema, m.note, m.args) });
        break;
      case 'clear-cache':
        await caches.delete(CACHE);
        post({ type: 'cache-cleared' });
        break;
      default:
        throw new Error(`unknown message ${m.type}`);
    }
  } catch (e) {
    post({ type: 'error', id: m.id, message: oneLine(e) });
  }
};
