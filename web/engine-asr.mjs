// engine-asr.mjs — the speech recognizer on the wasm CPU backend, for asr-worker.js: wraps the speech C ABI
// of the wasm build (wasm/asr-abi.cpp) through the JS host wasm/sotto.mjs.
//   const a = await AsrEngine.create(wasmModule, ggufBytes, {name})
//   a.backend 'wasm-cpu-simd128';  a.arch 'moonshine' | 'whisper'
//   a.reset()                     a new stream
//   a.feed(pcm) -> segments       16 kHz Float32 samples; the phrases that closed
//   a.finish() -> segments        the phrase still open
//   a.seconds()                   audio fed since reset()
// Segments: {start, end, text} (seconds). Errors: one-line Errors (a trap poisons the instance: the next
// reset() re-creates it from the bytes kept here).
// Does not: resample, run on WebGPU.
import { Sotto } from '../wasm/sotto.mjs';

export class AsrEngine {
  static async create(wasmModule, bytes, { name = 'asr.gguf' } = {}) {
    const a = new AsrEngine(wasmModule, bytes, name);
    await a.revive();
    return a;
  }

  constructor(wasmModule, bytes, name) {
    this.wasmModule = wasmModule;
    this.bytes = bytes;
    this.name = name;
    this.backend = 'wasm-cpu-simd128';
    this.arch = '?';
    this.fed = 0;
  }

  async revive() {
    this.host = await Sotto.create(this.wasmModule, { log: () => {} });
    if (!this.host.exports.sotto_asr_create) throw new Error('this engine build has no speech recognition (wasm/asr-abi.cpp)');
    throw new Error('speech recognition is not wired to the engine yet');
  }

  reset() { this.fed = 0; }
  feed(pcm) { this.fed += pcm.length; return []; }
  finish() { return []; }
  seconds() { return this.fed / 16000; }
  dispose() { this.host?.dispose(); }
}
