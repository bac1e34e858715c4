// field-worker.mjs — the field app's engine worker (web/field; issue 20): fetches and caches the wasm engine and the
// vision-language model (its language model and its mmproj vision tower: fetch-cache.mjs, cache-first, so the app
// works offline after the first load), decodes each photo here through the platform (wasm/vision.mjs decodeImage:
// createImageBitmap with EXIF orientation, OffscreenCanvas) and answers questions about it on the wasm CPU engine,
// one piece of text at a time; on WebGPU where a hardware adapter is there (gpu-policy.mjs), else on the wasm CPU.
// Messages (page -> worker):
//   {type: 'init', wasmUrl, lmUrl, mmprojUrl, backend: 'auto' | 'webgpu' | 'cpu'}
//                                               -> progress* then {type: 'ready', gpu (the adapter, or null: the
//                                                  wasm CPU), why (why not WebGPU), threads (CPU), lm, mmproj}
//   {type: 'ask', id, image: Blob | File, question, maxTokens, task, schema}
//                                               -> {type: 'phase', id, phase: 'read'} (decoding the photo),
//                                                  {type: 'phase', id, phase: 'look', width, height} (the
//                                                  processor and the vision tower, then the prefill),
//                                                  {type: 'started', id, width, height, tiles, nPrompt},
//                                                  {type: 'text', id, text}*, {type: 'answer', id, text, seconds, task}
//                                               schema (optional): the answer is a JSON document valid under it
//                                               (compact: no whitespace between tokens)
//   {type: 'cancel', id}                        -> that answer ends early (its 'answer' says what came), also when
//                                                  the cancel comes before its first token (while the photo is read
//                                                  or the tower runs: it ends after that token)
// Any failure: {type: 'error', id, message} (one line); a bad photo leaves the engine as it was.
// Does not: send the photo, the question or the answer anywhere (nothing here makes a request but the model and
// engine downloads from this origin), keep photos.
import { Sotto } from '../wasm/sotto.mjs';
import { SottoVision, decodeImage } from '../wasm/vision.mjs';
import { fetchEngine } from '../engine-wasm.mjs';
import { fetchWithProgress, modelBudget, oneLine } from '../fetch-cache.mjs';
import { adapterName, pickAdapter } from '../gpu-policy.mjs';

let engine = null;
let vision = null;
let busy = Promise.resolve();
let cancelledId = 0;  // the ask a cancel is for (vision.cancel() alone is reset when an answer starts)

const post = (m) => self.postMessage(m);
const progress = (p) => post({ type: 'progress', ...p });
const name = (url) => url.split('/').pop();

const log = (fd, line) => { if (fd === 2) console.warn(line); };

// The engine with both models: on WebGPU when pickAdapter allows (backend 'auto': a hardware adapter; 'webgpu': any),
// else, or when that fails, on the wasm CPU. Returns {e, v, gpu: adapter name or null, why: why not WebGPU}.
async function loadEngine(module, lm, mm, names, backend) {
  const { host, error } = await pickAdapter(backend);
  if (host) {
    let e = null;
    try {
      e = await Sotto.create(module, { gpu: host, log });
      await e.load(lm, { name: names.lm });
      const v = SottoVision.on(e);
      await v.load(mm, { name: names.mmproj });
      return { e, v, gpu: adapterName(host), why: null };
    } catch (err) {
      e?.dispose();
      return { ...await loadEngine(module, lm, mm, names, 'cpu'), why: `WebGPU failed: ${oneLine(err)}` };
    }
  }
  const e = await Sotto.create(module, { log });
  await e.load(lm, { name: names.lm });
  const v = SottoVision.on(e);
  await v.load(mm, { name: names.mmproj });
  return { e, v, gpu: null, why: error };
}

async function init({ wasmUrl, lmUrl, mmprojUrl, backend = 'auto' }) {
  const { module } = await fetchEngine(wasmUrl, progress);
  const lm = await fetchWithProgress(lmUrl, 'model', true, progress, modelBudget());
  const mm = await fetchWithProgress(mmprojUrl, 'vision model', true, progress, modelBudget());
  progress({ phase: 'load', what: 'model' });
  const names = { lm: name(lmUrl), mmproj: name(mmprojUrl) };
  const { e, v, gpu, why } = await loadEngine(module, lm.bytes, mm.bytes, names, backend);
  engine?.dispose();
  engine = e;
  vision = v;
  post({ type: 'ready', threads: gpu ? 0 : e.threadsOf(), gpu, why, ...names });
}

async function ask({ id, image, question, maxTokens = 256, task, schema }) {
  if (!vision) throw new Error('the model is not loaded yet');
  const t0 = performance.now();
  post({ type: 'phase', id, phase: 'read' });
  const img = await decodeImage(image, { name: image.name || 'photo' });
  post({ type: 'phase', id, phase: 'look', width: img.width, height: img.height });
  let text = '';
  let started = false;
  const onToken = () => { if (cancelledId === id) vision.cancel(); };
  for await (const piece of vision.generate(question, { images: [img], maxTokens, schema, compact: true, onToken })) {
    if (!started) {
      started = true;
      post({ type: 'started', id, width: img.width, height: img.height, ...vision.last });
    }
    text += piece;
    post({ type: 'text', id, text: piece });
  }
  if (!started) post({ type: 'started', id, width: img.width, height: img.height, ...vision.last });
  post({ type: 'answer', id, text, seconds: (performance.now() - t0) / 1000, task });
}

self.onmessage = ({ data: m }) => {
  if (m.type === 'cancel') {
    cancelledId = m.id;
    vision?.cancel();
    return;
  }
  const run = m.type === 'init' ? () => init(m) : m.type === 'ask' ? () => ask(m) : null;
  if (!run) return;
  busy = busy.then(run).catch((e) => post({ type: 'error', id: m.id, message: oneLine(e) }));
};
