// engine-asr.mjs — the speech recognizer on the wasm CPU backend, for asr-worker.js: wasm/asr.mjs (the JS
// wrapper of the speech C ABI, wasm/asr-abi.cpp: the Transcriber of `sotto transcribe`, so the same samples
// give the same transcript) with the small interface the worker needs.
//   const a = await AsrEngine.create(wasmModule, ggufBytes, {name, gpu})   gpu: a GpuHost (WebGPU) or none
//   a.backend 'webgpu' | 'wasm-cpu-simd128';  a.arch (general.architecture: 'moonshine', 'whisper')
//   a.why                              why the engine left WebGPU (it failed there), else null
//   await a.reset(sampleRate)          a new stream of samples at that rate (another rate than 16 kHz is
//                                      resampled in the engine: the session is re-created for a new rate)
//   await a.feed(pcm) -> segments      Float32 samples at that rate; the phrases that closed
//   await a.finish() -> segments       the phrase still open
//   await a.partial(everyMs) -> {start, end, text} | null   what the open phrase says so far (`sotto listen
//                                      --partial`; null on WebGPU, or when there is nothing new)
//   a.seconds()                        audio fed since reset()
//   await a.bias(gbnf | null)          biased decoding under a command set's grammar (wasm/asr.mjs SottoAsr.bias; kept
//                                      across reset and revive); the segments then carry hit_token_cap, logprob,
//                                      n_scored and biased, for SottoCommands.choose
//   await a.endpoint({pauseMs, commands, eosMin, margin})   early end of speech (SottoAsr.endpoint; kept across reset
//                                      and revive); segments carry speech_end, wait_ms and endpoint
// Segments: {start, end, text, words, flags, latency_ms} (seconds from the stream start; text trimmed; word confidence and
// flags as the ABI gives them; latency_ms: end of phrase known -> final text, in the engine). Errors: one-line Errors; a
// trap poisons the wasm instance, so the next reset() re-creates it from the bytes kept here (on the wasm CPU
// when it was WebGPU that failed).
import { SottoAsr } from '../wasm/asr.mjs';

// general.architecture of a GGUF file (its first metadata keys), or '?'.
export function ggufArch(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder();
  try {
    if (dec.decode(bytes.subarray(0, 4)) !== 'GGUF') return '?';
    const nKv = Number(v.getBigUint64(16, true));
    let o = 24;
    const str = () => { const n = Number(v.getBigUint64(o, true)); o += 8; const s = dec.decode(bytes.subarray(o, o + n)); o += n; return s; };
    for (let i = 0; i < Math.min(nKv, 8); i++) {
      const key = str(), type = v.getUint32(o, true);
      o += 4;
      if (type !== 8) return '?';  // the architecture comes first, and only strings before it are walked
      const val = str();
      if (key === 'general.architecture') return val;
    }
  } catch { /* truncated: unknown */ }
  return '?';
}

export class AsrEngine {
  static async create(wasmModule, bytes, { name = 'asr.gguf', gpu = null } = {}) {
    const a = new AsrEngine(wasmModule, bytes, name, gpu);
    await a.revive();
    return a;
  }

  constructor(wasmModule, bytes, name, gpu) {
    this.wasmModule = wasmModule;
    this.bytes = bytes;
    this.name = name;
    this.gpu = gpu;
    this.why = null;
    this.backend = gpu ? 'webgpu' : 'wasm-cpu-simd128';
    this.arch = ggufArch(bytes);
    this.asr = null;
    this.rate = 16000;
    this.fed = 0;
    this.biasGrammar = null;
    this.endpointOpts = null;
  }

  async revive() {
    if (this.asr && this.gpu) {  // the WebGPU engine died: go on on the wasm CPU
      this.why = 'the WebGPU engine failed';
      this.gpu.device.destroy?.();
      this.gpu = null;
      this.backend = 'wasm-cpu-simd128';
    }
    this.asr?.engine?.dispose();  // a trapped instance: its thread Workers go with it
    this.asr = await SottoAsr.create(this.wasmModule, { log: () => {}, ...(this.gpu ? { gpu: this.gpu } : {}) });
    if (!this.asr.engine.exports.sotto_asr_create) throw new Error('this engine build has no speech recognition (wasm/asr-abi.cpp)');
    if (this.biasGrammar) await this.asr.bias(this.biasGrammar);
    if (this.endpointOpts) await this.asr.endpoint(this.endpointOpts);
    await this.asr.load(this.bytes, { name: this.name, sampleRate: this.rate });
  }

  async endpoint(opts) {
    const on = opts?.pauseMs > 0 ? opts : null;
    if (this.gpu && on) throw new Error('early end of speech runs on the wasm CPU, not on WebGPU');
    if (JSON.stringify(on) === JSON.stringify(this.endpointOpts)) return;
    await this.asr.endpoint(on ?? { pauseMs: 0 });
    this.endpointOpts = on;
  }

  async bias(gbnf) {
    if (this.gpu && gbnf) throw new Error('biased decoding runs on the wasm CPU, not on WebGPU');
    if ((gbnf || null) === this.biasGrammar) return;  // compiled already
    await this.asr.bias(gbnf || null);
    this.biasGrammar = gbnf || null;
  }

  // The wasm CPU engine's threads (more than 1 on the threaded build, web/engine-wasm.mjs; WebGPU: 1).
  get threads() { return this.asr?.engine?.threads ?? 1; }

  static segments(list) {
    return list.map((s) => ({ start: s.start, end: s.end, text: s.text, words: s.words ?? [], flags: s.flags ?? [],
                              latency_ms: s.latency_ms, speech_end: s.speech_end, wait_ms: s.wait_ms, endpoint: s.endpoint,
                              ...(s.biased ? { hit_token_cap: s.hit_token_cap, logprob: s.logprob, n_scored: s.n_scored,
                                               biased: s.biased } : {}) }));
  }

  async reset(sampleRate = 16000) {
    const rate = this.rate;
    this.rate = sampleRate;
    // A dead instance, or a WebGPU one that trapped (sotto.mjs revived it on the GPU): a new engine (on the CPU).
    if (this.asr.engine.dead || (this.gpu && this.asr.engine.traps > 0)) await this.revive();
    else if (rate !== sampleRate) await this.asr.load(this.bytes, { name: this.name, sampleRate });
    else this.asr.reset();
    this.fed = 0;
  }

  async feed(pcm) { this.fed += pcm.length; return AsrEngine.segments(await this.asr.feed(pcm)); }
  async finish() { return AsrEngine.segments(await this.asr.finish()); }
  partial(everyMs) { return this.asr.partial(everyMs); }
  seconds() { return this.fed / this.rate; }
  dispose() {
    this.asr?.dispose();
    this.gpu?.device.destroy?.();
  }
}
