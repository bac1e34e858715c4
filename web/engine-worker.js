// engine-worker.js — the engine's Web Worker (a module worker): downloads and caches the wasm engine and
// the note model, compiles and loads them, writes notes one step at a time and answers support checks and
// FHIR exports, so the page never waits on the engine. Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl, hub, backend: 'auto' | 'webgpu' | 'cpu'}
//                                         hub: null, or {id: 'OWNER/NAME[:FILE]', endpoint} (a hub model, which
//                                         replaces modelUrl: hub.mjs, verified and cached for offline use)
//                                         -> progress* then {type: 'ready', backend, noteBackend, gpu, model,
//                                            bytes, sha256 (the model file's), cached, hub ('OWNER/NAME:FILE' of
//                                            a hub model, else null), threads (the wasm CPU engine's; engine-wasm.mjs)}
//   {type: 'generate', id, schema, transcript, uncertain, temperature, seed, maxTokens, visitDate}
//                                         -> {type: 'started', id, nPrompt, backend, windows, message},
//                                            ({type: 'window', id, index, count} before each window when the
//                                            transcript is read in windows), {type: 'prefill', id, done, total}*
//                                            while the prompt is read, {type: 'text', id, text, nTokens}*,
//                                            {type: 'note', id, text, nTokens, seconds, check, backend, windows:
//                                            null or {count, message}}
//                                         (after a WebGPU failure also {type: 'backend', noteBackend, why})
//   {type: 'cancel'}                      -> the running generation ends with {type: 'cancelled', id}
//   {type: 'check', id, schema, note, transcript, uncertain, visitDate}  -> {type: 'checked', id, check}
//                                         (uncertain: [[b, e, reason]] of uncertain speech, web/speech-marks.mjs)
//   {type: 'fhir', id, schema, note, args} -> {type: 'fhir', id, text}
//   {type: 'clear-cache'}                 -> {type: 'cache-cleared'}
// Any failure: {type: 'error', id, message} (one line); an 'init' that fails (a model that cannot be fetched or
// does not load) keeps the engines of the last good init, and its error says so with kept: {model, modelUrl, hub}.
// Progress: {type: 'progress', phase: 'download' |
// 'compile' | 'load' | 'pipelines', what, loaded, total, compiled}.
// Caching: fetch-cache.mjs (models cache-first, the engine wasm network-first; hub models: hub.mjs), so after the
// first load the app works offline.
// Backends: with backend 'auto' and a hardware WebGPU adapter (or 'webgpu' and any adapter, software ones
// such as SwiftShader included), the note model is put on the GPU
// (engine-gpu.mjs: upload, pipelines compiled by a warm-up); a note is written there when that engine can
// do schema-constrained output, and otherwise on the wasm CPU engine (engine-cpu.mjs), which the 'ready'
// message says (gpu.whyNot). Without an adapter, or when the GPU engine fails to load, everything runs on
// the wasm CPU engine (gpu.error says why). Support checks and FHIR are CPU work in either case.
import { ScribeEngineCpu } from './engine-cpu.mjs';
import { NoteModelGpu } from './engine-gpu.mjs';
import { pickAdapter } from './gpu-policy.mjs';
import { CACHE, modelBudget, oneLine } from './fetch-cache.mjs';
import { fetchModel } from './hub.mjs';
import { fetchEngine } from './engine-wasm.mjs';
import { sha256 } from './store.mjs';

let engine = null;     // the CPU scribe engine: notes (unless the GPU can), checks, FHIR
let gpuModel = null;   // the note model on WebGPU, or null
let loaded = null;     // {model, modelUrl} of the last init that loaded
let cancelled = false;
let busy = false;

const post = (m) => self.postMessage(m);
const progress = (p) => post({ type: 'progress', ...p });

// The note model on WebGPU when this browser has an adapter: {model, info} or {info} with why it is not used.
async function pickGpu(wasmModule, bytes, name, backend) {
  const { host, error } = await pickAdapter(backend);
  if (!host) return { info: { error } };
  try {
    const t0 = performance.now();
    const model = await NoteModelGpu.create(wasmModule, host, bytes, { name, nCtx: 4096, onProgress: progress });
    return { model, info: { adapter: model.adapter, fallbackAdapter: model.fallbackAdapter, pipelines: model.pipelines,
                            warmupTokens: model.warmupTokens, seconds: (performance.now() - t0) / 1000,
                            schemaOutput: model.schemaOutput, whyNot: model.whyNot } };
  } catch (e) {
    host.device.destroy?.();
    return { info: { error: `the WebGPU engine could not load the model (${oneLine(e)})` } };
  }
}

