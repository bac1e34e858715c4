// engine-gpu.mjs — the note model on WebGPU (src/backend/webgpu through wasm/gpu-host.mjs), for the engine
// worker. Creating it uploads the model to the GPU and compiles the compute pipelines the model needs by
// running a short warm-up (prefill + a few greedy decode steps), so the first note does not pay for it.
//   const host = await GpuHost.tryCreate(navigator.gpu)            // null: no WebGPU here
//   const g = await NoteModelGpu.create(wasmModule, host, bytes, {name, nCtx, onProgress})
//   g.adapter            'google swiftshader' (vendor and architecture of the adapter)
//   g.pipelines          compute pipelines compiled;  g.warmupTokens  the warm-up's greedy tokens
//   g.schemaOutput       whether this engine build samples under a grammar on the GPU (sotto_set_grammar +
//                        sotto_gpu_start_sampled of wasm/sotto-abi.cpp); when it does not, g.whyNot says so
//                        and the worker writes notes on the wasm CPU engine.
//   await g.start(schemaText, transcript, {temperature, seed}) -> prompt tokens
//                        the prompt of write_note (sotto_scribe_prompt), the template's schema as the grammar,
//                        the sampler chain on the GPU (as the CPU scribe's: top-k 40, top-p 0.95, min-p 0.05),
//                        with the CPU note's evidence constraint (sotto_scribe_gpu_evidence) when it is on
//   await g.step() -> {status, bytes}   as ScribeEngineCpu.step() (one token a call: forced tokens, already
//                        run with the sampled one, come back one per call)
// onProgress({phase: 'load', what}) before the upload, {phase: 'pipelines', what, compiled} after each warm-up step.
// After an engine error the instance is unusable: the worker drops this engine and goes on on the CPU.
// Does not: speech, support checks or FHIR (the CPU scribe engine does those).
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
    this.nCtx = 0;
  }

  get schemaOutput() { return typeof this.engine?.exports.sotto_gpu_start_sampled === 'function'; }
  get whyNot() { return this.schemaOutput ? null : 'the WebGPU path cannot constrain output to a template\'s JSON Schema yet'; }

  // The visit date (YYYY-MM-DD, or '' for none) that the next prompts carry (sotto_scribe_visit_date).
  visitDate(date) {
    const e = this.engine;
    const b = new TextEncoder().encode(date ?? '');
    const h = e.buffer(b);
    try {
      e.call('sotto_scribe_visit_date', e.call('sotto_buffer_data', h), b.length);
    } finally {
      if (!e.dead) e.call('sotto_buffer_free', h);
    }
  }

  async start(schemaText, transcript, { temperature = 0, seed = 1 } = {}) {
    const e = this.engine;
    const enc = new TextEncoder();
    const [sb, tb] = [enc.encode(schemaText), enc.encode(transcript)];
    const [sh, th] = [e.buffer(sb), e.buffer(tb)];
    let ids;
    try {
      e.call('sotto_scribe_prompt', e.call('sotto_buffer_data', sh), sb.length, e.call('sotto_buffer_data', th), tb.length);
      const user = new TextDecoder().decode(new Uint8Array(e.memory.buffer, e.call('sotto_scribe_out'), e.call('sotto_scribe_out_len')).slice());
      e.setGrammar({ schema: schemaText });
      ids = e.tokenize(user, true);
      const nCtx = e.call('sotto_n_ctx', e.session);
      if (ids.length >= nCtx) throw new Error(`the transcript is too long for the context: ${ids.length} prompt tokens, context ${nCtx}`);
      // The evidence constraint of a CPU note (free-text values copied from the transcript), for the start below.
      e.call('sotto_scribe_gpu_evidence', e.session, e.call('sotto_buffer_data', sh), sb.length, e.call('sotto_buffer_data', th), tb.length);
    } finally {
      if (!e.dead) { e.call('sotto_buffer_free', sh); e.call('sotto_buffer_free', th); }
    }
    await e.gpuStartSampled(ids, { temperature, seed });
    return ids.length;
  }

  async step() {
    const e = this.engine;
    const id = await e.gpuNext();
    if (id < 0) return { status: -1, bytes: new Uint8Array() };
    if (e.isEog(id)) return { status: 1, bytes: new Uint8Array() };
    return { status: 0, bytes: e.isSpecial(id) ? new Uint8Array() : e.piece(id) };
  }

  dispose() {  // the session's GPU buffers first, then the device this engine created
    this.engine?.dispose();
    this.host.device.destroy?.();
  }
}
