// attention-split.wgsl — decode attention (one query token) split over the keys ("flash decoding"): one
// workgroup of 64 per (query head h, key chunk c) runs attention-common.wgsl's attend() (prepended, as to
// attention.wgsl) over keys [lo + c * CH, lo + (c + 1) * CH) ∩ [lo, pos] and writes its partial result (running
// max m, sum l and the unnormalised accumulator, head_dim values) to S; attention-merge.wgsl combines the
// chunks of each head.
// P: 0 head_dim, 1 n_head, 2 -, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32), 8 kv is f16,
//    9 q offset, 10 chunk CH (keys), 11 kv row (elements), 12 n chunks, 13 k offset, 14 v offset.
// S layout: [(h * n_chunks + c) * (head_dim + 2)]: m, l, acc[head_dim].
@group(0) @binding(0) var<storage, read> P: array<u32>;
// bindings 1-3 (Q, K, V): attention-common.wgsl
@group(0) @binding(4) var<storage, read_write> S: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let hd = P[0];
  let n_head = P[1];
  let h = wid.x % n_head;
  let ch = wid.x / n_head;
  let kvo = (h / (n_head / P[3])) * hd;
  let pos = P[4];
  let win = P[6];
  var lo = 0u;
  if (win > 0u && pos + 1u > win) { lo = pos + 1u - win; }
  let j_begin = lo + ch * P[10];
  let j_end = min(pos + 1u, j_begin + P[10]);  // exclusive; empty chunks write m = -3.4e38, l = 0
  let a = attend(li, hd, P[9] + h * hd, bitcast<f32>(P[5]), j_begin, j_end, P[13] + kvo, P[14] + kvo, P[11],
                 bitcast<f32>(P[7]), P[8] != 0u);
  let ob = (h * P[12] + ch) * (hd + 2u);
  if (li == 0u) {
    S[ob] = a.m;
    S[ob + 1u] = a.l;
  }
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { S[ob + 2u + d] = a.acc[c]; }
  }
}
