// asr.mjs — speech to text in the wasm build (wasm/asr-abi.cpp) for a Web Worker, Node or Deno; no dependencies
// beyond wasm/sotto.mjs (the instance, WASI and error handling) and, for WebGPU, wasm/gpu-host.mjs. API:
//   const asr = await SottoAsr.create(wasmBytesOrModuleOrSotto, {gpu, log});  // gpu: a GpuHost, or none (CPU)
//   await asr.load(ggufBytes, {name, sampleRate});   // Moonshine or Whisper GGUF; sampleRate of what you feed
//   const segs = await asr.feed(float32Chunk);       // mono samples in [-1, 1]; returns the phrases that closed
//   const tail = await asr.finish();                 // end of the stream: the phrase still open
//   await asr.reset();  asr.dispose();             // reset: a new stream on the same model
// A segment is {start, end (seconds from the stream start), text, tokens (count), ids, hit_token_cap, encode_ms, decode_ms,
// latency_ms (end of phrase known -> final text, inside the engine), words [{text, begin, end, confidence,
// uncertain}], flags [{kind, words: [first, end), reason}]} (runtime/speech-confidence.h). Also SottoAsr.decodeWav(bytes) ->
// {samples: Float32Array (mono), sampleRate} and transcribe(samples, {chunk}) = feed in chunks + finish.
// Partial text while a phrase is spoken: asr.partial(everyMs) after a feed -> {start, end, text} or null (what `sotto
// listen --partial everyMs` prints at that point: the open phrase so far, at most once every everyMs of audio fed;
// always null on WebGPU).
// Biased decoding (`sotto listen --bias`): await asr.bias(gbnf) with a command set's grammar (SottoCommands.grammar());
// each closed phrase is then also decoded under it, and its segment has logprob, n_scored and biased {text, complete,
// logprob, n_scored, ms} for SottoCommands.choose(); asr.bias(null) turns it off. Kept by reset; wasm CPU only.
// Early end of speech (`sotto listen --endpoint`): await asr.endpoint({pauseMs: 200, commands: setJsonText, eosMin,
// margin, decodeMs}): a phrase paused for pauseMs ends there when it is a command of the set (or its eos is likely
// enough); decodeMs (`--endpoint-decode`) decodes it earlier in the pause, the end still decided at pauseMs;
// {pauseMs: 0} turns it off. Starts a new stream; kept by reset; wasm CPU only. Segments have speech_end (s), wait_ms
// (audio from the end of speech to the close), decoded_ms (to the decode of the text) and endpoint (why it closed:
// complete, eos, silence, finish).
// On WebGPU every decode step ends in a 4-byte read: feed()/finish() await the GPU between steps, so the
// event loop keeps running while a phrase is decoded (calls are queued: feed() may be called again before the
// previous one resolves, e.g. for each microphone chunk). On the CPU a phrase is decoded in one go.
// Errors: a one-line Error with the engine's message. As in sotto.mjs, the promise rejects once a fresh
// instance is up with the last good speech model reloaded (a new stream: what was fed before is gone);
// decodeWav, which is synchronous, revives the instance on its next call (CPU, single-threaded).
import { Sotto } from './sotto.mjs';

// Puts a session object on its engine (the Sotto given, or a new one from wasm bytes or a module) and has the
// engine call its restore() after a revive.
async function onEngine(self, wasm, opts) {
  self.engine = wasm instanceof Sotto ? wasm : await Sotto.create(wasm, opts);
  self.engine.onRevive(() => self.restore());
  return self;
}

export class SottoAsr {
  // wasm: bytes, a WebAssembly.Module, or an existing Sotto engine (then the speech session shares its
  // instance and memory; gpu and log come from it).
  static create(wasm, opts = {}) { return onEngine(new SottoAsr(), wasm, opts); }

  constructor() {
    this.engine = null;
    this.session = 0;
    this.queue = Promise.resolve();  // feed/finish run one after another (a GPU decode awaits between steps)
    this.lastGood = null;            // {u8, name, sampleRate} of the last model that loaded
    this.biasGrammar = null;         // {text, name} of bias(), put back after a revive
    this.endpointOpts = null;        // endpoint()'s options, the same
  }

