// asr-worker.js — the speech recognizer's Web Worker (a module worker, beside engine-worker.js so that
// dictation and note writing do not wait on each other): downloads and caches the wasm engine and the
// speech model, then turns 16 kHz PCM into transcript segments, phrase by phrase. Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl, hub, backend, speakerModelUrl}  backend: the Settings choice ('auto': a hardware WebGPU
//                                         adapter, 'webgpu': any, 'cpu'); hub: null or {id, endpoint}, a hub model
//                                         in place of modelUrl (hub.mjs) -> progress* then {type: 'ready',
//                                         backend ('webgpu' | 'wasm-cpu-simd128'), adapter, why, model, bytes, cached, kept (false: no Cache API),
//                                         hub ('OWNER/NAME:FILE' or null), threads (of the wasm CPU engine: engine-wasm.mjs)}
//   {type: 'stream-start', id, sampleRate, partialMs, commands, bias, endpointMs, endpointDecodeMs}
//                                         a live recording begins (the recognizer is reset; a rate other
//                                         than 16 kHz is resampled by the engine, as `sotto transcribe` does);
//                                         partialMs > 0: partial text while a phrase is spoken (`sotto listen
//                                         --partial`); commands: each segment also gets its action (below);
//                                         bias (with commands): biased decoding toward the loaded set's phrases
//                                         (`sotto listen --bias`: SottoAsr.bias + SottoCommands.choose; wasm CPU only),
//                                         the action then has text, decoded, heard, logprob_free, logprob_command,
//                                         command_text as the CLI prints them; endpointMs > 0 (with commands): a
//                                         phrase that is a command of the set ends after endpointMs of silence
//                                         instead of 400 ms (`sotto listen --endpoint`, endpointDecodeMs its
//                                         --endpoint-decode; wasm CPU only); segments
//                                         then have speech_end, wait_ms, endpoint, and speech_to_action_ms (end of
//                                         speech -> action: wait_ms + latency_ms)
//   {type: 'stream-chunk', id, pcm}       samples of it (Float32Array) -> {type: 'segment', id, segment}*
//                                         for each phrase that closed, and with partialMs {type: 'partial', id,
//                                         partial: {start, end, text}} when the open phrase says something so far
//                                         (not while more chunks wait: a partial never delays a phrase's final)
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
//   {type: 'commands-load', id, wasmUrl, json, name}  a voice command set (JSON text, docs/voice.md) in an engine
//                                         instance of its own (wasm/asr.mjs SottoCommands; it needs no speech model)
//                                         -> {type: 'commands', id, commands: [{name, confirm, say}]}; a set that does
//                                         not check: the CLI's one-line error, and the last good set stays
//   {type: 'command-match', id, text}     a typed utterance -> {type: 'action', id, text, action, match_ms}
//   The command messages run beside the speech ones (a typed command does not wait for a recording to finish).
//   With a set loaded and a stream started with commands: true, each segment has `action` ({command, slots,
//   confirm} or {command: null, reason}: the JSON of `sotto listen`) and its latency_ms is the CLI's: end of the
//   phrase known -> action (the engine's recognition latency plus the matching); decided_at: when that was, in ms
//   since the epoch on the high-resolution clock (performance.timeOrigin + now()).
// A segment: {start, end, text, words, flags, latency_ms} (seconds, seconds, trimmed text; words with their confidence and
// the hallucination guards' flags, as `sotto transcribe --json` prints them: runtime/speech-confidence.h). Any failure: {type: 'error', id, message}
// (one line); before 'ready' every request fails with the reason the recognizer is not there.
// The recognizer runs on WebGPU when the Settings allow the adapter, else (or when loading there fails) on
// the wasm CPU; `why` says why not WebGPU.
import { AsrEngine } from './engine-asr.mjs';
import { SottoCommands, SottoSpeakers } from '../wasm/asr.mjs';
import { adapterName, pickAdapter } from './gpu-policy.mjs';
import { fetchWithProgress, modelBudget, oneLine } from './fetch-cache.mjs';
import { fetchModel } from './hub.mjs';
import { fetchEngine } from './engine-wasm.mjs';

let asr = null;
let wasmModule = null;   // the engine the speech model loaded in (the speaker labels take an instance of it)
let speakers = null;     // {url, spk}: the speaker model, loaded on first use
let notReady = 'the speech model is still loading';
let streamId = null;
let streamOpts = {};     // {partialMs, commands} of the current stream
let queue = Promise.resolve();  // requests run one after another, in arrival order
let enginePromise = null;  // fetchEngine() of the last init (the command set shares the download)
let commands = null;     // SottoCommands, loaded on the first 'commands-load'
let cmdQueue = Promise.resolve();  // the command messages, in arrival order
let chunksWaiting = 0;   // stream chunks received and not yet fed: > 0 while the engine is behind the audio

const post = (m) => self.postMessage(m);
const progress = (p) => post({ type: 'progress', ...p });
const yieldToEvents = () => new Promise((r) => setTimeout(r, 0));
const CHUNK = 16000;  // a whole recording is fed a second at a time (progress, and the page's chunks stay fast)
const BIAS_MARGIN = 0.5;  // `sotto listen --bias-margin`'s default (apps/voice/command-grammar.h)

