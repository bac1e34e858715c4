// check.mjs — correctness of tools/bench/gguf-to-onnx.py + ort-lm.mjs (the onnxruntime-web side of
// ort-bench), two ways:
//  A. fixtures (default): tests/fixtures/models/{qwen25,llama32,gemma3}-q4_0 and {qwen25,llama32}-f16 with
//     their PyTorch reference logits (tools/ref/make_fixtures.py: every position of a 24-token sequence).
//     ORT prefills the first 8 tokens (compares the logits of position 7), then feeds the rest one token
//     at a time through the KV cache (positions 8..23). Pass: max |ort - ref| <= tol * std(ref) at every
//     position, and the same argmax wherever the reference's top-2 gap exceeds that bound.
//     gemma3's fixture has 7 layers and a sliding window of 4: local and global layers, the window crossed.
//     Q8_0 fixtures ({qwen25,llama32,gemma3}-q8_0, f32 activations or --q8 nbits): --q8 nbits (MatMulNBits
//     bits 8, the exact weights) to the same bound; --q8 integer (default: Transformers.js' q8,
//     DynamicQuantizeLinear + MatMulInteger; quantized activations, requantized weights) to 0.3 std.
//  B. --engine: the bench's model shapes (tools/bench/webgpu-bench.mjs --save, --layers 2 --vocab 8192, random
//     weights) x q4_0, f16: greedy tokens from ORT == greedy tokens from our engine (the wasm build, CPU
//     backend) for the same prompt ids.
// Results (Dec 2026, onnxruntime-web 1.31.1): all pass on the wasm EP and on the native WebGPU EP (SwiftShader;
// before the Q8_0 fixtures were added, which have run on the wasm EP only);
// the JSEP build fails gemma3 on WebGPU (its GroupQueryAttention ignores the sliding window).
// EPs: --ep wasm (default; f32 activations) or webgpu (Dawn for Node; f16 activations where the adapter has
// shader-f16, else f32), --ort jsep|native (the two onnxruntime-web WebGPU builds, ort-lm.mjs).
// Usage: node tools/bench/ort-web/check.mjs [--ep wasm|webgpu] [--ort jsep|native] [--engine] [--wasm build-wasm/sotto.wasm]
//        [--python /usr/bin/python3 (default where it exists: Debian's, with onnx)] [--tmp /tmp/sotto-ort-check] [--fallback] [--ort-dir D] [--webgpu M]
//        [--fixtures tests/fixtures/models] [--tol T] [--dtype f16|f32] (the graph's activations; default above)
//        [--shard-mib N] (external data files of at most N MiB; 0: one per tensor) [--q8 integer|nbits]
//        [--only S] (only the fixtures whose name contains S)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrt, OrtLm, argmax, readGguf, ggufKvShape } from './ort-lm.mjs';
import { parseOptions } from '../options.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const opt = parseOptions({ ep: 'wasm', ort: 'native', engine: false, wasm: join(root, 'build-wasm', 'sotto.wasm'),
              python: process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'), tmp: '/tmp/sotto-ort-check', fallback: false,
              'ort-dir': '', webgpu: '', tol: 0, dtype: '', 'shard-mib': 2048, fixtures: join(root, 'tests', 'fixtures', 'models'),
              q8: 'integer', only: '' });
mkdirSync(opt.tmp, { recursive: true });
const rt = await loadOrt({ build: opt.ort, ep: opt.ep, ortDir: opt['ort-dir'] || undefined,
                           webgpuModule: opt.webgpu || undefined, fallback: opt.fallback });
const dtype = opt.dtype || (opt.ep === 'webgpu' && rt.features.includes('shader-f16') ? 'f16' : 'f32');
// Bounds in units of the reference logits' standard deviation: f32 activations differ from the f32
// PyTorch reference by rounding only; f16 activations (and f16 KV cache) by about 1e-3 relative per op.
const tolAll = opt.tol || (dtype === 'f16' ? 0.05 : 2e-3);
// Q8_0 in the integer form: uint8 activations (one scale per matrix call) and per-row int8 weights; measured
// 0.057 / 0.054 / 0.17 std (qwen25 / llama32 / gemma3); a wiring error costs >= 1.4 std (tried: square weights
// not transposed, one scale per matrix instead of per row).
const TOL_Q8_INTEGER = 0.3;
console.log(`ort-web ${opt.ort} build, ${opt.ep} EP (${rt.adapterInfo}${rt.features ? ', ' + rt.features : ''}), ${dtype} activations`);

const convert = (gguf, onnx) => execFileSync(opt.python, [join(root, 'tools', 'bench', 'gguf-to-onnx.py'), gguf, onnx,
                                                           '--dtype', dtype, '--max-pos', '1024',
                                                           '--shard-mib', String(opt['shard-mib']), '--q8', opt.q8],
                                                   { stdio: ['ignore', 'ignore', 'inherit'] });