const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));

async function generate(m) {
  await engine.ready();
  cancelled = false;
  const t0 = performance.now();
  // The note on WebGPU when that engine can write under a schema; otherwise (or after it failed) on the CPU.
  const writer = gpuModel?.schemaOutput ? gpuModel : engine;
  // The encounter's visit date in the prompt, as `sotto note --visit-date` (relative dates resolved against it).
  engine.visitDate(m.visitDate ?? '');
  if (writer !== engine) writer.visitDate(m.visitDate ?? '');
  const traps = gpuModel?.engine.traps ?? 0;
  try {
    await write(m, writer, t0);
  } catch (e) {
    // A bad request, not a broken GPU engine (one that trapped, revived or not, or lost its device):
    if (writer !== gpuModel || (!gpuModel.engine.dead && gpuModel.engine.traps === traps)) throw e;
    gpuModel.dispose();
    gpuModel = null;
    post({ type: 'backend', noteBackend: engine.backend, why: `the WebGPU engine failed (${oneLine(e)})` });
    throw new Error(`${oneLine(e)} (WebGPU; the next note is written on the wasm CPU)`);
  }
}

// One note of `transcript` (the whole transcript or one window of it); null when cancelled. `count` carries
// the tokens written so far over the windows.
async function writeOne(m, writer, transcript, opts, maxTokens, count) {
  // The prompt is read in chunks (the wasm CPU engine): progress, and a cancel acts between chunks.
  let lastProgress = 0;
  const between = async (done, total) => {
    const now = performance.now();
    if (now - lastProgress > 100 || done === total) { post({ type: 'prefill', id: m.id, done, total }); lastProgress = now; }
    await yieldToEvents();
    return cancelled;
  };
  const n = await writer.start(m.schema, transcript, opts, between);
  if (n < 0 || cancelled) return null;
  const dec = new TextDecoder();
  let text = '', pending = '', nTokens = 0, lastPost = 0, lastYield = performance.now();
  for (;;) {
    if (cancelled) return null;
    const { status, bytes } = await writer.step();
    nTokens++;
    count.n++;
    const piece = dec.decode(bytes, { stream: true });
    text += piece;
    pending += piece;
    if (status === 1) break;
    if (status < 0) throw new Error(`the note did not fit the context after ${nTokens} tokens`);
    if (nTokens >= maxTokens) throw new Error(`the note was not finished after ${nTokens} tokens (raise the limit)`);
    const now = performance.now();
    if (now - lastPost > 50) { post({ type: 'text', id: m.id, text: pending, nTokens: count.n }); pending = ''; lastPost = now; }
    if (now - lastYield > 20) { await yieldToEvents(); lastYield = performance.now(); }
  }
  if (pending) post({ type: 'text', id: m.id, text: pending, nTokens: count.n });
  return text + dec.decode();
}

// The note: in one pass, or, when the transcript is longer than the note model was trained on, one note per
// overlapping window merged under the schema (apps/scribe/window.h, as `sotto note`): a window whose note
// does not finish is sampled once more, then left out and named in the message.
async function write(m, writer, t0) {
  const maxTokens = m.maxTokens ?? 4000;
  const opts = { temperature: m.temperature ?? 0, seed: m.seed ?? 1 };
  const plan = engine.windows(m.schema, m.transcript, maxTokens);
  const bytes = new TextEncoder().encode(m.transcript);
  const dec = new TextDecoder();
  const parts = plan.windows.map(([b, e]) => dec.decode(bytes.subarray(b, e)));
  post({ type: 'started', id: m.id, nPrompt: plan.promptTokens, backend: writer.backend, windows: plan.windows.length,
         message: plan.message, seconds: (performance.now() - t0) / 1000 });
  const t1 = performance.now();
  const count = { n: 0 };
  let text;
  const skipped = [];
  if (plan.windows.length === 1) {
    text = await writeOne(m, writer, m.transcript, opts, maxTokens, count);
    if (text === null) { post({ type: 'cancelled', id: m.id }); return; }
  } else {
    const notes = [], read = [];
    // A trapped or lost engine ends the note (generate() falls back to the CPU); any other failure is the window's.
    const engineBroken = () => writer.engine?.dead || (writer === engine && engine.host?.dead);
    for (let k = 0; k < parts.length; k++) {
      post({ type: 'window', id: m.id, index: k, count: parts.length });
      let t = null;
      try {
        t = await writeOne(m, writer, parts[k], opts, plan.maxTokens[k], count);
      } catch (e) {
        if (engineBroken()) throw e;
        try {
          t = await writeOne(m, writer, parts[k], { temperature: Math.max(opts.temperature, 0.7), seed: opts.seed + k + 1 },
                             plan.maxTokens[k], count);
        } catch (e2) {
          if (engineBroken()) throw e2;
          skipped.push(`window ${k + 1} of ${parts.length} gave no note and is left out (${oneLine(e2)})`);
          continue;
        }
      }
      if (t === null) { post({ type: 'cancelled', id: m.id }); return; }
      notes.push(t);
      read.push(plan.windows[k]);
    }
    if (!notes.length) throw new Error(`no window of the transcript gave a note (${skipped[0]})`);
    text = engine.merge(m.schema, notes, read, m.transcript);
  }
  const seconds = (performance.now() - t1) / 1000;
  const check = engine.check(m.schema, text, m.transcript, m.uncertain ?? []);
  const windows = plan.windows.length > 1 || plan.message
    ? { count: plan.windows.length, message: [plan.message, ...skipped].join('; ') } : null;
  post({ type: 'note', id: m.id, text, nTokens: count.n, seconds, check, backend: writer.backend, windows });
}

