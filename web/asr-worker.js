// asr-worker.js — the speech recognizer's Web Worker (a module worker, beside engine-worker.js so that
// dictation and note writing do not wait on each other): downloads and caches the wasm engine and the
// speech model, then turns 16 kHz PCM into transcript segments, phrase by phrase. Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl, backend, speakerModelUrl}  backend: the Settings choice ('auto': a hardware WebGPU
//                                         adapter, 'webgpu': any, 'cpu') -> progress* then {type: 'ready',
//                                         backend ('webgpu' | 'wasm-cpu-simd128'), adapter, why, model, bytes, cached,
//                                         threads (of the wasm CPU engine: engine-wasm.mjs)}
//   {type: 'stream-start', id, sampleRate}  a live recording begins (the recognizer is reset; a rate other
//                                         than 16 kHz is resampled by the engine, as `sotto transcribe` does)
//   {type: 'stream-chunk', id, pcm}       samples of it (Float32Array) -> {type: 'segment', id, segment}*
//                                         for each phrase that closed
//   {type: 'stream-end', id}              -> {type: 'segment', id, segment}* (the phrase still open), then
//                                            {type: 'stream-done', id, seconds}
//   {type: 'transcribe', id, pcm}         a whole recording (a dropped file) -> {type: 'asr-progress', id, done,
//                                         total}* and {type: 'segment', id, segment}* as it goes, then
//                                         {type: 'transcribed', id, seconds}
//   {type: 'speakers', id, pcm, sampleRate, spans, speakers, modelUrl}
//                                         who speaks when in a whole recording (wasm/asr.mjs SottoSpeakers: the
//                                         speaker model, fetched and cached on first use, on the wasm CPU in an
//                                         instance of its own) -> {type: 'speakers', id, speakers, labels (1-based,
//                                         one per span [start, end] in seconds), turns}
// A segment: {start, end, text, words, flags} (seconds, seconds, trimmed text; words with their confidence and
// the hallucination guards' flags, as `sotto transcribe --json` prints them: runtime/speech-confidence.h). Any failure: {type: 'error', id, message}
// (one line); before 'ready' every request fails with the reason the recognizer is not there.
// The recognizer runs on WebGPU when the Settings allow the adapter, else (or when loading there fails) on
// the wasm CPU; `why` says why not WebGPU.
import { AsrEngine } from './engine-asr.mjs';
import { SottoSpeakers } from '../wasm/asr.mjs';
import { adapterName, pickAdapter } from './gpu-policy.mjs';
import { fetchWithProgress, modelBudget, oneLine } from './fetch-cache.mjs';
import { fetchEngine } from './engine-wasm.mjs';

let asr = null;
let wasmModule = null;   // the engine the speech model loaded in (the speaker labels take an instance of it)
let speakers = null;     // {url, spk}: the speaker model, loaded on first use
let notReady = 'the speech model is still loading';
let streamId = null;
let queue = Promise.resolve();  // requests run one after another, in arrival order

const post = (m) => self.postMessage(m);
const progress = (p) => post({ type: 'progress', ...p });
const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));
const CHUNK = 16000;  // a whole recording is fed a second at a time (progress, and the page's chunks stay fast)

function sendSegments(id, segs) {
  for (const s of segs) post({ type: 'segment', id, segment: s });
}

async function handle(m) {
  switch (m.type) {
    case 'init': {
      asr?.dispose();
      asr = null;
      notReady = 'the speech model is still loading';
      try {
        const { module } = await fetchEngine(m.wasmUrl, progress);  // sotto-mt.wasm when threads are usable
        wasmModule = module;
        const model = await fetchWithProgress(m.modelUrl, 'speech model', true, progress, modelBudget());
        progress({ phase: 'load', what: 'speech model' });
        const name = m.modelUrl.split('/').pop();
        const { host, error } = await pickAdapter(m.backend ?? 'auto');
        let why = error, adapter = null;
        if (host) {
          try {
            asr = await AsrEngine.create(module, model.bytes, { name, gpu: host });
            adapter = adapterName(host);
          } catch (e) {
            host.device.destroy?.();
            why = `the WebGPU engine could not load the speech model (${oneLine(e)})`;
          }
        }
        asr ??= await AsrEngine.create(module, model.bytes, { name });
        post({ type: 'ready', backend: asr.backend, adapter, why, model: name, arch: asr.arch, bytes: model.bytes.length,
               cached: model.cached, threads: asr.threads });
        // The speaker model into the cache now, so that speaker labels work offline later (loaded on first use).
        if (m.speakerModelUrl) fetchWithProgress(m.speakerModelUrl, 'speaker model', true).catch(() => {});
      } catch (e) {
        notReady = oneLine(e);
        throw e;
      }
      return;
    }
    case 'stream-start':
      if (!asr) throw new Error(`speech recognition is not available: ${notReady}`);
      await asr.reset(m.sampleRate ?? 16000);
      streamId = m.id;
      return;
    case 'stream-chunk':
      if (!asr || m.id !== streamId) return;  // a chunk of a stream that failed to start, or ended
      sendSegments(m.id, await asr.feed(m.pcm));
      return;
    case 'stream-end': {
      if (!asr || m.id !== streamId) throw new Error('no recording is being transcribed');
      streamId = null;
      sendSegments(m.id, await asr.finish());
      post({ type: 'stream-done', id: m.id, seconds: asr.seconds() });
      return;
    }
    case 'transcribe': {
      if (!asr) throw new Error(`speech recognition is not available: ${notReady}`);
      await asr.reset(16000);
      streamId = null;
      const pcm = m.pcm, total = pcm.length;
      for (let i = 0; i < total; i += CHUNK) {
        sendSegments(m.id, await asr.feed(pcm.subarray(i, Math.min(total, i + CHUNK))));
        post({ type: 'asr-progress', id: m.id, done: Math.min(total, i + CHUNK), total });
        await yieldToEvents();
      }
      sendSegments(m.id, await asr.finish());
      post({ type: 'transcribed', id: m.id, seconds: total / 16000 });
      return;
    }
    case 'speakers': {
      if (!wasmModule) throw new Error(`speaker labels are not available: ${notReady}`);
      if (speakers?.url !== m.modelUrl) {
        speakers?.spk.dispose();
        speakers = null;
        const model = await fetchWithProgress(m.modelUrl, 'speaker model', true, null, modelBudget());
        const spk = await SottoSpeakers.create(wasmModule);
        await spk.load(model.bytes, { name: m.modelUrl.split('/').pop() });
        speakers = { url: m.modelUrl, spk };
      }
      const r = await speakers.spk.label(m.pcm, { sampleRate: m.sampleRate, speakers: m.speakers, spans: m.spans });
      post({ type: 'speakers', id: m.id, ...r });
      return;
    }
    default:
      throw new Error(`unknown message ${m.type}`);
  }
}

self.onmessage = (ev) => {
  const m = ev.data;
  queue = queue.then(() => handle(m)).catch((e) => post({ type: 'error', id: m.id, message: oneLine(e) }));
};
