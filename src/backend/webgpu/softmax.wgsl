// softmax.wgsl — softmax of each row of ne0 in place; one workgroup of 64 per row (max and sum by
// workgroup-sum.wgsl).
// P: 0 ne0, 1 rows, 2 offset, 3 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * P[3];
  let valid = row < P[1];
  let n = P[0];
  let b = P[2] + row * n;
  var m = -3.4e38;
  if (valid) { for (var i = li; i < n; i += WG) { m = max(m, X[b + i]); } }
  let mx = workgroup_max(li, m);
  var s = 0.0;
  if (valid) { for (var i = li; i < n; i += WG) { let e = exp(X[b + i] - mx); X[b + i] = e; s += e; } }
  let sum = workgroup_sum(li, s);
  if (!valid) { return; }
  let inv = 1.0 / sum;
  for (var i = li; i < n; i += WG) { X[b + i] *= inv; }
}
