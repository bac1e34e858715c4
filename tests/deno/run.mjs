// run.mjs — the JS host under Deno (tests/deno/run.sh runs it; it writes the native CLI's outputs first, as
// Deno runs with --allow-read only). wasm/sotto.mjs, wasm/asr.mjs and wasm/gpu-host.mjs are imported unchanged:
//   * greedy generation of 16 tokens on the wasm CPU backend gives byte for byte the text of
//     `sotto generate --temp 0` (gen-N.case: file and prompt; gen-N.out: the CLI's output); also on the
//     threaded build (sotto-mt.wasm beside sotto.wasm, when built) with 2 threads, Deno Workers;
//   * speech to text of samples/visit-soap.wav (decoded in wasm, fed in irregular chunks) on the wasm CPU
//     backend gives the segments of `sotto transcribe --json` (start, end, text, token counts from --timings);
//   * WebGPU on Deno's navigator.gpu (wgpu): tests/webgpu/checks.mjs (every op against the CPU backend, greedy
//     WebGPU == CPU on a few fixtures, generate()/cancel(), the BF16 refusal) and speech on WebGPU == CPU for
//     two ASR fixtures (tests/webgpu/asr-checks.mjs), a text and a speech engine on one host (mixed-checks.mjs).
//     Without an adapter the line `WebGPU: unavailable (...)` says why and only the CPU checks run, unless
//     --require-webgpu (then it is a failure).
// Usage: deno run --allow-read tests/deno/run.mjs <sotto.wasm> <expected dir> [--require-webgpu] [--fallback]
// Prints `N passed, M failed`; exit code 1 on failure.
import { Sotto } from '../../wasm/sotto.mjs';
import { SottoAsr } from '../../wasm/asr.mjs';
import { GpuHost } from '../../wasm/gpu-host.mjs';
import { runChecks } from '../webgpu/checks.mjs';
import { runAsrChecks } from '../webgpu/asr-checks.mjs';
import { runMixedChecks } from '../webgpu/mixed-checks.mjs';
import { Tally } from '../harness.mjs';

const root = new URL('../../', import.meta.url);
const file = (rel) => Deno.readFileSync(new URL(rel, root));
const args = Deno.args.filter((a) => !a.startsWith('--'));
const flags = Deno.args.filter((a) => a.startsWith('--'));
const [wasmPath, expDir] = args;
if (!wasmPath || !expDir) {
  console.error('usage: deno run --allow-read tests/deno/run.mjs <sotto.wasm> <expected dir> [--require-webgpu] [--fallback]');
  Deno.exit(2);
}
const wasmModule = await WebAssembly.compile(Deno.readFileSync(wasmPath));
const mtPath = wasmPath.replace(/sotto\.wasm$/, 'sotto-mt.wasm');
let mtModule = null;
try {
  if (mtPath !== wasmPath) mtModule = await WebAssembly.compile(Deno.readFileSync(mtPath));
} catch { /* not built */ }
console.log(`Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`);

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);
const latin1 = (b) => JSON.stringify(Array.from(b, (c) => String.fromCharCode(c)).join(''));

// Length of the longest prefix of b that does not end inside an incomplete UTF-8 sequence (the CLI prints
// such a tail as U+FFFD; as in tests/wasm/run.mjs).
function completePrefix(b) {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}

// --- greedy generation, wasm CPU == native CLI ---
const gens = [];
for (const ent of Deno.readDirSync(expDir)) {
  const m = /^gen-(\d+)\.case$/.exec(ent.name);
  if (m) gens.push(Number(m[1]));
}
gens.sort((a, b) => a - b);
await test(`native outputs present (${gens.length} generation cases)`, () => check(gens.length > 0, `none in ${expDir}`));
const builds = [['', wasmModule, 1], ...(mtModule ? [[' (sotto-mt.wasm, 2 threads)', mtModule, 2]] : [])];
for (const [label, module, threads] of builds) for (const k of gens) {
  const [model, prompt] = Deno.readTextFileSync(`${expDir}/gen-${k}.case`).split('\n');
  await test(`greedy 16 tokens, Deno wasm${label} == native: ${model}`, async () => {
    const e = await Sotto.create(module, { threads });
    check(e.threaded === (threads > 1), `threaded: ${e.threaded}`);
    await e.load(file(`tests/fixtures/models/${model}`), { name: model });
    check(e.threadsOf() === threads, `the session runs on ${e.threadsOf()} threads, not ${threads}`);
    e.start(e.tokenize(prompt), { temperature: 0 });
    const bytes = [], ids = [];
    for (let i = 0; i < 16; i++) {
      const id = e.step();
      if (id < 0) break;
      ids.push(id);
      if (e.isEog(id)) break;
      if (!e.isSpecial(id)) bytes.push(...e.piece(id));
    }
    e.dispose();
    let out = Uint8Array.from(bytes);
    const n = completePrefix(out);
    if (n < out.length) out = Uint8Array.from([...out.subarray(0, n), 0xef, 0xbf, 0xbd]);
    let native = Deno.readFileSync(`${expDir}/gen-${k}.out`);
    // The CLI ends its output with a newline when the text does not.
    if (native.at(-1) === 0x0a && out.at(-1) !== 0x0a) native = native.subarray(0, native.length - 1);
    check(ids.length > 0, 'no tokens generated');
    check(out.length === native.length && out.every((v, i) => v === native[i]),
          `text differs: wasm ${latin1(out)} (ids ${ids.join(' ')}) vs native ${latin1(native)}`);
  });
}

