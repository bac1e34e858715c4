// asr.mjs — speech recognition for the page, over the speech worker (asr-worker.js): the engine and the
// speech model load there, and 16 kHz PCM comes back as transcript segments phrase by phrase.
//   const asr = new Recognizer(onStatus);  asr.init(wasmUrl, modelUrl, backend, speakerModelUrl, hub)
//       backend: 'auto' | 'webgpu' | 'cpu'; hub: null or {id, endpoint}, a hub model in place of modelUrl (hub.mjs)
//       onStatus({state: 'loading' | 'ready' | 'error', progress?, model?, bytes?, cached?, backend?, adapter?,
//                 why?, message?})
//   const live = asr.stream(onSegment, sampleRate, {partialMs, commands, onPartial});  live.push(pcmChunk) ...;
//   const segs = await live.end()
//       a recording (at sampleRate, default 16 kHz; the engine resamples another rate): onSegment({start,
//       end, text}) as each phrase closes (the live transcript); partialMs > 0: onPartial({start, end, text}) while a
//       phrase is spoken; commands: true: each segment also has `action` and latency_ms (end of phrase -> action);
//       bias: true (with commands): biased decoding toward the set's phrases, `sotto listen --bias` (wasm CPU only):
//       the action then also has text (the text matched), decoded ('free' | 'command'), heard, logprob_free,
//       logprob_command, command_text; endpointMs > 0 (with commands): a phrase that is a command ends after that
//       much silence instead of 400 ms (`sotto listen --endpoint`; endpointDecodeMs: its text decoded earlier in the
//       pause, `--endpoint-decode`), and segments have speech_to_action_ms
//   const commands = await asr.loadCommands(wasmUrl, jsonText, name)    a voice command set (docs/voice.md):
//       [{name, confirm, say}]; a bad set: a one-line error (the last good one stays)
//   const {action, match_ms} = await asr.matchCommand(text)    a typed utterance -> {command, slots, confirm} or
//       {command: null, reason} (the JSON of `sotto listen`)
//   const segs = await asr.transcribe(pcm, onSegment, onProgress)
//       a whole recording; onProgress(done, total) in samples
//   const {speakers, labels, turns} = await asr.labelSpeakers(pcm, sampleRate, spans, count)
//       who speaks when in a whole recording (pcm at sampleRate): labels[i] (1-based) is the speaker of most of
//       spans[i] = [start, end] (seconds: the recording's phrases); count 1..8, or 0 to find it
//   asr.ready, asr.unavailable (why not, while not ready)
// Segments: {start, end} in seconds, text trimmed, words [{text, begin, end, confidence, uncertain}] and flags
// [{kind, words: [first, end), reason}] (web/speech-marks.mjs turns them into marks on the transcript). Errors: rejected promises with one-line messages.
// Does not: capture audio (audio.mjs) or touch the page.

import { lendThreadWorkers } from '../wasm/threads-host.mjs';

export class Recognizer {
  constructor(onStatus = () => {}) {
    this.worker = new Worker('/asr-worker.js', { type: 'module' });
    lendThreadWorkers(this.worker);  // its engine's threads are Workers of this page (wasm/threads-host.mjs)
    this.onStatus = onStatus;
    this.ready = false;
    this.unavailable = 'the speech model is still loading';
    this.nextId = 1;
    this.jobs = new Map();  // id -> {onSegment, onProgress, resolve, reject, segments}
    this.worker.onmessage = (ev) => this.receive(ev.data);
  }

  init(wasmUrl, modelUrl, backend = 'auto', speakerModelUrl = null, hub = null) {
    this.ready = false;
    this.unavailable = 'the speech model is still loading';
    this.speakerModelUrl = speakerModelUrl;
    this.onStatus({ state: 'loading' });
    this.worker.postMessage({ type: 'init', wasmUrl, modelUrl, backend, speakerModelUrl, hub });
  }

  receive(m) {
    if (m.type === 'progress') return this.onStatus({ state: 'loading', progress: m });
    if (m.type === 'ready') {
      this.ready = true;
      this.unavailable = null;
      return this.onStatus({ state: 'ready', ...m });
    }
    const job = this.jobs.get(m.id);
    if (m.type === 'error' && !job) {
      if (!this.ready) {
        this.unavailable = m.message;
        this.onStatus({ state: 'error', message: m.message });
      }
      return;
    }
    if (!job) return;
    switch (m.type) {
      case 'segment':
        job.segments.push(m.segment);
        job.onSegment?.(m.segment);
        return;
      case 'partial':
        job.onPartial?.(m.partial);
        return;
      case 'commands':
        this.jobs.delete(m.id);
        job.resolve(m.commands);
        return;
      case 'action':
        this.jobs.delete(m.id);
        job.resolve({ action: m.action, match_ms: m.match_ms });
        return;
      case 'asr-progress':
        job.onProgress?.(m.done, m.total);
        return;
      case 'stream-done': case 'transcribed':
        this.jobs.delete(m.id);
        job.resolve(job.segments);
        return;
      case 'speakers':
        this.jobs.delete(m.id);
        job.resolve({ speakers: m.speakers, labels: m.labels, turns: m.turns });
        return;
      case 'error':
        this.jobs.delete(m.id);
        job.reject(new Error(m.message));
        return;
    }
  }

  job(onSegment, onProgress) {
    const id = this.nextId++;
    const job = { onSegment, onProgress, segments: [] };
    job.done = new Promise((resolve, reject) => { job.resolve = resolve; job.reject = reject; });
    job.done.catch(() => {});  // a failure is reported to whoever awaits it, not as an unhandled rejection
    this.jobs.set(id, job);
    return [id, job];
  }

  stream(onSegment, sampleRate = 16000, { partialMs = 0, commands = false, bias = false, endpointMs = 0, endpointDecodeMs = 0,
                                          onPartial = null } = {}) {
    const [id, job] = this.job(onSegment);
    job.onPartial = onPartial;
    this.worker.postMessage({ type: 'stream-start', id, sampleRate, partialMs, commands, bias, endpointMs, endpointDecodeMs });
    return {
      push: (pcm) => { const c = pcm.slice(); this.worker.postMessage({ type: 'stream-chunk', id, pcm: c }, [c.buffer]); },
      end: () => { this.worker.postMessage({ type: 'stream-end', id }); return job.done; },
    };
  }

  transcribe(pcm, onSegment, onProgress) {
    const [id, job] = this.job(onSegment, onProgress);
    const copy = pcm.slice();
    this.worker.postMessage({ type: 'transcribe', id, pcm: copy }, [copy.buffer]);
    return job.done;
  }

  loadCommands(wasmUrl, json, name = 'commands.json') {
    const [id, job] = this.job();
    this.worker.postMessage({ type: 'commands-load', id, wasmUrl, json, name });
    return job.done;
  }

  matchCommand(text) {
    const [id, job] = this.job();
    this.worker.postMessage({ type: 'command-match', id, text });
    return job.done;
  }

  labelSpeakers(pcm, sampleRate, spans, speakers = 0) {
    const [id, job] = this.job();
    const copy = pcm.slice();
    this.worker.postMessage({ type: 'speakers', id, pcm: copy, sampleRate, spans, speakers, modelUrl: this.speakerModelUrl }, [copy.buffer]);
    return job.done;
  }
}

// The transcript text of segments: one phrase after another, separated by a space.
export const segmentsText = (segs) => segs.map((s) => s.text).filter((t) => t).join(' ');
