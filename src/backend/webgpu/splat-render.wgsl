// splat-render.wgsl — front-to-back compositing of the depth-sorted splats as the CPU reference does
// (src/splat/render.cpp `render`): the pixel centre inside the splat's square, power <= 0, alpha = min(0.99,
// opacity exp(power)) from 1/255, stop before transmittance falls under 1e-4, background behind.
// One workgroup a 16 x 16 tile, one thread a pixel: the sorted splats pass in batches of 256, each thread loading one
// and testing whether its square can reach the tile (conservative: the per-pixel test decides); those that can are
// packed to the front of workgroup memory in depth order (a prefix sum of the flags), and every pixel walks only
// them. The walk ends at the first culled key (culled splats sort last) or when every pixel of the tile is done.
// No per-tile lists yet: each tile still reads every visible splat's record once. img: [height, width, 3] f32.
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> sp: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<u32>;
@group(0) @binding(4) var<storage, read_write> img: array<f32>;

var<workgroup> geo: array<vec4f, 256>;    // mean x, mean y, radius, opacity (the batch's splats that can reach the tile)
var<workgroup> conic: array<vec4f, 256>;  // a, b, c
var<workgroup> color: array<vec4f, 256>;
var<workgroup> n_done: atomic<u32>;
var<workgroup> end_seen: atomic<u32>;
var<workgroup> stop: u32;
var<workgroup> scan: array<u32, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let x = wg.x * 16u + lid.x;
  let y = wg.y * 16u + lid.y;
  let inside = x < P.width && y < P.height;
  let px = f32(x) + 0.5;
  let py = f32(y) + 0.5;
  let tx0 = f32(wg.x * 16u);
  let ty0 = f32(wg.y * 16u);
  var done = !inside;
  var T = 1.0;
  var C = vec3f(0.0);
  if (t == 0u) {
    atomicStore(&n_done, 0u);
    atomicStore(&end_seen, 0u);
  }
  workgroupBarrier();
  for (var base = 0u; base < P.n; base += 256u) {
    let k = base + t;
    var flag = 0u;
    var o = 0u;
    if (k < P.n) {
      if (keys[k] == 0xffffffffu) {
        atomicStore(&end_seen, 1u);
      } else {
        o = 12u * vals[k];
        let r = sp[o + 10u];
        let mx = sp[o];
        let my = sp[o + 1u];
        if (mx + r >= tx0 && mx - r <= tx0 + 16.0 && my + r >= ty0 && my - r <= ty0 + 16.0) { flag = 1u; }
      }
    }
    if (done) { atomicAdd(&n_done, 1u); }
    // Inclusive prefix sum of the flags (Hillis-Steele), then the flagged splats packed in order.
    scan[t] = flag;
    workgroupBarrier();
    for (var off = 1u; off < 256u; off <<= 1u) {
      var v = scan[t];
      if (t >= off) { v += scan[t - off]; }
      workgroupBarrier();
      scan[t] = v;
      workgroupBarrier();
    }
    let count = scan[255];
    if (flag == 1u) {
      let at = scan[t] - 1u;
      geo[at] = vec4f(sp[o], sp[o + 1u], sp[o + 10u], sp[o + 9u]);
      conic[at] = vec4f(sp[o + 2u], sp[o + 3u], sp[o + 4u], 0.0);
      color[at] = vec4f(sp[o + 6u], sp[o + 7u], sp[o + 8u], 0.0);
    }
    workgroupBarrier();
    if (t == 0u) {
      stop = select(0u, 1u, atomicLoad(&end_seen) != 0u || atomicLoad(&n_done) == 256u);
      atomicStore(&n_done, 0u);
    }
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