// Loads the engine and the note model of m (the CPU engine first: a model that does not load there changes
// nothing, the engines of the last good init stay), then the note model on WebGPU if there is one.
async function init(m) {
  // sotto-mt.wasm when threads are usable; their relaxed-SIMD twins where that runs exactly (engine-wasm.mjs)
  const { module, relaxed } = await fetchEngine(m.wasmUrl, progress);
  const source = m.hub ? { hub: m.hub } : { url: m.modelUrl };
  let first = await fetchModel(source, 'model', progress, modelBudget());
  const bytes = first.bytes;
  const info = { bytes: bytes.length, cached: first.cached, kept: first.kept !== false, sha256: await sha256(bytes), hub: first.id };
  const name = first.name;
  const loader = async () => {  // the first call takes the download; later ones read the cache
    if (first) { const b = first.bytes; first = null; return b; }
    return (await fetchModel(source, 'model', null, modelBudget())).bytes;
  };
  progress({ phase: 'load', what: 'model' });
  const cpu = await ScribeEngineCpu.create(module, loader, { name, nCtx: 4096 });  // as `sotto note`
  gpuModel?.dispose();
  gpuModel = null;
  engine?.dispose();
  engine = cpu;
  loaded = { model: name, modelUrl: m.modelUrl, hub: m.hub ? info.hub : null };
  const gpu = await pickGpu(module, bytes, name, m.backend ?? 'auto');
  gpuModel = gpu.model ?? null;
  const noteBackend = gpuModel?.schemaOutput ? gpuModel.backend : engine.backend;
  post({ type: 'ready', backend: gpuModel ? 'webgpu' : engine.backend, noteBackend, gpu: gpu.info, model: name,
         threads: engine.threads, simd: relaxed ? 'relaxed' : 'simd128', ...info });
}

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === 'cancel') { cancelled = true; return; }
  try {
    switch (m.type) {
      case 'init':
        try {
          await init(m);
        } catch (e) {  // the engines of the last good init (if any) stay
          post({ type: 'error', id: m.id, message: oneLine(e), kept: loaded });
        }
        break;
      case 'generate':
        if (!engine) throw new Error('the engine is not loaded');
        if (busy) throw new Error('a note is already being written');
        busy = true;
        try { await generate(m); } finally { busy = false; }
        break;
      case 'check':
        await engine.ready();
        // The encounter's visit date resolves relative dates ("in two weeks"); while a note is being written, the
        // date that note was started with stays (its next windows' prompts carry it).
        if (!busy) engine.visitDate(m.visitDate ?? '');
        post({ type: 'checked', id: m.id, check: engine.check(m.schema, m.note, m.transcript, m.uncertain ?? []) });
        break;
      case 'fhir':
        await engine.ready();
        post({ type: 'fhir', id: m.id, text: engine.fhir(m.schema, m.note, m.args) });
        break;
      case 'clear-cache':
        await globalThis.caches?.delete(CACHE);  // none where this browser has no Cache API: nothing was kept
        post({ type: 'cache-cleared' });
        break;
      default:
        throw new Error(`unknown message ${m.type}`);
    }
  } catch (e) {
    post({ type: 'error', id: m.id, message: oneLine(e) });
  }
};
