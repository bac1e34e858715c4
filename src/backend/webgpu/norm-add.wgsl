// norm-add.wgsl — the post-norm residual: each row of ne0, Y += O / sqrt(mean(O^2) + eps) * Wt (Gemma's
// post_attention_norm / post_ffw_norm followed by the add). One workgroup of 64 per row (the sum of
// squares by workgroup-sum.wgsl, as rms-norm.wgsl).
// P: 0 ne0, 1 rows, 2 o offset, 3 y offset, 4 eps (f32 bits), 5 weight offset, 6 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> O: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * P[6];
  let valid = row < P[1];
  let n = P[0];
  let ob = P[2] + row * n;
  var s = 0.0;
  if (valid) {
    for (var i = li; i < n; i += WG) { let v = O[ob + i]; s += v * v; }
  }
  let ss = workgroup_sum(li, s);
  if (!valid) { return; }
  let r = 1.0 / sqrt(ss / f32(n) + bitcast<f32>(P[4]));
  let yb = P[3] + row * n;
  for (var i = li; i < n; i += WG) { Y[yb + i] += O[ob + i] * r * Wt[P[5] + i]; }
}
