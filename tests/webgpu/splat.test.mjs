// splat.test.mjs — Gaussian splats on WebGPU (src/backend/webgpu/splat-*.wgsl through wasm/splat-abi.cpp and
// wasm/splat.mjs) in Node through Dawn (npm webgpu) on SwiftShader, against the CPU reference renderer of the same
// wasm build and the PyTorch references (tests/fixtures/splat/refs.txt):
//   * each fixture view: GPU frame vs CPU frame and vs PyTorch PSNR >= 40 dB (issue 23's bar); CPU vs PyTorch too;
//   * the GPU radix sort's order == the CPU's radix_depth_order (visible splats first, in the same order; the rest
//     culled), also for 700 splats of one depth (ties by index, across sort blocks) and 3000 random splats (frame
//     GPU vs CPU too: several batches and tiles, some splats behind the camera);
//   * the per-tile lists: the GPU's sorted (tile, splat) pairs, as per-tile ranges, == the CPU's tile_bins (every tile's
//     splats, in order: the pair count too) for each view; a scene whose pairs outgrow the first buffers is drawn
//     after the engine grows them (== CPU); where the adapter has timestamp-query, the stage times are reported;
//   * a malformed scene is refused in one line, and the engine renders again after.
// Usage: node tests/webgpu/splat.test.mjs [path/to/sotto.wasm]   (VK_ICD_FILENAMES: SwiftShader by default)
// Prints `N passed, M failed`; exit code 1 on failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from './dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { SottoSplat } = await import('../../wasm/splat.mjs');
const { Tally } = await import('../harness.mjs');

const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const dir = join(root, 'tests', 'fixtures', 'splat');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tally = new Tally();
const check = (cond, msg) => tally.check(cond, msg);

function psnr(a, b) {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? 200 : 10 * Math.log10(a.length / se);
}

const refs = readFileSync(join(dir, 'refs.txt'), 'utf8').trim().split('\n').map((line) => {
  const w = line.split(/\s+/);
  const f = w.slice(1, 13).map(Number);
  return { scene: w[0], view: { azimuth: f[0], elevation: f[1], radius: f[2], fov: f[3] }, target: f.slice(4, 7),
           width: f[7], height: f[8], bg: f.slice(9, 12), file: w[13] };
});

const host = await GpuHost.create(create([]), { forceFallbackAdapter: true, profile: true });
const engine = await Sotto.create(wasmModule, { gpu: host, log: () => {} });
const splat = await SottoSplat.create(engine);

function orderMatches(cpu, gpu, n) {
  check(gpu.length === n, `GPU order has ${gpu.length} entries, scene ${n}`);
  for (let k = 0; k < cpu.length; k++) {
    if (gpu[k] !== cpu[k]) throw new Error(`order differs at ${k}: GPU ${gpu[k]}, CPU ${cpu[k]}`);
  }
  const seen = new Uint8Array(n);
  for (const i of gpu) seen[i]++;
  check(seen.every((c) => c === 1), 'GPU order is not a permutation');
}

// The GPU's per-tile lists == the CPU's, tile by tile and in order (so the pair counts agree too).
function binsMatch(cpu, gpu, pairs) {
  check(gpu.offsets.length === cpu.offsets.length, `${gpu.offsets.length - 1} GPU tiles, CPU ${cpu.offsets.length - 1}`);
  check(pairs === cpu.splats.length && gpu.splats.length === pairs,
        `GPU ${pairs} pairs (${gpu.splats.length} read), CPU ${cpu.splats.length}`);
  for (let t = 0; t < cpu.offsets.length; t++) {
    if (gpu.offsets[t] !== cpu.offsets[t]) throw new Error(`tile ${t - 1} ends at ${gpu.offsets[t]} on the GPU, CPU ${cpu.offsets[t]}`);
  }
  for (let k = 0; k < cpu.splats.length; k++) {
    if (gpu.splats[k] !== cpu.splats[k]) throw new Error(`pair ${k}: GPU splat ${gpu.splats[k]}, CPU ${cpu.splats[k]}`);
  }
}

