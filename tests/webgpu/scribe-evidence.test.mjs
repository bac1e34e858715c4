// scribe-evidence.test.mjs — the note written on WebGPU (web/engine-gpu.mjs: the device sampler with the template's
// grammar) gets the evidence constraint of a CPU note (sotto_scribe_gpu_evidence; apps/scribe/evidence.h): on a
// held-out transcript where the constraint changes the bundled model's note, the greedy note on WebGPU (Node + Dawn
// on SwiftShader) == the wasm CPU engine's note with the constraint on (the default), != its note with it off.
// Usage: node tests/webgpu/scribe-evidence.test.mjs [path/to/sotto.wasm]   Prints `N passed, M failed`; exit 1 on failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from './dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { NoteModelGpu } = await import('../../web/engine-gpu.mjs');
const { ScribeEngineCpu } = await import('../../web/engine-cpu.mjs');
const { Tally } = await import('../harness.mjs');

const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const model = readFileSync(join(root, 'models', 'sotto-notes-q8_0.gguf'));
const schema = readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8');
// held-out example 1: the bundled model rewords its values without the constraint
const transcript = JSON.parse(readFileSync(join(root, 'tests', 'fixtures', 'notes', 'heldout.jsonl'), 'utf8').split('\n')[1]).transcript;
const tally = new Tally();

const dec = new TextDecoder();
async function write(engine) {
  await engine.start(schema, transcript, { temperature: 0, seed: 1 }, async () => true);
  const parts = [];
  for (let i = 0; i < 1024; ++i) {
    const { status, bytes } = await engine.step();
    parts.push(bytes);
    if (status !== 0) break;
  }
  return dec.decode(Buffer.concat(parts.map((b) => Buffer.from(b))));
}

const cpu = await ScribeEngineCpu.create(wasmModule, model, { nCtx: 2048 });
const cpuOn = await write(cpu);
cpu.host.call('sotto_scribe_evidence', 0);
const cpuOff = await write(cpu);
cpu.dispose();
const host = await GpuHost.create(create([]), { forceFallbackAdapter: true });
const gpu = await NoteModelGpu.create(wasmModule, host, model, { nCtx: 2048 });

await tally.test('the constraint changes this note on the CPU (so the comparison below can fail)', () => {
  tally.check(cpuOn !== cpuOff, 'the CPU notes with and without the constraint are equal');
  JSON.parse(cpuOn);
});
await tally.test('the note on WebGPU is the CPU note with the evidence constraint', async () => {
  const onGpu = await write(gpu);
  tally.check(onGpu === cpuOn, `WebGPU ${onGpu}\n  CPU (on) ${cpuOn}\n  CPU (off) ${cpuOff}`);
});
gpu.dispose();
process.exit(tally.summary());
