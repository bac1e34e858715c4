// vision.test.mjs — images on the WebGPU engine (wasm/vision-abi.cpp, wasm/vision.mjs) in Node through Dawn (npm
// webgpu) on SwiftShader, against the wasm CPU engine, on the tiny fixtures (tests/fixtures/vision):
//   * the tower's rows on WebGPU (its ops, and the pixel shuffle as a gather of patch rows) == the CPU's, max abs diff
//     within 1e-4 of the rows' sd (the f32 tower; SOTTO_VISION_F16=1: the f16 one too), the q8_0 tower's within 5e-2 sd
//     (8-bit activations on the CPU) with one image at a placeholder, and against the f32 tower's rows: per-row
//     cosine >= 0.999, RMS error <= 3 %;
//   * greedy answers (two images before the question; one at a placeholder) == the CPU engine's token ids,
//     the prompt rows written over the <image> embeddings on the device;
//   * a schema with an image on WebGPU (the device sampler with the grammar) == the CPU engine's ids, a valid record;
//     greedy (pipelined) again after it.
// Usage: node tests/webgpu/vision.test.mjs [path/to/sotto.wasm]   (VK_ICD_FILENAMES: SwiftShader by default)
// Prints `N passed, M failed`; exit code 1 on failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from './dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { SottoVision } = await import('../../wasm/vision.mjs');
const { Tally } = await import('../harness.mjs');

const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const dir = join(root, 'tests', 'fixtures', 'vision');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

const LM = 'tiny-vlm-f32.gguf';
const TOL_SD = 1e-4;
const SIZES = { 'processor-small': [70, 45], 'processor-tall': [40, 100] };
const rgba = (name) => {
  const [width, height] = SIZES[name];
  return { width, height, data: new Uint8Array(readFileSync(join(dir, `${name}.rgba`))), name: `${name}.png` };
};
const small = rgba('processor-small'), tall = rgba('processor-tall');