for (const r of refs) {
  await tally.test(`${r.scene} az ${r.view.azimuth} el ${r.view.elevation}: GPU == CPU == PyTorch`, async () => {
    const n = await splat.load(readFileSync(join(dir, r.scene)), { name: r.scene });
    const want = new Float32Array(readFileSync(join(dir, r.file)).buffer.slice(0));
    const opts = { width: r.width, height: r.height, view: r.view, target: r.target, bg: r.bg };
    const cpu = await splat.render({ ...opts, device: 'cpu', bins: true });
    const gpu = await splat.render({ ...opts, device: 'gpu', bins: true });
    binsMatch(cpu.bins, gpu.bins, gpu.pairs);
    const [pc, pg, pgc] = [psnr(cpu.frame, want), psnr(gpu.frame, want), psnr(gpu.frame, cpu.frame)];
    console.log(`      PSNR cpu/ref ${pc.toFixed(1)}, gpu/ref ${pg.toFixed(1)}, gpu/cpu ${pgc.toFixed(1)} dB; ` +
                `${cpu.order.length} of ${n} visible`);
    check(pc >= 40 && pg >= 40 && pgc >= 40, 'PSNR below 40 dB');
    orderMatches(cpu.order, gpu.order, n);
  });
}

await tally.test('700 splats of one depth: GPU sort == CPU sort (ties by index)', async () => {
  const n = 700, rec = new DataView(new ArrayBuffer(32 * n));
  for (let i = 0; i < n; i++) {
    const o = 32 * i;
    rec.setFloat32(o, ((i % 35) - 17) * 0.05, true);
    rec.setFloat32(o + 4, (Math.floor(i / 35) - 10) * 0.05, true);
    rec.setFloat32(o + 8, 0, true);  // one plane facing the camera: every view depth equal
    for (let k = 0; k < 3; k++) rec.setFloat32(o + 12 + 4 * k, 0.03, true);
    for (let k = 0; k < 4; k++) rec.setUint8(o + 24 + k, (i * 37 + k * 91) % 256);
    rec.setUint8(o + 27, 200);
    rec.setUint8(o + 28, 255);
    for (let k = 1; k < 4; k++) rec.setUint8(o + 28 + k, 128);
  }
  await splat.load(new Uint8Array(rec.buffer), { name: 'plane.splat' });
  const opts = { width: 32, height: 32, view: { azimuth: 0, elevation: 0, radius: 3, fov: 60 } };
  const cpu = await splat.render({ ...opts, device: 'cpu' });
  const gpu = await splat.render({ ...opts, device: 'gpu' });
  check(cpu.order.length > 256, `only ${cpu.order.length} visible`);
  for (let k = 1; k < cpu.order.length; k++) check(cpu.order[k] > cpu.order[k - 1], 'CPU ties not by index');
  orderMatches(cpu.order, gpu.order, n);
  check(psnr(gpu.frame, cpu.frame) >= 40, 'frame differs');
});

await tally.test('3000 random splats at 100 x 75 (35 tiles): GPU == CPU, sort == CPU sort', async () => {
  const n = 3000, rec = new DataView(new ArrayBuffer(32 * n));
  let seed = 23;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const o = 32 * i;
    for (let k = 0; k < 3; k++) rec.setFloat32(o + 4 * k, (rnd() - 0.5) * 2.4, true);
    for (let k = 0; k < 3; k++) rec.setFloat32(o + 12 + 4 * k, 0.01 + 0.08 * rnd(), true);
    for (let k = 0; k < 8; k++) rec.setUint8(o + 24 + k, Math.floor(rnd() * 256));
    rec.setUint8(o + 28, 200);  // w > 0: never a zero quaternion
  }
  const n1 = await splat.load(new Uint8Array(rec.buffer), { name: 'random.splat' });
  check(n1 === n, `${n1} splats`);
  const opts = { width: 100, height: 75, view: { azimuth: 40, elevation: 20, radius: 2.2, fov: 70 }, bg: [0.1, 0.2, 0.3] };
  const cpu = await splat.render({ ...opts, device: 'cpu', bins: true });
  const gpu = await splat.render({ ...opts, device: 'gpu', bins: true });
  const p = psnr(gpu.frame, cpu.frame);
  console.log(`      PSNR gpu/cpu ${p.toFixed(1)} dB; ${cpu.order.length} of ${n} visible; ${gpu.pairs} pairs`);
  check(p >= 40, 'PSNR below 40 dB');
  orderMatches(cpu.order, gpu.order, n);
  binsMatch(cpu.bins, gpu.bins, gpu.pairs);
  if (gpu.times) {
    const t = gpu.times;
    console.log(`      GPU ms (timestamps): project ${t.project.toFixed(2)}, sort ${t.sort.toFixed(2)}, ` +
                `bin ${t.bin.toFixed(2)}, render ${t.render.toFixed(2)}`);
    check(t.sort > 0 && t.bin > 0 && t.render > 0, 'a stage without GPU time');
  } else {
    console.log('      (no timestamp-query on this adapter: no stage times)');
  }
});

