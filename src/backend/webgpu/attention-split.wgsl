// attention-split.wgsl — decode attention (one query token) split over the keys ("flash decoding"): one
// workgroup of 64 per (query head h, key chunk c) runs attention.wgsl's online softmax over keys
// [lo + c * CH, lo + (c + 1) * CH) ∩ [lo, pos] and writes its partial result (running max m, sum l and the
// unnormalised accumulator, head_dim values) to S; attention-merge.wgsl combines the chunks of each head.
// P: 0 head_dim, 1 n_head, 2 -, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32), 8 kv is f16,
//    9 q offset, 10 chunk CH (keys), 11 kv row (elements), 12 n chunks, 13 k offset, 14 v offset.
// S layout: [(h * n_chunks + c) * (head_dim + 2)]: m, l, acc[head_dim].
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<u32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;

var<workgroup> qs: array<f32, 256>;
var<workgroup> sc: array<f32, 64>;

fn kv_k(i: u32) -> f32 {
  if (P[8] != 0u) { return unpack2x16float(K[i >> 1u])[i & 1u]; }
  return bitcast<f32>(K[i]);
}
fn kv_v(i: u32) -> f32 {
  if (P[8] != 0u) { return unpack2x16float(V[i >> 1u])[i & 1u]; }
  return bitcast<f32>(V[i]);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let hd = P[0];
  let n_head = P[1];
  let h = wid.x % n_head;
  let ch = wid.x / n_head;
  let kvh = h / (n_head / P[3]);
  let pos = P[4];
  let win = P[6];
  var lo = 0u;
  if (win > 0u && pos + 1u > win) { lo = pos + 1u - win; }
  let j_begin = lo + ch * P[10];
  let j_end = min(pos + 1u, j_begin + P[10]);  // exclusive; empty chunks write m = -inf, l = 0
  let scale = bitcast<f32>(P[5]);
  let cap = bitcast<f32>(P[7]);
  let qb = P[9] + h * hd;
  for (var d = li; d < hd; d += 64u) { qs[d] = Q[qb + d] * scale; }
  workgroupBarrier();
  let kvo = kvh * hd;
  var m = -3.4e38;
  var l = 0.0;
  var acc = vec4f(0.0);
  for (var j0 = j_begin; j0 < j_end; j0 += 64u) {
    let j = j0 + li;
    var s = -3.4e38;
    if (j < j_end) {
      let kb = P[13] + j * P[11] + kvo;
      var dot = 0.0;
      for (var d = 0u; d < hd; d++) { dot += qs[d] * kv_k(kb + d); }
      if (cap > 0.0) { dot = cap * tanh(clamp(dot / cap, -15.0, 15.0)); }
      s = dot;
    }
    sc[li] = s;
    workgroupBarrier();
    let nj = min(64u, j_end - j0);
    var mt = m;
    for (var jj = 0u; jj < nj; jj++) { mt = max(mt, sc[jj]); }
    let corr = exp(m - mt);
    l *= corr;
    acc *= corr;
    for (var jj = 0u; jj < nj; jj++) {
      let p = exp(sc[jj] - mt);
      l += p;
      let vb = P[14] + (j0 + jj) * P[11] + kvo;
      for (var c = 0u; c < 4u; c++) {
        let d = li + 64u * c;
        if (d < hd) { acc[c] += p * kv_v(vb + d); }
      }
    }
    m = mt;
    workgroupBarrier();
  }
  let ob = (h * P[12] + ch) * (hd + 2u);
  if (li == 0u) {
    S[ob] = m;
    S[ob + 1u] = l;
  }
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { S[ob + 2u + d] = acc[c]; }
  }
}
