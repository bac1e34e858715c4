// attention.wgsl — causal grouped-query attention over an f32 or f16 KV cache (both bound as u32 words).
// One workgroup of 64 per (query head h, token t): q (pre-scaled) in shared memory; keys in tiles of 64,
// one key per thread (score, softcap), then an online softmax (running max m and sum l, accumulator
// rescaled when m grows) where thread li owns output dims li, li + 64, li + 128, li + 192 (head_dim <= 256).
// Query position p = n_past + t sees keys (p - window, p] (window 0: all of [0, p]).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32),
//    8 kv is f16, 9 q offset, 10 out offset, 11 kv row (elements), 12 workgroups along x,
//    13 k offset, 14 v offset (elements).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

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
  let lin = wid.x + wid.y * P[12];
  let hd = P[0];
  let n_head = P[1];
  if (lin >= n_head * P[2]) { return; }
  let h = lin % n_head;
  let t = lin / n_head;
  let kvh = h / (n_head / P[3]);
  let pos = P[4] + t;
  let win = P[6];
  var lo = 0u;
  if (win > 0u && pos + 1u > win) { lo = pos + 1u - win; }
  let scale = bitcast<f32>(P[5]);
  let cap = bitcast<f32>(P[7]);
  let qb = P[9] + (t * n_head + h) * hd;
  for (var d = li; d < hd; d += 64u) { qs[d] = Q[qb + d] * scale; }
  workgroupBarrier();
  let kvo = kvh * hd;
  var m = -3.4e38;
  var l = 0.0;
  var acc = vec4f(0.0);
  for (var j0 = lo; j0 <= pos; j0 += 64u) {
    let j = j0 + li;
    var s = -3.4e38;
    if (j <= pos) {
      let kb = P[13] + j * P[11] + kvo;
      var dot = 0.0;
      for (var d = 0u; d < hd; d++) { dot += qs[d] * kv_k(kb + d); }
      if (cap > 0.0) { dot = cap * tanh(clamp(dot / cap, -15.0, 15.0)); }
      s = dot;
    }
    sc[li] = s;
    workgroupBarrier();
    let nj = min(64u, pos + 1u - j0);
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
  let ob = P[10] + (t * n_head + h) * hd;
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { O[ob + d] = acc[c] / l; }
  }
}
