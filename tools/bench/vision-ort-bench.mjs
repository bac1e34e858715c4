// vision-ort-bench.mjs — the vision tower on onnxruntime-web (what Transformers.js runs SmolVLM on): the graph of
// tools/bench/vision-to-onnx.py, made from the same mmproj GGUF the engine runs, one 512 x 512 tile per session.run,
// on ORT's WebGPU EP (Dawn for Node, tools/bench/ort-web/ort-lm.mjs loadOrt) or its wasm EP.
// Measures (best of --reps after one warm-up run): the tower per tile (pixels in, image_features [64, T] read back),
// --tiles runs back to back (SmolVLM's default tiling of a 512 x 512 photo: 17), peak GPU memory of ORT's device
// buffers, session creation time. --check REF.gguf instead compares the output for REF's `pixels` with its `embeds`
// (tests/fixtures/vision/tiny-mmproj-*.ref.gguf: siglip_ref.py in float64), max abs diff / the reference's sd.
// One JSON line (and a summary on stderr).
// Usage: node tools/bench/vision-ort-bench.mjs --onnx tower.onnx [--ep webgpu|wasm] [--tiles 1] [--reps 3]
//        [--check REF.gguf] [--fallback] [--ort native] [--ort-dir D] [--webgpu M] [--threads 1]
import { readFileSync } from 'node:fs';
import { loadOrt, readGguf } from './ort-web/ort-lm.mjs';
import { parseOptions } from './options.mjs';

const opt = parseOptions({ onnx: '', ep: 'webgpu', tiles: 1, reps: 3, check: '', fallback: false, ort: 'native', 'ort-dir': '',
                           webgpu: '', threads: 1 });
if (!opt.onnx) throw new Error('vision-ort-bench.mjs: --onnx is required');
const rt = await loadOrt({ build: opt.ort, ep: opt.ep, ortDir: opt['ort-dir'] || undefined, webgpuModule: opt.webgpu || undefined,
                           fallback: opt.fallback, trackMemory: true, threads: opt.threads });
const model = readFileSync(opt.onnx);
const t0 = performance.now();
const session = await rt.ort.InferenceSession.create(model, { executionProviders: [opt.ep], graphOptimizationLevel: 'all',
                                                              logSeverityLevel: 3 });
const loadS = (performance.now() - t0) / 1000;
const [, , S] = session.inputMetadata?.[0]?.shape ?? [1, 3, 512, 512];
const size = S || 512;
const run = async (px) => {
  const out = await session.run({ pixel_values: new rt.ort.Tensor('float32', px, [1, 3, size, size]) });
  const f = out.image_features;
  const data = await f.getData();
  f.dispose?.();
  return { data, dims: f.dims };
};

if (opt.check) {
  const ref = readGguf(readFileSync(opt.check)).tensors;
  const u8 = (t) => new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  const px = u8(ref.pixels), want = u8(ref.embeds);
  const { data, dims } = await run(px);
  let mean = 0, ss = 0, max = 0;
  for (const v of want) mean += v;
  mean /= want.length;
  for (let i = 0; i < want.length; i++) { ss += (want[i] - mean) ** 2; max = Math.max(max, Math.abs(data[i] - want[i])); }
  const sd = Math.sqrt(ss / want.length);
  console.log(JSON.stringify({ check: opt.check, ep: opt.ep, dims, n: data.length, expected: want.length, max_abs_diff: max, sd,
                               max_diff_sd: max / sd }));
  process.exit(data.length === want.length && max / sd < 1e-1 ? 0 : 1);
}

let rng = 7;
const px = Float32Array.from({ length: 3 * size * size }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return rng / 2 ** 31 - 1; });
await run(px);  // warm-up: shaders, uploads
let best = Infinity, dims;
for (let r = 0; r < opt.reps; r++) {
  const t = performance.now();
  for (let i = 0; i < opt.tiles; i++) dims = (await run(px)).dims;
  best = Math.min(best, (performance.now() - t) / 1000);
}
const result = {
  runtime: `onnxruntime-web ${rt.ort.env.versions?.web ?? ''} ${opt.ort} ${opt.ep}`.trim(), adapter: rt.adapterInfo,
  features: rt.features, tiles: opt.tiles, tile: size, image_features: dims, tower_s: +best.toFixed(4),
  tower_s_per_tile: +(best / opt.tiles).toFixed(4), peak_gpu_bytes: rt.memory?.peak ?? 0, onnx_bytes: model.length,
  load_s: +loadS.toFixed(2), reps: opt.reps,
};
console.log(JSON.stringify(result));
console.error(`${result.runtime} on ${result.adapter}: tower ${result.tower_s} s for ${opt.tiles} tile(s) ` +
              `(${result.tower_s_per_tile} s/tile), peak GPU ${(result.peak_gpu_bytes / 2 ** 20).toFixed(0)} MiB`);
await session.release();
process.exit(0);
