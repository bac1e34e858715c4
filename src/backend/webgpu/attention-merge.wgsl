// attention-merge.wgsl — combines the per-chunk partials of attention-split.wgsl: for head h,
// out[d] = sum_c e^(m_c - M) acc_c[d] / sum_c e^(m_c - M) l_c, M = max_c m_c. One workgroup of 64 per head.
// P: 0 head_dim, 1 n_head, 2 n chunks, 3 out offset.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let hd = P[0];
  let h = wid.x;
  let nc = P[2];
  let st = hd + 2u;
  var mx = -3.4e38;
  for (var c = 0u; c < nc; c++) { mx = max(mx, S[(h * nc + c) * st]); }
  var l = 0.0;
  for (var c = 0u; c < nc; c++) {
    let b = (h * nc + c) * st;
    l += exp(S[b] - mx) * S[b + 1u];
  }
  for (var d = li; d < hd; d += 64u) {
    var a = 0.0;
    for (var c = 0u; c < nc; c++) {
      let b = (h * nc + c) * st;
      a += exp(S[b] - mx) * S[b + 2u + d];
    }
    O[P[3] + h * hd + d] = a / l;
  }
}
