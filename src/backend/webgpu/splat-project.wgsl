// splat-project.wgsl — one thread a splat: the CPU reference's projection (src/splat/render.cpp `project`): view
// position, near-plane / opacity / overflow culling, Sigma = R S S^T R^T, EWA 2D covariance + 0.3, 3-sigma square,
// SH colour (degree 0..3). Writes the splat's 2D record and its sort key (depth_key of the depth, or 0xffffffff when
// culled: culled splats sort last) with its index as the value.
// scene: 60 floats a splat: pos 3, scale 3, rot 4 (w x y z), opacity 1, pad 1, sh 48 ([16][3]).
// out: 12 floats a splat: mean 2, conic 3, depth, color 3, opacity, radius, pad.
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> scene: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> keys: array<u32>;
@group(0) @binding(4) var<storage, read_write> vals: array<u32>;

const C0 = 0.28209479177387814;
const C1 = 0.4886025119029199;

fn depth_key(d: f32) -> u32 {
  var x = d;
  if (x == 0.0) { x = 0.0; }
  let u = bitcast<u32>(x);
  if ((u & 0x80000000u) != 0u) { return ~u; }
  return u | 0x80000000u;
}

fn finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

fn sh(b: u32, k: u32) -> vec3f {
  let o = b + 12u + 3u * k;
  return vec3f(scene[o], scene[o + 1u], scene[o + 2u]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= P.n) { return; }
  keys[i] = 0xffffffffu;
  vals[i] = i;
  let o = 12u * i;
  out[o + 10u] = 0.0;
  let b = 60u * i;
  let p = vec3f(scene[b], scene[b + 1u], scene[b + 2u]);
  var t: vec3f;
  for (var r = 0u; r < 3u; r++) {
    t[r] = P.rot[r * 3u] * p.x + P.rot[r * 3u + 1u] * p.y + P.rot[r * 3u + 2u] * p.z + P.trans[r];
  }
  let opacity = scene[b + 10u];
  if (!(t.z > 0.2) || !finite(t.x) || !finite(t.y) || !finite(t.z) || opacity < 1.0 / 255.0) { return; }
  let w = scene[b + 6u]; let x = scene[b + 7u]; let y = scene[b + 8u]; let z = scene[b + 9u];
  // Row-major 3 x 3 matrices as rows.
  let R0 = vec3f(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y));
  let R1 = vec3f(2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x));
  let R2 = vec3f(2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y));
  let s = vec3f(scene[b + 3u], scene[b + 4u], scene[b + 5u]);
  let M0 = R0 * s; let M1 = R1 * s; let M2 = R2 * s;
  let S00 = dot(M0, M0); let S01 = dot(M0, M1); let S02 = dot(M0, M2);
  let S11 = dot(M1, M1); let S12 = dot(M1, M2); let S22 = dot(M2, M2);
  let lim_x = 1.3 * (f32(P.width) / (2.0 * P.fx));
  let lim_y = 1.3 * (f32(P.height) / (2.0 * P.fy));
  let tz = t.z;
  let tx = clamp(t.x / tz, -lim_x, lim_x) * tz;
  let ty = clamp(t.y / tz, -lim_y, lim_y) * tz;
  let J0 = vec3f(P.fx / tz, 0.0, -P.fx * tx / (tz * tz));
  let J1 = vec3f(0.0, P.fy / tz, -P.fy * ty / (tz * tz));
  let W0 = vec3f(P.rot[0], P.rot[1], P.rot[2]);
  let W1 = vec3f(P.rot[3], P.rot[4], P.rot[5]);
  let W2 = vec3f(P.rot[6], P.rot[7], P.rot[8]);
  let T0 = J0.x * W0 + J0.y * W1 + J0.z * W2;
  let T1 = J1.x * W0 + J1.y * W1 + J1.z * W2;
  let TS0 = vec3f(T0.x * S00 + T0.y * S01 + T0.z * S02, T0.x * S01 + T0.y * S11 + T0.z * S12,
                  T0.x * S02 + T0.y * S12 + T0.z * S22);
  let TS1 = vec3f(T1.x * S00 + T1.y * S01 + T1.z * S02, T1.x * S01 + T1.y * S11 + T1.z * S12,
                  T1.x * S02 + T1.y * S12 + T1.z * S22);
  let a = dot(TS0, T0) + 0.3;
  let bb = dot(TS0, T1);
  let c = dot(TS1, T1) + 0.3;
  let det = a * c - bb * bb;
  if (!(det > 0.0) || !finite(det) || !finite(bb)) { return; }
  let mid = 0.5 * (a + c);
  let lambda = mid + sqrt(max(0.1, mid * mid - det));
  let radius = ceil(3.0 * sqrt(lambda));
  let mx = P.fx * t.x / tz + P.cx;
  let my = P.fy * t.y / tz + P.cy;
  if (!finite(radius) || !finite(mx) || !finite(my)) { return; }
  if (mx + radius < 0.5 || mx - radius > f32(P.width) - 0.5 || my + radius < 0.5 || my - radius > f32(P.height) - 0.5) {
    return;
  }
  let d = normalize(p - vec3f(P.centre[0], P.centre[1], P.centre[2]));
  let xx = d.x * d.x; let yy = d.y * d.y; let zz = d.z * d.z;
  var col = C0 * sh(b, 0u);
  if (P.sh_degree > 0u) { col += -C1 * d.y * sh(b, 1u) + C1 * d.z * sh(b, 2u) - C1 * d.x * sh(b, 3u); }
  if (P.sh_degree > 1u) {
    col += 1.0925484305920792 * d.x * d.y * sh(b, 4u) - 1.0925484305920792 * d.y * d.z * sh(b, 5u) +
           0.31539156525252005 * (2.0 * zz - xx - yy) * sh(b, 6u) - 1.0925484305920792 * d.x * d.z * sh(b, 7u) +
           0.5462742152960396 * (xx - yy) * sh(b, 8u);
  }
  if (P.sh_degree > 2u) {
    col += -0.5900435899266435 * d.y * (3.0 * xx - yy) * sh(b, 9u) + 2.890611442640554 * d.x * d.y * d.z * sh(b, 10u) -
           0.4570457994644658 * d.y * (4.0 * zz - xx - yy) * sh(b, 11u) +
           0.3731763325901154 * d.z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh(b, 12u) -
           0.4570457994644658 * d.x * (4.0 * zz - xx - yy) * sh(b, 13u) + 1.445305721320277 * d.z * (xx - yy) * sh(b, 14u) -
           0.5900435899266435 * d.x * (xx - 3.0 * yy) * sh(b, 15u);
  }
  col = max(col + 0.5, vec3f(0.0));
  if (!finite(col.x) || !finite(col.y) || !finite(col.z)) { return; }
  out[o] = mx; out[o + 1u] = my;
  out[o + 2u] = c / det; out[o + 3u] = -bb / det; out[o + 4u] = a / det;
  out[o + 5u] = tz;
  out[o + 6u] = col.x; out[o + 7u] = col.y; out[o + 8u] = col.z;
  out[o + 9u] = opacity;
  out[o + 10u] = radius;
  keys[i] = depth_key(tz);
}
