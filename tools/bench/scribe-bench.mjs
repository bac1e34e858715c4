// scribe-bench.mjs — the scribe's time from "transcript ready" to "note complete" with the browser app's engines
// (web/engine-gpu.mjs on WebGPU, web/engine-cpu.mjs on the wasm CPU backend), in Node (Dawn for WebGPU): the note
// model (default: the bundled models/sotto-notes-q8_0.gguf) writes a SOAP note under the template's schema from a
// transcript of about --tokens prompt tokens (the sample conversation repeated with numbered visits), greedy,
// at most --max-tokens. Prints per engine: prompt tokens, the time start() takes (tokenize + prompt read + first
// token), note tokens and time, the total, and the WebGPU / wasm ratio of the totals and of prompt reading. The
// WebGPU side first runs the app's warm-up (pipelines compiled, NoteModelGpu.create), as the app does before
// a note. The note's text is not the point (the bundled model was trained on short dictations); its length
// is reported so both engines are compared on the same work: greedy, both write the same tokens unless
// near-ties part them (then the per-token rates still compare).
// Usage: node tools/bench/scribe-bench.mjs [--tokens 2000] [--max-tokens 400] [--model PATH] [--wasm PATH]
//        [--webgpu <module path>] [--fallback] [--cpu] (also the wasm CPU engine, one thread)
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ tokens: 2000, 'max-tokens': 400, model: join(root, 'models', 'sotto-notes-q8_0.gguf'),
                           wasm: join(root, 'build-wasm', 'sotto.wasm'), fallback: false, cpu: false,
                           webgpu: join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js') });
const { create, globals } = await import(pathToFileURL(resolve(opt.webgpu)).href);
Object.assign(globalThis, globals);
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { NoteModelGpu } = await import('../../web/engine-gpu.mjs');
const { ScribeEngineCpu } = await import('../../web/engine-cpu.mjs');

const wasmModule = await WebAssembly.compile(readFileSync(opt.wasm));
const model = readFileSync(opt.model);
const schema = readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8');
const sample = readFileSync(join(root, 'samples', 'visit-soap-conversation.txt'), 'utf8').trim();

const host = await GpuHost.create(create([]), { forceFallbackAdapter: opt.fallback });
const gpu = await NoteModelGpu.create(wasmModule, host, model, { name: 'note.gguf' });
// The transcript: the sample repeated until the prompt has about --tokens tokens.
let transcript = '';
for (let visit = 1; ; visit++) {
  const next = transcript + `Visit ${visit}.\n${sample}\n`;
  if (gpu.engine.tokenize(next, true).length > opt.tokens && transcript) break;
  transcript = next;
}

async function run(engine, name) {
  const dec = new TextDecoder();
  const t0 = performance.now();
  const prompt = await engine.start(schema, transcript, { temperature: 0 });
  const t1 = performance.now();
  let text = '', tokens = 1, status = 0;
  for (; tokens < opt['max-tokens']; tokens++) {
    const r = await engine.step();
    text += dec.decode(r.bytes, { stream: true });
    status = r.status;
    if (status !== 0) break;
  }
  const t2 = performance.now();
  const r = { engine: name, prompt_tokens: prompt, start_s: +((t1 - t0) / 1000).toFixed(3),
              prompt_tok_s: +(prompt / ((t1 - t0) / 1000)).toFixed(1), note_tokens: tokens,
              note_s: +((t2 - t1) / 1000).toFixed(3), note_tok_s: +(tokens / ((t2 - t1) / 1000)).toFixed(1),
              total_s: +((t2 - t0) / 1000).toFixed(3), complete: status === 1, note_chars: text.length };
  console.log(JSON.stringify(r));
  return r;
}

const info = host.adapter.info ?? {};
console.error(`adapter: ${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}; transcript ` +
              `${transcript.length} chars`);
const g = await run(gpu, 'webgpu');
if (opt.cpu) {
  const cpu = await ScribeEngineCpu.create(wasmModule, model, { name: 'note.gguf' });
  const c = await run(cpu, 'wasm-cpu-1-thread');
  console.log(JSON.stringify({ webgpu_over_wasm_total: +(c.total_s / g.total_s).toFixed(2),
                               webgpu_over_wasm_prompt: +(g.prompt_tok_s / c.prompt_tok_s).toFixed(2),
                               webgpu_over_wasm_note_tok_s: +(g.note_tok_s / c.note_tok_s).toFixed(2) }));
}
process.exit(0);
