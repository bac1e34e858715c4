// splat.mjs — Gaussian splats on the wasm engine (wasm/splat-abi.cpp; docs/splats.md):
//   const s = await SottoSplat.create(wasmOrSotto, {gpu})   // gpu: a GpuHost for the WebGPU path (optional)
//   const n = await s.load(bytes, {name})                   // .ply / .splat; a malformed file: a one-line Error
//   const {frame, order} = await s.render({width, height, view, target, bg, device})
//     view: {azimuth, elevation, radius, fov} (degrees; fov vertical, default 50); target [x, y, z]; bg [r, g, b];
//     device: 'cpu' (the reference renderer) or 'gpu' (splat-*.wgsl through the GPU host, settled before it returns).
//     frame: Float32Array [height * width * 3]; order: Uint32Array of splat indices by depth (cpu: the visible ones,
//     radix_depth_order; gpu: all of them, culled last, with `visible` the count before the first culled one).
import { Sotto } from './sotto.mjs';

export class SottoSplat {
  static async create(wasm, opts = {}) {
    const s = new SottoSplat();
    s.engine = wasm instanceof Sotto ? wasm : await Sotto.create(wasm, { threads: 1, ...opts });
    s.engine.onRevive(() => s.restore());
    return s;
  }

  constructor() {
    this.engine = null;
    this.lastGood = null;  // {u8, name}
    this.n = 0;
  }

  loadNow(u8, name) {
    const e = this.engine;
    const nameBytes = new TextEncoder().encode(name + '\0');
    this.n = e.withBuffer(u8, (p) => e.withBuffer(nameBytes, (np) => e.call('sotto_splat_load', p, u8.length, np)));
    return this.n;
  }

  restore() {
    this.n = 0;
    if (this.lastGood) this.loadNow(this.lastGood.u8, this.lastGood.name);
  }

  load(bytes, { name = 'scene.ply' } = {}) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.engine.guarded(async () => {
      const n = this.loadNow(u8, name);
      this.lastGood = { u8, name };
      return n;
    });
  }

  // mode (device 'gpu', benchmarks): 0 everything read back; 1 projection + sort only; 2 no frame read-back.
  render({ width, height, view = {}, target = [0, 0, 0], bg = [0, 0, 0], device = 'cpu', mode = 0 } = {}) {
    const { azimuth = 0, elevation = 20, radius = 4, fov = 50 } = view;
    const v = new Float32Array([azimuth, elevation, radius, fov, ...target]);
    const b = new Float32Array([...bg]);
    if (device !== 'cpu' && device !== 'gpu') throw new Error(`sotto splat: device '${device}' (cpu or gpu)`);
    if (device === 'gpu' && !this.engine.gpu) throw new Error('sotto splat: this engine has no WebGPU (create it with {gpu})');
    return this.engine.guarded(async () => {
      const e = this.engine;
      const bytes = (f) => new Uint8Array(f.buffer);
      e.withBuffer(bytes(v), (vp) => e.withBuffer(bytes(b), (bp) =>
        device === 'gpu' ? e.call('sotto_splat_render_gpu', width, height, vp, bp, mode)
                         : e.call('sotto_splat_render_cpu', width, height, vp, bp)));
      if (device === 'gpu') await e.settle();
      const frame = new Float32Array(e.memory.buffer, e.call('sotto_splat_frame'), width * height * 3).slice();
      const nOrder = e.call('sotto_splat_order_len');
      const order = new Uint32Array(e.memory.buffer, e.call('sotto_splat_order'), nOrder).slice();
      return { frame, order };
    });
  }
}