// --- speech to text, wasm CPU == native CLI ---
const show = (segs) => JSON.stringify(segs.map((s) => [s.start, s.end, s.text]));
for (const model of ['moonshine-f32.gguf', 'whisper-f16.gguf']) {
  await test(`Deno wasm CPU transcript == native sotto transcribe: ${model} on samples/visit-soap.wav`, async () => {
    const want = JSON.parse(Deno.readTextFileSync(`${expDir}/asr-${model}.json`)).segments;
    const counts = [...Deno.readTextFileSync(`${expDir}/asr-${model}.timings`).matchAll(/timing: phrase \S+ s +(\d+) tokens/g)]
      .map((m) => Number(m[1]));
    check(want.length >= 3 && counts.length === want.length,
          `native: ${want.length} segments, ${counts.length} timing lines`);
    check(want.some((s) => s.text.length > 0), 'native transcript is empty');
    const asr = await SottoAsr.create(wasmModule);
    const wav = asr.decodeWav(file('samples/visit-soap.wav'), 'visit-soap.wav');
    await asr.load(file(`tests/fixtures/asr/${model}`), { name: model, sampleRate: wav.sampleRate });
    const sizes = [4093, 97, 1601, 11, 8191];
    const got = [];
    for (let i = 0, k = 0; i < wav.samples.length; k++) {
      const n = sizes[k % sizes.length];
      got.push(...await asr.feed(wav.samples.subarray(i, i + n)));
      i += n;
    }
    got.push(...await asr.finish());
    asr.dispose();
    const same = got.length === want.length &&
      got.every((s, i) => s.start === want[i].start && s.end === want[i].end && s.text === want[i].text);
    check(same, `wasm ${show(got)}\nnative ${show(want)}`);
    check(got.every((s, i) => s.tokens === counts[i]), `token counts: wasm ${got.map((s) => s.tokens)} native ${counts}`);
  });
}

// --- WebGPU on Deno's navigator.gpu ---
const fallback = flags.includes('--fallback');
let why = null;
if (!globalThis.navigator?.gpu) {
  why = 'navigator.gpu is undefined in this Deno';
} else {
  try {
    const adapter = await navigator.gpu.requestAdapter({ forceFallbackAdapter: fallback });
    if (!adapter) why = `requestAdapter({forceFallbackAdapter: ${fallback}}) gave null (no Vulkan driver?)`;
    else {
      const missing = ['subgroups', 'shader-f16'].filter((f) => !adapter.features.has(f));
      const host = await GpuHost.create(navigator.gpu, { forceFallbackAdapter: fallback });
      console.log(`WebGPU: adapter ${adapter.info?.description || adapter.info?.vendor || '?'}; optional features ` +
                  `missing: ${missing.join(', ') || 'none'}; F16 kernel with shader-f16: ` +
                  `${host.shaderF16 ? 'yes' : adapter.features.has('shader-f16') ? 'no (its bitcast<vec4<f16>>(vec2<u32>) does not compile here)' : 'no'}`);
      host.device.destroy();
    }
  } catch (e) {
    why = `requestAdapter threw: ${e.message}`;
  }
}
if (why) {
  console.log(`WebGPU: unavailable (${why}); CPU checks only`);
  if (flags.includes('--require-webgpu')) await test('WebGPU adapter (--require-webgpu)', () => check(false, why));
} else {
  const load = (dir) => async (name) => file(`tests/fixtures/${dir}/${name}`);
  const r = await runChecks({
    Sotto, GpuHost, gpu: navigator.gpu, wasmModule, loadModel: load('models'),
    models: ['llama32-f32', 'qwen25-f16', 'qwen25-q8_0', 'gemma3-q4_0', 'smollm2-q8_0'],
    fallback, log: (line) => console.log(line),
  });
  const host = await GpuHost.create(navigator.gpu, { forceFallbackAdapter: fallback });
  const a = await runAsrChecks({ SottoAsr, host, wasmModule, loadAsr: load('asr'), log: (line) => console.log(line),
                                 models: ['moonshine-f16-untied.gguf', 'whisper-f32.gguf'] });
  tally.add(r);
  tally.add(a);
  // A text and a speech engine on one GpuHost, interleaved and concurrent == each alone.
  tally.add(await runMixedChecks({ Sotto, SottoAsr, host, wasmModule, loadModel: load('models'), loadAsr: load('asr'),
                                   log: (line) => console.log(line) }));
}
Deno.exit(tally.summary());