  // Runs fn after every earlier feed/finish has completed (callers need not await each chunk before the next).
  serial(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  get gpu() { return this.engine.gpu; }

  load(bytes, { name = 'speech.gguf', sampleRate = 16000 } = {}) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.engine.guarded(async () => {
      this.create(u8, name, sampleRate);
      if (this.biasGrammar) this.setBias(this.biasGrammar.text, this.biasGrammar.name);
      if (this.endpointOpts) this.setEndpoint(this.endpointOpts);
      await this.engine.settle();
      this.lastGood = { u8, name, sampleRate };
    });
  }

  create(u8, name, sampleRate) {  // synchronous
    const e = this.engine;
    if (this.session) e.call('sotto_asr_free', this.session);
    this.session = 0;
    const handle = e.buffer(u8);
    const nameBytes = e.encoder.encode(name + '\0');
    const limit = e.gpu ? e.gpu.bindingLimit() : 0;
    this.session = e.withBuffer(nameBytes, (p) => e.call('sotto_asr_create', handle, p, sampleRate, limit, e.threads));
  }

  // After the engine revived (Sotto.onRevive): the last good model, a new stream.
  restore() {
    this.session = 0;
    const g = this.lastGood;
    if (!g) return undefined;
    this.create(g.u8, g.name, g.sampleRate);
    if (this.biasGrammar) this.setBias(this.biasGrammar.text, this.biasGrammar.name);
    if (this.endpointOpts) this.setEndpoint(this.endpointOpts);
    return this.engine.settle();
  }

  setEndpoint({ pauseMs = 0, decodeMs = 0, commands = '', name = 'commands.json', eosMin = 2, margin = 0.5 }) {  // synchronous
    const e = this.engine, s = this.requireSession();
    const bytes = e.encoder.encode(commands ?? '');
    e.withBuffer(bytes.length ? bytes : new Uint8Array(1), (p) => e.withBuffer(e.encoder.encode(name + '\0'), (n) =>
      e.call('sotto_asr_endpoint', s, pauseMs, eosMin, p, bytes.length, n, margin, decodeMs)));
  }

  // Early end of speech (see the top); a set that does not check rejects with its one-line error.
  endpoint(opts = {}) {
    return this.serial(() => this.engine.guarded(async () => {
      if (this.session) this.setEndpoint(opts);  // else load() applies it
      this.endpointOpts = opts.pauseMs ? { ...opts } : null;
    }));
  }

  setBias(text, name) {  // synchronous
    const e = this.engine, s = this.requireSession();
    const bytes = e.encoder.encode(text ?? '');
    e.withBuffer(bytes.length ? bytes : new Uint8Array(1), (p) =>
      e.withBuffer(e.encoder.encode(name + '\0'), (n) => e.call('sotto_asr_bias', s, p, bytes.length, n)));
  }

  // Biased decoding under a GBNF grammar (see the top); null: off. A grammar that does not parse rejects (one line).
  bias(gbnf, { name = 'commands (as a grammar)' } = {}) {
    return this.serial(() => this.engine.guarded(async () => {
      if (this.session) this.setBias(gbnf, name);  // else load() applies it
      this.biasGrammar = gbnf ? { text: String(gbnf), name } : null;
    }));
  }

  requireSession() {
    if (!this.session) throw new Error('sotto asr: no model loaded (call load first)');
    return this.session;
  }

