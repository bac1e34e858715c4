// webgpu-sample-bench.mjs — the cost of sampling on the GPU and of the grammar mask on the WebGPU path
// (wasm/gpu-sample-check.cpp bench exports; Node + Dawn, npm `webgpu`). A logits row of --vocab random
// values (default 151936, Qwen2.5's), a synthetic vocabulary of that size, the SOAP template as schema.
// Per mode, two measurements:
//   kernels: --batch sampling steps recorded in one submit (each with its own mask upload through the
//            step's arena), one 4-byte read at the end: GPU time per step without the submit/read-back
//            round trip;
//   step:    one sampling step per submit + the 4-byte read-back, awaited (--steps of them): what a decode
//            step pays for its sampling, round trip included.
// Modes: argmax (the greedy kernel without grammar), sampler-greedy (GPU sampler, no mask), greedy+mask,
// sample+mask (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8), sample (same, no mask).
// In greedy+mask "step" mode the matcher follows the picked tokens (restarting at the end of a document),
// so the host mask time (matcher + packing, inside wasm) is a real per-step figure over many states.
// Prints one JSON line per mode and a Markdown table.
// Usage: node tools/bench/webgpu-sample-bench.mjs [--vocab 151936] [--batch 64] [--steps 300] [--reps 3]
//        [--wasm build-wasm/sotto.wasm] [--webgpu <module path>] [--fallback]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ vocab: 151936, batch: 64, steps: 300, reps: 3, fallback: false,
              wasm: join(root, 'build-wasm', 'sotto.wasm'),
              webgpu: join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js') });
const { create, globals } = await import(pathToFileURL(resolve(opt.webgpu)).href);
Object.assign(globalThis, globals);
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');

const host = await GpuHost.create(create([]), { forceFallbackAdapter: opt.fallback });
const info = host.adapter.info ?? {};
const e = await Sotto.create(readFileSync(opt.wasm), { gpu: host });
const schema = new TextEncoder().encode(readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8'));
e.withBuffer(schema, (p) => e.call('sotto_samplebench_setup', host.bindingLimit(), opt.vocab, p, schema.length));
await e.settle();

const MODES = ['argmax', 'sampler-greedy', 'greedy+mask', 'sample+mask', 'sample'];
const rows = [];
for (const [mode, name] of MODES.entries()) {
  // Warm-up: pipelines, bind groups, the grammar's first states.
  e.call('sotto_samplebench_record', mode, 4);
  await e.settle();
  let kernelUs = Infinity, stepUs = Infinity, maskUs = 0;
  for (let r = 0; r < opt.reps; r++) {
    let t = performance.now();
    e.call('sotto_samplebench_record', mode, opt.batch);
    await e.settle();
    kernelUs = Math.min(kernelUs, (performance.now() - t) * 1000 / opt.batch);
    let mask = 0;
    t = performance.now();
    for (let i = 0; i < opt.steps; i++) {
      mask += e.call('sotto_samplebench_record', mode, 1);
      await e.settle();
      if (mode === 2) e.call('sotto_samplebench_advance');
    }
    stepUs = Math.min(stepUs, (performance.now() - t) * 1000 / opt.steps);
    maskUs = Math.max(maskUs, mask * 1e6 / opt.steps);
  }
  const row = { mode: name, vocab: opt.vocab, batch_us_per_step: +kernelUs.toFixed(1), step_us: +stepUs.toFixed(1),
                host_mask_us: +maskUs.toFixed(2), mask_bytes: [2, 3].includes(mode) ? 4 * Math.ceil(opt.vocab / 32) : 0,
                adapter: `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim() };
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`\n| mode (vocab ${opt.vocab}) | GPU per step, ${opt.batch} per submit (us) | step incl. submit + 4-byte read (us) | host mask (us) | mask upload (bytes) |`);
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.mode} | ${r.batch_us_per_step} | ${r.step_us} | ${r.host_mask_us} | ${r.mask_bytes} |`);
e.dispose();
process.exit(0);