let fails = 0;
const report = (ok, line) => { if (!ok) fails++; console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`); };

if (!opt.engine) {
  // Q8_0 in the integer form (Transformers.js' q8) needs f32 activations.
  const q8 = dtype === 'f32' || opt.q8 === 'nbits' ? ['qwen25-q8_0', 'llama32-q8_0', 'gemma3-q8_0'] : [];
  for (const name of ['qwen25-q4_0', 'llama32-q4_0', 'gemma3-q4_0', 'qwen25-f16', 'llama32-f16', ...q8]) {
    if (!name.includes(opt.only)) continue;
    // The integer form quantizes the activations to uint8 (one scale per matrix call) and the weights to one
    // scale per row: not rounding-level; its own bound (measured: see the header).
    const tol = name.endsWith('q8_0') && opt.q8 === 'integer' ? (opt.tol || TOL_Q8_INTEGER) : tolAll;
    const gguf = join(opt.fixtures, `${name}.gguf`);
    const onnx = join(opt.tmp, `${name}-${dtype}.onnx`);
    convert(gguf, onnx);
    const ref = readGguf(readFileSync(join(opt.fixtures, `${name}.ref.gguf`)));
    const tokens = Array.from(new Int32Array(Uint8Array.from(ref.tensors.tokens.data).buffer));
    const [V, n] = ref.tensors.logits.ne;
    const lg = new Float32Array(Uint8Array.from(ref.tensors.logits.data).buffer);
    const sh = ggufKvShape(readFileSync(gguf));
    const lm = await OrtLm.create(rt, onnx);
    lm.reset(sh.nKv, sh.headDim);
    const P = 8;
    let worst = 0, flips = 0, tied = 0;
    for (let pos = P - 1; pos < n; pos++) {
      const out = pos === P - 1 ? await lm.forward(tokens.slice(0, P)) : await lm.forward([tokens[pos]]);
      const r = lg.subarray(pos * V, (pos + 1) * V);
      let mean = 0;
      for (const v of r) mean += v / V;
      let sd = 0;
      for (const v of r) sd += (v - mean) ** 2 / V;
      sd = Math.sqrt(sd);
      let d = 0;
      for (let i = 0; i < V; i++) d = Math.max(d, Math.abs(out[i] - r[i]));
      worst = Math.max(worst, d / sd);
      const ra = argmax(r), oa = argmax(out);
      if (ra !== oa) {
        const sorted = Array.from(r).sort((a, b) => b - a);
        if (sorted[0] - sorted[1] > 2 * tol * sd) flips++; else tied++;
      }
    }
    await lm.dispose();
    report(worst <= tol && flips === 0, `${name}: ${n - P + 1} positions (prefill ${P} + ${n - P} cached steps), ` +
           `max |ort - torch| = ${worst.toExponential(2)} std (bound ${tol}), argmax differs at ${flips} clear + ${tied} near-tie positions`);
  }
} else {
  const { Sotto } = await import('../../../wasm/sotto.mjs');
  const wasm = readFileSync(opt.wasm);
  const P = 16, G = 16;
  for (const arch of ['qwen25', 'llama32', 'gemma3']) {
    for (const type of ['q4_0', 'f16']) {
      const gguf = join(opt.tmp, `${arch}-${type}.gguf`), onnx = join(opt.tmp, `${arch}-${type}-${dtype}.onnx`);
      execFileSync(process.execPath, [join(root, 'tools', 'bench', 'webgpu-bench.mjs'), '--arch', arch, '--type', type,
                                      '--layers', '2', '--vocab', '8192', '--save', gguf]);
      convert(gguf, onnx);
      const bytes = readFileSync(gguf);
      let rng = 777;
      const ids = Array.from({ length: P }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (8192 - 256)); });
      const engine = await Sotto.create(wasm);
      await engine.load(bytes, { name: `${arch}-${type}.gguf`, nCtx: 64 });
      engine.start(ids, { temperature: 0 });
      const ours = [];
      for (let i = 0; i < G; i++) ours.push(engine.step());
      engine.dispose();
      const sh = ggufKvShape(bytes);
      const lm = await OrtLm.create(rt, onnx);
      lm.reset(sh.nKv, sh.headDim);
      const theirs = [];
      let out = await lm.forward(ids);
      for (let i = 0; i < G; i++) {
        theirs.push(argmax(out));
        if (i + 1 < G) out = await lm.forward([theirs[i]]);
      }
      await lm.dispose();
      const same = ours.every((t, i) => t === theirs[i]);
      report(same, `${arch} ${type} (2 layers, vocab 8192): ${G} greedy tokens after ${P} prompt ids: ` +
             (same ? `identical (${[...new Set(ours)].length} distinct)` : `ours ${ours.join(' ')} | ort ${theirs.join(' ')}`));
    }
  }
}
console.log(fails ? `${fails} FAILED` : 'all ok');
process.exit(fails ? 1 : 0);