  // Runs the queued decode steps; returns the completed segments.
  async drain() {
    const e = this.engine, s = this.requireSession();
    while (e.call('sotto_asr_step', s)) await e.settle();
    await e.settle();
    const ptr = e.call('sotto_asr_take', s);
    const text = new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr, e.call('sotto_asr_out_len', s)).slice());
    return JSON.parse(text);
  }

  feed(samples) {
    const f32 = samples instanceof Float32Array ? samples.slice() : Float32Array.from(samples);
    return this.serial(() => this.engine.guarded(async () => {
      const e = this.engine, s = this.requireSession();
      if (f32.length > 0) {
        const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
        e.withBuffer(bytes, (ptr) => e.call('sotto_asr_feed', s, ptr, f32.length));
      }
      return this.drain();
    }));
  }

  finish() {
    return this.serial(() => this.engine.guarded(async () => {
      this.engine.call('sotto_asr_finish', this.requireSession());
      return this.drain();
    }));
  }

  // Whole recording: fed in chunks of `chunk` samples (default 0.1 s at 16 kHz), then finished.
  async transcribe(samples, { chunk = 1600 } = {}) {
    const out = [];
    for (let i = 0; i < samples.length; i += chunk) out.push(...await this.feed(samples.subarray(i, i + chunk)));
    out.push(...await this.finish());
    return out;
  }

  // What the open phrase says so far, or null (see the top). Runs after the queued feeds.
  partial(everyMs = 300) {
    return this.serial(() => this.engine.guarded(async () => {
      const e = this.engine, s = this.requireSession();
      const ptr = e.call('sotto_asr_partial', s, everyMs);
      return JSON.parse(new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr, e.call('sotto_asr_out_len', s)).slice()));
    }));
  }

  reset() { return this.serial(() => this.engine.guarded(async () => this.engine.call('sotto_asr_reset', this.requireSession()))); }

  // Dispatches recorded on the GPU since the last call (0 on the CPU).
  gpuDispatches() { return this.engine.call('sotto_asr_dispatches', this.requireSession()); }

  // A WAV file (PCM 8/16/24/32-bit or float, any rate and channel count) as mono samples.
  decodeWav(bytes, name = 'audio.wav') {
    const e = this.engine;
    e.live();
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const handle = e.buffer(u8);
    const w = e.withBuffer(e.encoder.encode(name + '\0'), (p) => e.call('sotto_wav_read', handle, p));
    try {
      const n = e.call('sotto_wav_frames', w);
      const ptr = e.call('sotto_wav_samples', w);
      return { samples: new Float32Array(e.memory.buffer, ptr, n).slice(), sampleRate: e.call('sotto_wav_rate', w) };
    } finally {
      if (!e.dead) e.call('sotto_wav_free', w);
    }
  }

  dispose() {
    if (this.session && !this.engine.dead) this.engine.call('sotto_asr_free', this.session);
    this.session = 0;
  }
}

// Speaker labels for a whole recording (wasm/speaker-abi.cpp): the speaker-embedding model (models/
// sotto-speaker-f32.gguf) on the wasm CPU, turns and clustering as `sotto transcribe --speakers` runs them.
//   const spk = await SottoSpeakers.create(wasmOrSottoOrSottoAsr.engine);  await spk.load(ggufBytes, {name});
//   const {speakers, labels, turns} = await spk.label(samples, {sampleRate, speakers: 0, spans: [[start, end], ...]});
// spans: the transcript's phrases in seconds; labels: a 1-based speaker per span (the speaker of most of it);
// turns: [{start, end, speaker}]; speakers: 1..8, or 0 to find the count. Errors: one-line, as SottoAsr's.
export class SottoSpeakers {
  static create(wasm, opts = {}) { return onEngine(new SottoSpeakers(), wasm, opts); }

  constructor() {
    this.engine = null;
    this.session = 0;
    this.lastGood = null;
  }

  load(bytes, { name = 'speaker.gguf' } = {}) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.engine.guarded(async () => {
      this.create(u8, name);
      this.lastGood = { u8, name };
    });
  }

  create(u8, name) {
    const e = this.engine;
    if (this.session) e.call('sotto_spk_free', this.session);
    this.session = 0;
    const handle = e.buffer(u8);
    this.session = e.withBuffer(e.encoder.encode(name + '\0'), (p) => e.call('sotto_spk_create', handle, p, e.threads));
  }

  restore() {
    this.session = 0;
    if (this.lastGood) this.create(this.lastGood.u8, this.lastGood.name);
  }

  label(samples, { sampleRate = 16000, speakers = 0, spans = [] } = {}) {
    const f32 = samples instanceof Float32Array ? samples : Float32Array.from(samples);
    const idx = new Int32Array(2 * spans.length);
    spans.forEach(([a, b], i) => { idx[2 * i] = Math.round(a * 16000); idx[2 * i + 1] = Math.round(b * 16000); });
    return this.engine.guarded(async () => {
      const e = this.engine;
      if (!this.session) throw new Error('sotto speakers: no model loaded (call load first)');
      const u8 = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const ptr = e.withBuffer(u8(f32), (pcm) => e.withBuffer(u8(idx), (sp) =>
        e.call('sotto_spk_label', this.session, pcm, f32.length, sampleRate, speakers, sp, spans.length)));
      return JSON.parse(new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr, e.call('sotto_spk_out_len', this.session)).slice()));
    });
  }

  dispose() {
    if (this.session && !this.engine.dead) this.engine.call('sotto_spk_free', this.session);
    this.session = 0;
  }
}

