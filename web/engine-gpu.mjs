// engine-gpu.mjs — the note model on WebGPU (src/backend/webgpu through wasm/gpu-host.mjs), for the engine
// worker. Creating it uploads the model to the GPU and compiles the compute pipelines the model needs by
// running a short warm-up (prefill + a few greedy decode steps), so the first note does not pay for it.
//   const host = await GpuHost.tryCreate(navigator.gpu)            // null: no WebGPU here
//   const g = await NoteModelGpu.create(wasmModule, host, bytes, {name, nCtx, onProgress})
//   g.adapter            'google swiftshader' (vendor and architecture of the adapter)
//   g.pipelines          compute pipelines compiled;  g.warmupTokens  the warm-up's greedy tokens
//   g.schemaOutput       false: the WebGPU path decodes greedily without a grammar (wasm/sotto-abi.cpp
//                        sotto_gpu_*), so a note under a template's JSON Schema cannot be written on it yet;
//                        g.whyNot says so and the worker writes notes on the wasm CPU engine.
// onProgress({phase: 'load', what}) before the upload, {phase: 'pipelines', what, compiled} after each warm-up step.
// Does not: sample with a temperature or a grammar on the GPU (the gpusample work), speech.
import { Sotto } from '../wasm/sotto.mjs';

export const WARMUP_PROMPT = 'Transcript:\nPatient has had a cough for three days.';
const WARMUP_STEPS = 4;

export class NoteModelGpu {
  static async create(wasmModule, host, bytes, { name = 'note.gguf', nCtx = 4096, onProgress = () => {} } = {}) {
    const g = new NoteModelGpu(host);
    g.engine = await Sotto.create(wasmModule, { gpu: host, log: () => {} });
    onProgress({ phase: 'load', what: 'model onto the GPU' });
    await g.engine.load(bytes, { name, nCtx });
    const count = () => host.bySource.size;
    onProgress({ phase: 'pipelines', what: 'WebGPU pipelines', compiled: count() });
    await g.engine.gpuStart(g.engine.tokenize(WARMUP_PROMPT, true));
    onProgress({ phase: 'pipelines', what: 'WebGPU pipelines', compiled: count() });
    for (let i = 0; i < WARMUP_STEPS; i++) {
      const id = await g.engine.gpuNext();
      if (id < 0) break;
      g.warmupTokens.push(id);
      onProgress({ phase: 'pipelines', what: 'WebGPU pipelines', compiled: count() });
      if (g.engine.isEog(id)) break;
    }
    g.pipelines = count();
    return g;
  }

  constructor(host) {
    const info = host.adapter.info ?? {};
    this.host = host;
    this.adapter = [info.vendor, info.architecture].filter((x) => x).join(' ') || info.description || 'WebGPU adapter';
    this.fallbackAdapter = !!(info.isFallbackAdapter ?? host.adapter.isFallbackAdapter);
    this.engine = null;
    this.pipelines = 0;
    this.warmupTokens = [];
    this.backend = 'webgpu';
    this.schemaOutput = false;
    this.whyNot = 'the WebGPU path cannot constrain output to a template\'s JSON Schema yet';
  }

  dispose() { this.engine?.dispose(); }
}