// The action of an utterance and the matching's time (ms).
async function matchTimed(text) {
  const t0 = performance.now();
  const action = await commands.match(text);
  return [action, performance.now() - t0];
}

async function sendSegments(id, segs) {
  for (const s of segs) {
    if (streamOpts.commands && commands?.session && id === streamOpts.id) {
      const t0 = performance.now();
      const action = s.biased ? await commands.choose(s, BIAS_MARGIN) : await commands.match(s.text);
      const ms = performance.now() - t0;
      s.action = action;
      s.latency_ms += ms;
      if (streamOpts.endpointMs > 0) s.speech_to_action_ms = s.wait_ms + s.latency_ms;
      s.decided_at = performance.timeOrigin + performance.now();  // the page adds what comes after (to the screen)
    }
    post({ type: 'segment', id, segment: s });
  }
}

async function handleCommands(m) {
  switch (m.type) {
    case 'commands-load': {
      if (!commands) {
        enginePromise ??= fetchEngine(m.wasmUrl, null);
        const { module } = await enginePromise.catch((e) => { enginePromise = null; throw e; });  // a later load tries again
        commands ??= await SottoCommands.create(module, { log: () => {} });
      }
      post({ type: 'commands', id: m.id, commands: await commands.load(m.json, { name: m.name ?? 'commands.json' }) });
      return;
    }
    case 'command-match': {
      if (!commands?.session) throw new Error('no command set is loaded');
      const [action, ms] = await matchTimed(m.text);
      post({ type: 'action', id: m.id, text: m.text, action, match_ms: ms });
      return;
    }
  }
}

async function handle(m) {
  switch (m.type) {
    case 'init': {
      asr?.dispose();
      asr = null;
      notReady = 'the speech model is still loading';
      try {
        enginePromise = fetchEngine(m.wasmUrl, progress);
        const { module } = await enginePromise;  // sotto-mt.wasm when threads are usable
        wasmModule = module;
        const model = await fetchModel(m.hub ? { hub: m.hub } : { url: m.modelUrl }, 'speech model', progress, modelBudget());
        progress({ phase: 'load', what: 'speech model' });
        const name = model.name;
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
               cached: model.cached, kept: model.kept !== false, hub: model.id, threads: asr.threads });
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
      streamOpts = { id: m.id, partialMs: m.partialMs ?? 0, commands: !!m.commands, endpointMs: m.endpointMs ?? 0 };
      if ((m.bias || m.endpointMs > 0) && !(m.commands && commands?.session)) {
        throw new Error(`${m.bias ? 'biased decoding' : 'early end of speech'} needs a command set`);
      }
      await asr.bias(m.bias ? await commands.grammar() : null);  // compiled once per set (engine-asr.mjs)
      await asr.endpoint(m.endpointMs > 0 ? { pauseMs: m.endpointMs, decodeMs: m.endpointDecodeMs ?? 0, commands: commands.lastGood.text,
                                              name: commands.lastGood.name, margin: BIAS_MARGIN } : null);
      return;
    case 'stream-chunk': {
      chunksWaiting--;
      if (!asr || m.id !== streamId) return;  // a chunk of a stream that failed to start, or ended
      await sendSegments(m.id, await asr.feed(m.pcm));
      // A partial is a decode of the open phrase so far: skipped while audio waits, so it never delays a final.
      const p = streamOpts.partialMs > 0 && chunksWaiting === 0 ? await asr.partial(streamOpts.partialMs) : null;
      if (p) post({ type: 'partial', id: m.id, partial: p });
      return;
    }
    case 'stream-end': {
      if (!asr || m.id !== streamId) throw new Error('no recording is being transcribed');
      streamId = null;
      await sendSegments(m.id, await asr.finish());
      streamOpts = {};
      post({ type: 'stream-done', id: m.id, seconds: asr.seconds() });
      return;
    }
    case 'transcribe': {
      if (!asr) throw new Error(`speech recognition is not available: ${notReady}`);
      await asr.reset(16000);
      streamId = null;
      streamOpts = {};
      const pcm = m.pcm, total = pcm.length;
      for (let i = 0; i < total; i += CHUNK) {
        await sendSegments(m.id, await asr.feed(pcm.subarray(i, Math.min(total, i + CHUNK))));
        post({ type: 'asr-progress', id: m.id, done: Math.min(total, i + CHUNK), total });
        await yieldToEvents();
      }
      await sendSegments(m.id, await asr.finish());
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
  if (m.type === 'stream-chunk') chunksWaiting++;
  if (m.type === 'commands-load' || m.type === 'command-match') {
    cmdQueue = cmdQueue.then(() => handleCommands(m)).catch((e) => post({ type: 'error', id: m.id, message: oneLine(e) }));
    return;
  }
  queue = queue.then(() => handle(m)).catch((e) => post({ type: 'error', id: m.id, message: oneLine(e) }));
};