// Voice commands (wasm/commands-abi.cpp: apps/voice/commands.h, what `sotto listen --commands` runs): a command set
// (JSON, docs/voice.md) and the mapping of an utterance to one of its commands or to "not a command".
//   const cmd = await SottoCommands.create(wasmOrSotto);   // its own small instance is best: a bad set traps it
//   await cmd.load(jsonText, {name})  -> the set's commands [{name, confirm, say: [phrases]}]; a set that does not
//                                   check rejects with the CLI's one-line Error ("set.json: command \"a\": ...") once a
//                                   fresh instance holds the last good set again
//   await cmd.match(text)        -> {command, slots, confirm} or {command: null, reason}: the JSON of `sotto listen`
//   await cmd.grammar()          -> the set as a GBNF grammar, for SottoAsr.bias()
//   await cmd.choose(segment, margin = 0.5) -> a phrase decoded twice (SottoAsr with bias) -> its action as `sotto
//                                   listen --bias` prints it: {text, command, slots, confirm | reason, decoded, heard,
//                                   logprob_free, logprob_command, command_text}
// The engine's own work takes microseconds; the promises only carry the revive after an error.
export class SottoCommands {
  static create(wasm, opts = {}) { return onEngine(new SottoCommands(), wasm, { threads: 1, ...opts }); }

  constructor() {
    this.engine = null;
    this.session = 0;
    this.lastGood = null;  // {text, name}
    this.commands = [];
  }

  out(ptr) {
    const e = this.engine;
    return JSON.parse(new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr, e.call('sotto_cmd_out_len', this.session)).slice()));
  }

  create(text, name) {
    const e = this.engine;
    const bytes = e.encoder.encode(text);
    const session = e.withBuffer(bytes, (p) => e.withBuffer(e.encoder.encode(name + '\0'), (n) => e.call('sotto_cmd_create', p, bytes.length, n)));
    if (this.session) e.call('sotto_cmd_free', this.session);
    this.session = session;
    this.commands = this.out(e.call('sotto_cmd_describe', session));
  }

  restore() {
    this.session = 0;
    if (this.lastGood) this.create(this.lastGood.text, this.lastGood.name);
  }

  load(text, { name = 'commands.json' } = {}) {
    return this.engine.guarded(async () => {
      this.create(String(text), name);
      this.lastGood = { text: String(text), name };
      return this.commands;
    });
  }

  match(text) {
    return this.engine.guarded(async () => {
      const e = this.engine;
      if (!this.session) throw new Error('sotto commands: no command set loaded (call load first)');
      const bytes = e.encoder.encode(String(text));
      return e.withBuffer(bytes, (p) => this.out(e.call('sotto_cmd_match', this.session, p, bytes.length)));
    });
  }

  grammar() {
    return this.engine.guarded(async () => {
      const e = this.engine;
      if (!this.session) throw new Error('sotto commands: no command set loaded (call load first)');
      const ptr = e.call('sotto_cmd_grammar', this.session);
      return new TextDecoder().decode(new Uint8Array(e.memory.buffer, ptr, e.call('sotto_cmd_out_len', this.session)).slice());
    });
  }

  choose(segment, margin = 0.5) {
    const { text, hit_token_cap, logprob, n_scored, biased } = segment;
    const json = JSON.stringify({ text, hit_token_cap, logprob, n_scored, ...(biased ? { biased } : {}) });
    return this.engine.guarded(async () => {
      const e = this.engine;
      if (!this.session) throw new Error('sotto commands: no command set loaded (call load first)');
      const bytes = e.encoder.encode(json);
      return e.withBuffer(bytes, (p) => this.out(e.call('sotto_cmd_choose', this.session, p, bytes.length, margin)));
    });
  }

  dispose() {
    if (this.session && !this.engine.dead) this.engine.call('sotto_cmd_free', this.session);
    this.session = 0;
  }
}
