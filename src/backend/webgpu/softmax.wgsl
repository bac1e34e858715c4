// softmax.wgsl — softmax of each row of ne0 in place; one workgroup of 64 per row.
// P: 0 ne0, 1 rows, 2 offset, 3 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;

var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * P[3];
  let valid = row < P[1];
  let n = P[0];
  let b = P[2] + row * n;
  var m = -3.4e38;
  if (valid) { for (var i = li; i < n; i += 64u) { m = max(m, X[b + i]); } }
  red[li] = m;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] = max(red[li], red[li + k]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();
  var s = 0.0;
  if (valid) { for (var i = li; i < n; i += 64u) { let e = exp(X[b + i] - mx); X[b + i] = e; s += e; } }
  red[li] = s;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] += red[li + k]; }
    workgroupBarrier();
  }
  if (!valid) { return; }
  let inv = 1.0 / red[0];
  for (var i = li; i < n; i += 64u) { X[b + i] *= inv; }
}
