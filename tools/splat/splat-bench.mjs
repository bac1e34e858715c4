// splat-bench.mjs — frame time of the WebGPU splat path (wasm/splat.mjs) at a given size for scenes of N random
// splats (the 32-byte .splat layout, SH degree 0, made in memory: no files), in Node through Dawn:
//   sort  = projection + the 4-pass radix depth sort + the per-tile lists (pairs, tile sort), ending in a read-back
//           of the pair count (mode 1);
//   frame = all that + compositing, ending in a 4-byte read-back of the frame (mode 2);
//   render = frame - sort. Each is the median of REPS frames after 2 warm-up frames, wall time from the call to the
//   settled read-back (so it includes one submit and a ~40 us read-back round trip).
// Where the adapter has timestamp-query, one more frame with a timestamp around every dispatch (a pass each: a bit
// slower than the plain frame) gives GPU ms per stage: project, depth sort, bin (pairs + tile sort), render.
// Also the GPU bytes of the scene, pair and frame buffers (per million splats) and the (tile, splat) pairs.
// Usage: node tools/splat/splat-bench.mjs WASM [--sizes 100000,1000000] [--size 1920x1080] [--reps 5] [--fallback]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const wasmPath = args[0];
const sizes = opt('--sizes', '100000,1000000').split(',').map(Number);
const [width, height] = opt('--size', '1920x1080').split('x').map(Number);
const reps = Number(opt('--reps', '5'));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader;  // a CPU machine: SwiftShader (smoke runs)
}
const webgpu = process.env.WEBGPU ?? join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js');
const { create, globals } = await import(pathToFileURL(webgpu).href);
Object.assign(globalThis, globals);
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { SottoSplat } = await import('../../wasm/splat.mjs');

const host = await GpuHost.create(create([]), { forceFallbackAdapter: args.includes('--fallback'), profile: true });
const info = host.adapter.info ?? {};
console.log(`adapter: ${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim());
const engine = await Sotto.create(await WebAssembly.compile(readFileSync(wasmPath)), { gpu: host, log: () => {} });
const splat = await SottoSplat.create(engine);

function scene(n) {
  const rec = new DataView(new ArrayBuffer(32 * n));
  let seed = 1;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const size = 0.1 / Math.max(1, Math.cbrt(n / 1000));
  for (let i = 0; i < n; i++) {
    const o = 32 * i, u = rnd() * 2 * Math.PI, v = rnd() * 2 * Math.PI, r = 0.35 * Math.sqrt(rnd());
    rec.setFloat32(o, (1 + r * Math.cos(v)) * Math.cos(u), true);  // a filled torus
    rec.setFloat32(o + 4, r * Math.sin(v), true);
    rec.setFloat32(o + 8, (1 + r * Math.cos(v)) * Math.sin(u), true);
    for (let k = 0; k < 3; k++) rec.setFloat32(o + 12 + 4 * k, size * (0.3 + 0.7 * rnd()), true);
    for (let k = 0; k < 8; k++) rec.setUint8(o + 24 + k, Math.floor(rnd() * 256));
    rec.setUint8(o + 28, 200);
  }
  return new Uint8Array(rec.buffer);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
async function time(mode) {
  const opts = { width, height, view: { azimuth: 30, elevation: 25, radius: 3.5, fov: 50 }, device: 'gpu', mode };
  const ts = [], canProfile = host.canProfile;
  host.canProfile = false;  // plain frames: one pass, no timestamps (splat.mjs times only where canProfile)
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    await splat.render(opts);
    if (i >= 2) ts.push(performance.now() - t0);
  }
  host.canProfile = canProfile;
  return median(ts);
}

console.log(`timestamps: ${host.canProfile ? 'yes' : 'no (the adapter has no timestamp-query)'}`);
console.log(`| splats | size | sort ms | frame ms | render ms | GPU ms project / sort / bin / render | pairs | GPU MB | ` +
            `MB per 1M splats |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const n of sizes) {
  await splat.load(scene(n), { name: `random-${n}.splat` });
  const sort = await time(1), frame = await time(2);
  let stages = '-';
  const r = await splat.render({ width, height, view: { azimuth: 30, elevation: 25, radius: 3.5, fov: 50 }, device: 'gpu', mode: 2 });
  const pairs = r.pairs;
  if (r.times) stages = ['project', 'sort', 'bin', 'render'].map((k) => r.times[k].toFixed(2)).join(' / ');
  const mb = engine.call('sotto_splat_gpu_bytes', width, height) / 2 ** 20;
  const mbScene = (mb - width * height * 12 / 2 ** 20) / (n / 1e6);
  console.log(`| ${n} | ${width}x${height} | ${sort.toFixed(2)} | ${frame.toFixed(2)} | ${(frame - sort).toFixed(2)} | ` +
              `${stages} | ${pairs} | ${mb.toFixed(0)} | ${mbScene.toFixed(0)} |`);
}
process.exit(0);
