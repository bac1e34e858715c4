// rms-norm.wgsl — each row of ne0: Y = X / sqrt(mean(X^2) + eps) * Wt (Wt optional). One workgroup of 64
// per row (the sum of squares by workgroup-sum.wgsl); Y may be X (every element is read and written by the
// same thread, after the reduction).
// P: 0 ne0, 1 rows, 2 x offset, 3 y offset, 4 eps (f32 bits), 5 has weight, 6 weight offset,
//    7 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> Wt: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * P[7];
  let valid = row < P[1];
  let n = P[0];
  let xb = P[2] + row * n;
  var s = 0.0;
  if (valid) {
    for (var i = li; i < n; i += WG) { let v = X[xb + i]; s += v * v; }
  }
  let ss = workgroup_sum(li, s);
  if (!valid) { return; }
  let r = 1.0 / sqrt(ss / f32(n) + bitcast<f32>(P[4]));
  let yb = P[3] + row * n;
  for (var i = li; i < n; i += WG) {
    var v = X[xb + i] * r;
    if (P[5] != 0u) { v *= Wt[P[6] + i]; }
    Y[yb + i] = v;
  }
}
