// splat.mjs — Gaussian splats on the wasm engine (wasm/splat-abi.cpp; docs/splats.md):
//   const s = await SottoSplat.create(wasmOrSotto, {gpu})   // gpu: a GpuHost for the WebGPU path (optional)
//   const n = await s.load(bytes, {name})                   // .ply / .splat; a malformed file: a one-line Error
//   const {frame, order} = await s.render({width, height, view, target, bg, device})
//     view: {azimuth, elevation, radius, fov} (degrees; fov vertical, default 50); target [x, y, z]; bg [r, g, b];
//     device: 'cpu' (the reference renderer) or 'gpu' (splat-*.wgsl through the GPU host, settled before it returns).
//     frame: Float32Array [height * width * 3]; order: Uint32Array of splat indices by depth (cpu: the visible ones,
//     radix_depth_order; gpu: all of them, culled last, with `visible` the count before the first culled one).
//     bins: true adds {offsets, splats}: the per-tile lists (16 x 16 tiles, row-major; tile t's splats are
//     splats[offsets[t] .. offsets[t + 1]]): cpu: tile_bins of src/splat/render.h; gpu: the sorted (tile, splat) pairs.
//     GPU frames also give `pairs` (the (tile, splat) pair count) and, where the host was created with {profile: true}
//     on an adapter with timestamp-query, `times`: GPU milliseconds {project, sort, bin, render} from the
//     kernels' timestamps (sort: the depth sort; bin: the pairs and the tile sort).
//     mode (gpu, benchmarks and the page): 1 all but compositing, 2 no frame read-back, 4 the frame without the order
//     (the last frame also stays in the GPU buffer imageBuffer() returns).
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

  // mode (device 'gpu'): 0 everything read back; 1 all but compositing; 2 no frame read-back; 4 frame, not order.
  render({ width, height, view = {}, target = [0, 0, 0], bg = [0, 0, 0], device = 'cpu', mode = 0, bins = false } = {}) {
    const { azimuth = 0, elevation = 20, radius = 4, fov = 50 } = view;
    const v = new Float32Array([azimuth, elevation, radius, fov, ...target]);
    const b = new Float32Array([...bg]);
    if (device !== 'cpu' && device !== 'gpu') throw new Error(`sotto splat: device '${device}' (cpu or gpu)`);
    if (device === 'gpu' && !this.engine.gpu) throw new Error('sotto splat: this engine has no WebGPU (create it with {gpu})');
    const gpuMode = bins && mode === 0 ? 3 : mode;
    return this.engine.guarded(async () => {
      const e = this.engine, host = e.gpu;
      const bytes = (f) => new Uint8Array(f.buffer);
      const timed = device === 'gpu' && host.canProfile;
      const out = {};
      for (let attempt = 0; ; attempt++) {
        if (timed) {
          host.profileReset();
          host.profiling = true;
        }
        try {
          e.withBuffer(bytes(v), (vp) => e.withBuffer(bytes(b), (bp) =>
            device === 'gpu' ? e.call('sotto_splat_render_gpu', width, height, vp, bp, gpuMode)
                             : e.call('sotto_splat_render_cpu', width, height, vp, bp)));
          if (device === 'gpu') await e.settle();
        } finally {
          if (timed) host.profiling = false;
        }
        // More (tile, splat) pairs than the buffers held: nothing was drawn; the engine grows them for the next try.
        if (device !== 'gpu' || !e.call('sotto_splat_gpu_retry')) break;
        if (attempt === 2) throw new Error('sotto splat: the tile lists did not fit after 3 tries');
      }
      if (device === 'gpu') {
        out.pairs = e.call('sotto_splat_gpu_pairs');
        if (timed) out.times = SottoSplat.stageTimes(host.profileTable());
      }
      const n = (device === 'cpu' || mode === 0 || mode === 4) ? width * height * 3 : 0;
      out.frame = new Float32Array(e.memory.buffer, e.call('sotto_splat_frame'), n).slice();
      const nOrder = e.call('sotto_splat_order_len');
      out.order = new Uint32Array(e.memory.buffer, e.call('sotto_splat_order'), nOrder).slice();
      if (bins) {
        const all = new Uint32Array(e.memory.buffer, e.call('sotto_splat_bins'), e.call('sotto_splat_bins_len')).slice();
        const tiles = e.call('sotto_splat_bins_tiles');
        out.bins = { offsets: all.subarray(0, tiles + 1), splats: all.subarray(tiles + 1) };
      }
      return out;
    });
  }

  // GPU milliseconds by stage from the host's per-kernel timestamp rows (wasm/gpu-host.mjs profileTable()).
  static stageTimes(rows) {
    const t = { project: 0, sort: 0, bin: 0, render: 0 };
    for (const r of rows) {
      const k = r.kernel;
      const stage = k === 'splat-project' ? 'project' : k.startsWith('splat-sort-') ? 'sort'
        : k.startsWith('splat-bin-') || k.startsWith('splat-tile-') ? 'bin' : k === 'splat-render' ? 'render' : null;
      if (stage) t[stage] += r.gpu_us / 1000;
    }
    return t;
  }

  // {centre: [x, y, z], radius}: the mean position and the distance holding 90% of the splats (to frame a scene).
  extent() {
    const e = this.engine;
    const out = new Float32Array(4);
    e.withBuffer(new Uint8Array(out.buffer), (p) => {
      e.call('sotto_splat_extent', p);
      out.set(new Float32Array(e.memory.buffer, p, 4));
    });
    return { centre: [out[0], out[1], out[2]], radius: out[3] };
  }

  // The GPUBuffer holding the last GPU frame ([height, width, 3] f32), for drawing it without a read-back.
  imageBuffer() {
    return this.engine.gpuInstance?.buffers.get(this.engine.call('sotto_splat_gpu_image_id')) ?? null;
  }
}
