// attention-merge.wgsl — combines the per-chunk partials of attention-split.wgsl / attention-decode.wgsl /
// attention-prefill.wgsl: for head h, out[d] = sum_c e^(m_c - M) acc_c[d] / sum_c e^(m_c - M) l_c, M = max_c m_c.
// One workgroup of 64 per (head, block of 64 dims): thread c first takes chunk c's m and l (at most 64 chunks),
// the workgroup reduces M and the sum in shared memory and keeps each chunk's weight e^(m_c - M), then thread i
// sums dim 64 block + i over the chunks.
// P: 0 head_dim, 1 n_head, 2 n chunks (<= 64), 3 out offset, 4 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;

var<workgroup> wts: array<f32, 64>;
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let hd = P[0];
  let nb = (hd + 63u) / 64u;
  let g = wid.x + wid.y * P[4];
  let h = g / nb;
  let d = (g % nb) * 64u + li;
  let nc = P[2];
  let st = hd + 2u;
  let b = (h * nc + li) * st;
  var m = -3.4e38;
  if (li < nc) { m = S[b]; }
  red[li] = m;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] = max(red[li], red[li + s]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();
  var w = 0.0;
  if (li < nc) { w = exp(m - mx); }
  wts[li] = w;
  red[li] = select(0.0, w * S[b + 1u], li < nc);
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { red[li] += red[li + s]; }
    workgroupBarrier();
  }
  let l = red[0];
  if (d < hd && h < P[1]) {
    var a = 0.0;
    for (var c = 0u; c < nc; c++) { a += wts[c] * S[(h * nc + c) * st + 2u + d]; }
    O[P[3] + h * hd + d] = a / l;
  }
}
