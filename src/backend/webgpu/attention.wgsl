// attention.wgsl — causal grouped-query attention over an f32 or f16 KV cache (both bound as u32 words).
// One workgroup of 64 per (query head h, token t), attending with attention-common.wgsl's attend() (prepended):
// query head h reads kv head h / (n_head / n_head_kv); query position p = n_past + t sees keys (p - window, p]
// (window 0: all of [0, p]).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32),
//    8 kv is f16, 9 q offset, 10 out offset, 11 kv row (elements), 12 workgroups along x,
//    13 k offset, 14 v offset (elements).
@group(0) @binding(0) var<storage, read> P: array<u32>;
// bindings 1-3 (Q, K, V): attention-common.wgsl
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let lin = wid.x + wid.y * P[12];
  let hd = P[0];
  let n_head = P[1];
  if (lin >= n_head * P[2]) { return; }
  let h = lin % n_head;
  let t = lin / n_head;
  let kvo = (h / (n_head / P[3])) * hd;
  let pos = P[4] + t;
  let win = P[6];
  var lo = 0u;
  if (win > 0u && pos + 1u > win) { lo = pos + 1u - win; }
  let qb = P[9] + (t * n_head + h) * hd;
  let a = attend(li, hd, qb, bitcast<f32>(P[5]), lo, pos + 1u, P[13] + kvo, P[14] + kvo, P[11],
                 bitcast<f32>(P[7]), P[8] != 0u);
  let ob = P[10] + (t * n_head + h) * hd;
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { O[ob + d] = a.acc[c] / a.l; }
  }
}
