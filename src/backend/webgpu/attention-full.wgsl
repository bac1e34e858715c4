// attention-full.wgsl — attention without a mask (AttnParams::causal = false: encoder self-attention and
// cross-attention): every query sees all n_kv rows of K and V (f32 or f16, bound as u32 words); grouped heads
// as in attention.wgsl (query head h reads kv head h / (n_head / n_head_kv)). One workgroup of 64 per (query
// head h, token t), attending with attention-common.wgsl's attend() (prepended; no softcap).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_head_kv, 4 n_kv, 5 scale (f32), 6 kv is f16, 7 q offset, 8 out offset,
//    9 kv row (elements), 10 workgroups along x, 11 k offset, 12 v offset (elements).
@group(0) @binding(0) var<storage, read> P: array<u32>;
// bindings 1-3 (Q, K, V): attention-common.wgsl
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let lin = wid.x + wid.y * P[10];
  let hd = P[0];
  let n_head = P[1];
  if (lin >= n_head * P[2]) { return; }
  let h = lin % n_head;
  let t = lin / n_head;
  let kv_col = (h / (n_head / P[3])) * hd;
  let qb = P[7] + (t * n_head + h) * hd;
  let a = attend(li, hd, qb, bitcast<f32>(P[5]), 0u, P[4], P[11] + kv_col, P[12] + kv_col, P[9], 0.0, P[6] != 0u);
  let ob = P[8] + (t * n_head + h) * hd;
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { O[ob + d] = a.acc[c] / a.l; }
  }
}
