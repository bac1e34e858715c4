// splat-render.wgsl — one thread a pixel: front-to-back compositing of the depth-sorted splats as the CPU reference
// does (src/splat/render.cpp `render`): the pixel centre inside the splat's square, power <= 0, alpha = min(0.99,
// opacity exp(power)) from 1/255, stop before transmittance falls under 1e-4, background behind. Walks every sorted
// splat until the first culled key (no tile binning yet). img: [height, width, 3] f32.
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> sp: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<u32>;
@group(0) @binding(3) var<storage, read> vals: array<u32>;
@group(0) @binding(4) var<storage, read_write> img: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= P.width || gid.y >= P.height) { return; }
  let px = f32(gid.x) + 0.5;
  let py = f32(gid.y) + 0.5;
  var T = 1.0;
  var C = vec3f(0.0);
  for (var k = 0u; k < P.n; k++) {
    if (keys[k] == 0xffffffffu) { break; }
    let o = 12u * vals[k];
    let dx = px - sp[o];
    let dy = py - sp[o + 1u];
    let r = sp[o + 10u];
    if (abs(dx) > r || abs(dy) > r) { continue; }
    let power = -0.5 * (sp[o + 2u] * dx * dx + sp[o + 4u] * dy * dy) - sp[o + 3u] * dx * dy;
    if (power > 0.0) { continue; }
    let alpha = min(0.99, sp[o + 9u] * exp(power));
    if (alpha < 1.0 / 255.0) { continue; }
    let next = T * (1.0 - alpha);
    if (next < 0.0001) { break; }
    C += vec3f(sp[o + 6u], sp[o + 7u], sp[o + 8u]) * alpha * T;
    T = next;
  }
  let q = 3u * (gid.y * P.width + gid.x);
  img[q] = C.x + T * P.bg[0];
  img[q + 1u] = C.y + T * P.bg[1];
  img[q + 2u] = C.z + T * P.bg[2];
}