await tally.test('pairs beyond the first buffers (4500 splats over 16 tiles): grown, then == CPU', async () => {
  const n = 4500, rec = new DataView(new ArrayBuffer(32 * n));
  for (let i = 0; i < n; i++) {
    const o = 32 * i;
    rec.setFloat32(o, ((i % 10) - 4.5) * 0.05, true);
    rec.setFloat32(o + 4, (Math.floor(i / 10) % 10 - 4.5) * 0.05, true);
    rec.setFloat32(o + 8, (i % 7) * 0.01, true);
    for (let k = 0; k < 3; k++) rec.setFloat32(o + 12 + 4 * k, 3.0, true);  // each covers the whole frame
    for (let k = 0; k < 3; k++) rec.setUint8(o + 24 + k, (i * 53 + k * 71) % 256);
    rec.setUint8(o + 27, 255);  // opaque: pixels stop after a few splats (SwiftShader is slow per workgroup)
    rec.setUint8(o + 28, 255);
    for (let k = 1; k < 4; k++) rec.setUint8(o + 28 + k, 128);
  }
  await splat.load(new Uint8Array(rec.buffer), { name: 'big.splat' });
  const opts = { width: 64, height: 64, view: { azimuth: 0, elevation: 0, radius: 3, fov: 60 } };
  const bytes0 = engine.call('sotto_splat_gpu_bytes', 64, 64);
  const cpu = await splat.render({ ...opts, device: 'cpu', bins: true });
  const gpu = await splat.render({ ...opts, device: 'gpu', bins: true });
  const bytes1 = engine.call('sotto_splat_gpu_bytes', 64, 64);
  check(gpu.pairs === 72000 && bytes1 > bytes0, `${gpu.pairs} pairs, GPU bytes ${bytes0} -> ${bytes1}`);
  const p = psnr(gpu.frame, cpu.frame);
  console.log(`      ${gpu.pairs} pairs (first buffers: 65536); PSNR gpu/cpu ${p.toFixed(1)} dB`);
  check(p >= 40, 'PSNR below 40 dB');
  binsMatch(cpu.bins, gpu.bins, gpu.pairs);
});

await tally.test('a malformed scene: one-line error, then it renders again', async () => {
  let msg = '';
  try {
    await splat.load(new TextEncoder().encode('ply\nformat ascii 1.0\nelement vertex 1\nend_header\n'), { name: 'bad.ply' });
  } catch (e) {
    msg = e.message;
  }
  check(msg.includes('bad.ply: ascii .ply is not read') && !msg.includes('\n'), `error: '${msg}'`);
  const r = refs[0];
  await splat.load(readFileSync(join(dir, r.scene)), { name: r.scene });
  const gpu = await splat.render({ width: r.width, height: r.height, view: r.view, target: r.target, bg: r.bg, device: 'gpu' });
  const want = new Float32Array(readFileSync(join(dir, r.file)).buffer.slice(0));
  check(psnr(gpu.frame, want) >= 40, 'render after the error differs');
});

process.exit(tally.summary());