function diffSd(a, b) {
  let mean = 0;
  for (const v of b) mean += v;
  mean /= b.length;
  let ss = 0, max = 0;
  for (let i = 0; i < b.length; i++) {
    ss += (b[i] - mean) ** 2;
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max / Math.sqrt(ss / b.length);
}

const host = await GpuHost.create(create([]), { forceFallbackAdapter: true });
const info = host.adapter.info ?? {};
console.log(`adapter: ${info.description || info.vendor || '?'}, binding limit ${host.bindingLimit()}`);
async function engines(mmproj) {
  const lm = readFileSync(join(dir, LM)), mm = readFileSync(join(dir, mmproj));
  const cpu = await Sotto.create(wasmModule, { log: () => {} });
  await cpu.load(lm, { name: LM });
  const gpu = await Sotto.create(wasmModule, { gpu: host, log: () => {} });
  await gpu.loadStream(Sotto.bytesSource(lm), { name: LM, nCtx: 512 });
  const vc = SottoVision.on(cpu), vg = SottoVision.on(gpu);
  await vc.load(mm, { name: mmproj });
  await vg.load(mm, { name: mmproj });
  return { cpu, gpu, vc, vg };
}

const QUESTION = 'What is in these pictures?';
// SwiftShader is slow (a decode step ~0.5 s here): the f32 tower only in the default run; SOTTO_VISION_F16=1 adds the f16
// tower (its rows: 1.8e-6 sd when last run).
// The q8_0 tower (one case): the two engines' Q8_0 matmuls round activations differently (the CPU's to 8 bits), so its
// bound is test-model-vision's for 8-bit activations against float64 (5e-2 sd).
// Per row of n values: the least cosine similarity between a and b, and the RMS of a - b over the RMS of b.
function rowStats(a, b, n) {
  let minCos = 1, se = 0, sb = 0;
  for (let r = 0; r < b.length / n; r++) {
    let dot = 0, aa = 0, bb = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; se += (a[i] - b[i]) ** 2;
    }
    sb += bb;
    minCos = Math.min(minCos, dot / Math.sqrt(aa * bb));
  }
  return { minCos, rmsRel: Math.sqrt(se / sb) };
}
let f32Rows = null;
const TOL = { 'tiny-mmproj-f32.gguf': TOL_SD, 'tiny-mmproj-f16.gguf': TOL_SD, 'tiny-mmproj-q8_0.gguf': 5e-2 };
for (const mmproj of ['tiny-mmproj-f32.gguf', 'tiny-mmproj-q8_0.gguf', ...(process.env.SOTTO_VISION_F16 ? ['tiny-mmproj-f16.gguf'] : [])]) {
  const { cpu, gpu, vc, vg } = await engines(mmproj);
  const cases = [['two images before the question', QUESTION, [small, tall]], ['a placeholder', 'Left: <image>. Count?', [tall]]]
    .slice(mmproj === 'tiny-mmproj-q8_0.gguf' ? 1 : 0);
  const TOL_SD = TOL[mmproj];
  for (const [label, prompt, images] of cases) {
    await test(`${mmproj}, ${label}: rows WebGPU == CPU within ${TOL_SD} sd, greedy ids equal`, async () => {
      const want = await vc.ask(prompt, { images, maxTokens: 6, temperature: 0 });
      const got = await vg.ask(prompt, { images, maxTokens: 6 });
      const d = diffSd(vg.lastRows(), vc.lastRows());
      console.log(`      rows of the last image: max abs diff ${d.toExponential(2)} sd (${vc.lastRows().length} floats)`);
      check(vg.lastRows().length === vc.lastRows().length && d <= TOL_SD, `rows differ by ${d} sd`);
      if (mmproj === 'tiny-mmproj-f32.gguf' && label === 'a placeholder') f32Rows = vc.lastRows();
      if (mmproj === 'tiny-mmproj-q8_0.gguf') {  // what Q8_0 costs on the GPU: against the f32 tower's rows, per row
        const { minCos, rmsRel } = rowStats(vg.lastRows(), f32Rows, 48);
        console.log(`      q8_0 on WebGPU vs the f32 tower: min row cosine ${minCos.toFixed(7)}, rms error ${(100 * rmsRel).toFixed(3)} %`);
        check(minCos >= 0.999 && rmsRel <= 3e-2, `cosine ${minCos}, rms ${rmsRel} (bounds 0.999, 3e-2)`);
      }
      check(got.nPrompt === want.nPrompt && got.tiles === want.tiles, `prompt ${got.nPrompt} / ${want.nPrompt} tokens`);
      check(want.ids.length > 0 && got.ids.join(' ') === want.ids.join(' '), `WebGPU ${got.ids} vs CPU ${want.ids}`);
    });
  }
  if (mmproj === 'tiny-mmproj-f32.gguf') {
    await test('a schema with an image on WebGPU (the device sampler and grammar) == the CPU engine; greedy again after', async () => {
      const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] } }, required: ['answer'] };
      const want = await vc.ask('Is there a gauge?', { images: [tall], maxTokens: 40, schema, temperature: 0 });
      const got = await vg.ask('Is there a gauge?', { images: [tall], maxTokens: 40, schema });
      check(got.ids.join(' ') === want.ids.join(' '), `WebGPU ${got.ids} vs CPU ${want.ids}`);
      check(['yes', 'no'].includes(JSON.parse(got.text).answer), `not the schema's record: ${JSON.stringify(got.text)}`);
      const g1 = await vc.ask(QUESTION, { images: [tall], maxTokens: 4, temperature: 0 });
      const g2 = await vg.ask(QUESTION, { images: [tall], maxTokens: 4 });
      check(g2.ids.join(' ') === g1.ids.join(' '), `greedy after: WebGPU ${g2.ids} vs CPU ${g1.ids}`);
    });
  }
  cpu.dispose();
  await gpu.drain();
  gpu.dispose();
}
process.exit(tally.summary());
