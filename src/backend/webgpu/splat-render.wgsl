// splat-render.wgsl — front-to-back compositing of each tile's list as the CPU reference does
// (src/splat/render.cpp `render`): the pixel centre inside the splat's square, power <= 0, alpha = min(0.99,
// opacity exp(power)) from 1/255, stop before transmittance falls under 1e-4, background behind.
// One workgroup a 16 x 16 tile, one thread a pixel. The tile's splats are the range of the tile-sorted pairs
// (tkeys ascending, tvals in depth order within a tile) found by two binary searches; they pass through workgroup
// memory in batches of 256 and every pixel walks them. The walk ends at the range's end or when every pixel of the
// tile is done. img: [height, width, 3] f32. Only the tile's splats are read: the cost is the pairs, not tiles x splats.
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
struct Pass { shift: u32, n: u32, n_blocks: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> sp: array<f32>;
@group(0) @binding(2) var<storage, read> tkeys: array<u32>;
@group(0) @binding(3) var<storage, read> tvals: array<u32>;
@group(0) @binding(4) var<storage, read> tpass: Pass;  // n: the number of pairs
@group(0) @binding(5) var<storage, read_write> img: array<f32>;

var<workgroup> geo: array<vec4f, 256>;    // mean x, mean y, radius, opacity
var<workgroup> conic: array<vec4f, 256>;  // a, b, c
var<workgroup> color: array<vec4f, 256>;
var<workgroup> n_done: atomic<u32>;
var<workgroup> stop: u32;
var<workgroup> range: vec2u;

// The first pair index whose tile is >= `tile` (keys ascending).
fn lower_bound(tile: u32, m: u32) -> u32 {
  var lo = 0u;
  var hi = m;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (tkeys[mid] < tile) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32, @builtin(num_workgroups) nwg: vec3u) {
  let x = wg.x * 16u + lid.x;
  let y = wg.y * 16u + lid.y;
  let inside = x < P.width && y < P.height;
  let px = f32(x) + 0.5;
  let py = f32(y) + 0.5;
  var done = !inside;
  var T = 1.0;
  var C = vec3f(0.0);
  if (t == 0u) {
    let tile = wg.y * nwg.x + wg.x;
    let m = tpass.n;
    range = vec2u(lower_bound(tile, m), lower_bound(tile + 1u, m));
    atomicStore(&n_done, 0u);
  }
  let r = workgroupUniformLoad(&range);
  for (var base = r.x; base < r.y; base += 256u) {
    let k = base + t;
    if (k < r.y) {
      let o = 12u * tvals[k];
      geo[t] = vec4f(sp[o], sp[o + 1u], sp[o + 10u], sp[o + 9u]);
      conic[t] = vec4f(sp[o + 2u], sp[o + 3u], sp[o + 4u], 0.0);
      color[t] = vec4f(sp[o + 6u], sp[o + 7u], sp[o + 8u], 0.0);
    }
    if (done) { atomicAdd(&n_done, 1u); }
    workgroupBarrier();
    if (t == 0u) {
      stop = select(0u, 1u, atomicLoad(&n_done) == 256u);
      atomicStore(&n_done, 0u);
    }
    let count = min(256u, r.y - base);
    if (!done) {
      for (var j = 0u; j < count; j++) {
        let e = geo[j];
        let dx = px - e.x;
        let dy = py - e.y;
        if (abs(dx) > e.z || abs(dy) > e.z) { continue; }
        let q = conic[j];
        let power = -0.5 * (q.x * dx * dx + q.z * dy * dy) - q.y * dx * dy;
        if (power > 0.0) { continue; }
        let alpha = min(0.99, e.w * exp(power));
        if (alpha < 1.0 / 255.0) { continue; }
        let next = T * (1.0 - alpha);
        if (next < 0.0001) {
          done = true;
          break;
        }
        C += color[j].xyz * alpha * T;
        T = next;
      }
    }
    if (workgroupUniformLoad(&stop) == 1u) { break; }
  }
  if (inside) {
    let q = 3u * (y * P.width + x);
    img[q] = C.x + T * P.bg[0];
    img[q + 1u] = C.y + T * P.bg[1];
    img[q + 2u] = C.z + T * P.bg[2];
  }
}
