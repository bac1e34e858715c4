// engine-cpu.mjs — the scribe engine on the wasm CPU backend (SIMD128): wraps the JS host wasm/sotto.mjs
// (instance, WASI imports, traps -> Errors) and calls the scribe ABI (wasm/scribe-abi.cpp) through it.
// The interface the worker uses, small on purpose so a WebGPU engine can stand in for this one:
//   const e = await ScribeEngineCpu.create(wasmModule, model, {name, nCtx})
//                                               model: GGUF bytes, or an async function returning them
//                                               (then no copy is kept outside the wasm memory)
//   e.backend                                   'wasm-cpu-simd128'
//   e.threads                                   the CPU backend's threads (1, or more on sotto-mt.wasm)
//   await e.start(schemaText, transcript, {temperature, seed}, between) -> prompt tokens (-1: stopped by
//                                               between(done, total), awaited after each prefill chunk)
//   e.step() -> {status, bytes}                 status 0: more, 1: note complete, -1: context full;
//                                               bytes: the new UTF-8 text (may split a character)
//   e.check(schemaText, noteText, transcript, uncertain) -> {markdown, support: [{path, value, spans,
//                                               unsupported, flagged, checked, why, uncertain_speech}]}
//                                               (spans: UTF-8 byte offsets); uncertain: [[b, e, reason]] of
//                                               the words speech recognition was unsure of (UTF-8 byte
//                                               offsets; web/speech-marks.mjs), or omitted
//   e.windows(schemaText, transcript, maxTokens) -> {windows: [[b, e]] (UTF-8 byte offsets), maxTokens: [per
//                                               window], promptTokens, trainedContext, windowTokens, message}
//                                               how `sotto note` reads the transcript (apps/scribe/window.h)
//   e.merge(schemaText, noteTexts, windows, transcript) -> the merged note's JSON text
//   e.fhir(schemaText, noteText, {bundle_id, composition_id, timestamp, author}) -> FHIR Bundle JSON text
//   e.dispose()
// After an engine error (a trap) the wasm instance is unusable; the next call re-creates it and reloads
// the model (from the bytes kept here, or by calling the loader again, e.g. from the Cache API), so one bad
// note does not cost a page reload.
// Works in browsers (inside a Web Worker) and in Node (tests/web/scribe-engine.test.mjs).
import { Sotto } from '../wasm/sotto.mjs';

const enc = new TextEncoder();
const dec = new TextDecoder();

export class ScribeEngineCpu {
  static async create(wasmModule, model, { name = 'note.gguf', nCtx = 4096 } = {}) {
    const e = new ScribeEngineCpu(wasmModule, model, name, nCtx);
    await e.revive();
    return e;
  }

  constructor(wasmModule, model, name, nCtx) {
    this.wasmModule = wasmModule;
    this.loadModel = typeof model === 'function' ? model
      : async () => (model instanceof Uint8Array ? model : new Uint8Array(model));
    this.name = name;
    this.nCtx = nCtx;
    this.host = null;
    this.session = 0;
    this.backend = 'wasm-cpu-simd128';
  }

  // The wasm CPU engine's threads (more than 1 on the threaded build, web/engine-wasm.mjs).
  get threads() { return this.host?.threads ?? 1; }

  async revive() {
    const bytes = await this.loadModel();
    this.host?.dispose();  // a trapped instance: its thread Workers go with it
    this.host = await Sotto.create(this.wasmModule, { log: () => {} });
    const h = this.host;
    const handle = h.buffer(bytes);
    this.session = h.withBuffer(enc.encode(this.name + '\0'),
                                (p) => h.call('sotto_scribe_create', handle, p, this.nCtx, h.threads));
  }

  async ready() { if (this.host.dead) await this.revive(); }

  dispose() {  // the instance and its thread Workers
    this.host?.dispose();
    this.host = null;
  }

  // Calls fn(ptr, len) for each string, in order, with the strings copied into engine buffers.
  withStrings(strings, fn) {
    const h = this.host;
    const bufs = strings.map((s) => { const b = enc.encode(s); return [h.buffer(b), b.length]; });
    try {
      return fn(bufs.map(([hd, n]) => [h.call('sotto_buffer_data', hd), n]).flat());
    } finally {
      if (!h.dead) for (const [hd] of bufs) h.call('sotto_buffer_free', hd);
    }
  }

  out() {
    const h = this.host;
    const ptr = h.call('sotto_scribe_out'), n = h.call('sotto_scribe_out_len');
    return dec.decode(new Uint8Array(h.memory.buffer, ptr, n).slice());  // shared memory (threaded build): copy first
  }

  // The visit date (YYYY-MM-DD, or '' for none) that the next prompts carry (sotto_scribe_visit_date).
  visitDate(date) {
    this.withStrings([date ?? ''], (a) => this.host.call('sotto_scribe_visit_date', ...a));
  }

  // Prefills in chunks of 32 tokens, awaiting `between(done, total)` after each: it may yield to the event
  // loop (a cancel arrives) and returns true to stop (then start returns -1).
  async start(schemaText, transcript, { temperature = 0, seed = 1 } = {}, between = null) {
    const s64 = BigInt.asUintN(64, BigInt(seed));
    const n = this.withStrings([schemaText, transcript], (a) =>
      this.host.call('sotto_scribe_start', this.session, ...a, temperature,
                     Number(s64 & 0xffffffffn), Number(s64 >> 32n)));
    for (;;) {
      const left = this.host.call('sotto_scribe_prefill', this.session, 32);
      if (between && await between(n - left, n)) return -1;
      if (left === 0) return n;
    }
  }

  // Raw bytes of a step may end inside a UTF-8 character: the caller decodes with {stream: true}.
  step() {
    const status = this.host.call('sotto_scribe_step', this.session);
    const h = this.host;
    const ptr = h.call('sotto_scribe_out'), n = h.call('sotto_scribe_out_len');
    return { status, bytes: new Uint8Array(h.memory.buffer, ptr, n).slice() };
  }

  check(schemaText, noteText, transcript, uncertain = []) {
    const u = uncertain.length ? JSON.stringify(uncertain) : '';
    this.withStrings([schemaText, noteText, transcript, u], (a) => this.host.call('sotto_scribe_check', ...a));
    return JSON.parse(this.out());
  }

  windows(schemaText, transcript, maxTokens) {
    this.withStrings([schemaText, transcript], (a) =>
      this.host.call('sotto_scribe_windows', this.session, ...a, maxTokens));
    return JSON.parse(this.out());
  }

  merge(schemaText, noteTexts, windows, transcript) {
    this.withStrings([schemaText, JSON.stringify({ notes: noteTexts, windows }), transcript],
                     (a) => this.host.call('sotto_scribe_merge', ...a));
    return this.out();
  }

  fhir(schemaText, noteText, args) {
    this.withStrings([schemaText, noteText, JSON.stringify(args)], (a) => this.host.call('sotto_scribe_fhir', ...a));
    return this.out();
  }
}
