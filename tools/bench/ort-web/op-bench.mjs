// op-bench.mjs — what one weight matrix costs onnxruntime-web's wasm EP (one thread, as ort-lm.mjs sets it)
// in each form tools/bench/ort-web/matmul-ops.py writes: the median of 7 session.run calls (after one warm-up)
// at M = 1 (a decode step) and M = 64 (a prompt), per graph. --log: instead, ORT's verbose log of session
// creation and one M = 1 run per graph (grep it for "unpacked compute mode": MatMulNBits' fallback, the weights
// dequantized to f32 before an f32 GEMM on every run; "DynamicQuantizeMatMulFusion modified: 1": the fusion).
// Usage: python3 tools/bench/ort-web/matmul-ops.py /tmp/ops && node --no-liftoff tools/bench/ort-web/op-bench.mjs
//        --dir /tmp/ops [--k 896 (matmul-ops.py's --k)] [--graphs f32,nbits4,nbits4_acc4,nbits8,integer,integer_u8] [--log]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrt } from './ort-lm.mjs';
import { parseOptions } from '../options.mjs';

const opt = parseOptions({ dir: '', k: 896, graphs: 'f32,nbits4,nbits4_acc4,nbits8,integer,integer_u8', log: false });
if (!opt.dir) throw new Error('op-bench.mjs: --dir (the output folder of matmul-ops.py) is required');
const rt = await loadOrt({ ep: 'wasm' });
const T = rt.ort.Tensor;
if (opt.log) rt.ort.env.logLevel = 'verbose';
for (const name of opt.graphs.split(',')) {
  const model = readFileSync(join(opt.dir, `${name}.onnx`));
  const verbose = opt.log ? { logSeverityLevel: 0, logVerbosityLevel: 0 } : {};
  const s = await rt.ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...verbose });
  const K = opt.k;
  const res = [];
  for (const M of opt.log ? [1] : [1, 64]) {
    const x = new T('float32', Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), [M, K]);
    await s.run({ x }, verbose);
    if (opt.log) break;
    const ts = [];
    for (let r = 0; r < 7; r++) {
      const t = performance.now();
      await s.run({ x });
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    res.push(`M=${M}: ${ts[3].toFixed(2)} ms`);
  }
  if (!opt.log) console.log(`${name.padEnd(12)} ${res.join('  ')}`);
  await s.release();
}
process.exit(0);
