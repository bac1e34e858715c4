// attention-full.wgsl — attention without a mask (AttnParams::causal = false: encoder self-attention and
// cross-attention): every query sees all n_kv rows of K and V (f32 or f16, bound as u32 words); grouped heads
// as in attention.wgsl (query head h reads kv head h / (n_head / n_head_kv)).
// One workgroup of 64 per (query head h, token t): the scaled query in shared memory; keys in tiles of 64, one
// key's score per thread; then an online softmax over the tile (running max m, sum l; the accumulator is
// rescaled when m grows), thread li owning output dims li + 64 c (head_dim <= 256).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_head_kv, 4 n_kv, 5 scale (f32), 6 kv is f16, 7 q offset, 8 out offset,
//    9 kv row (elements), 10 workgroups along x, 11 k offset, 12 v offset (elements).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<u32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

var<workgroup> qv: array<f32, 256>;
var<workgroup> score: array<f32, 64>;

fn load_kv(buf: u32, i: u32) -> f32 {
  if (P[6] != 0u) {
    if (buf == 0u) { return unpack2x16float(K[i >> 1u])[i & 1u]; }
    return unpack2x16float(V[i >> 1u])[i & 1u];
  }
  if (buf == 0u) { return bitcast<f32>(K[i]); }
  return bitcast<f32>(V[i]);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let lin = wid.x + wid.y * P[10];
  let hd = P[0];
  let n_head = P[1];
  if (lin >= n_head * P[2]) { return; }
  let h = lin % n_head;
  let t = lin / n_head;
  let kv_col = (h / (n_head / P[3])) * hd;
  let n_kv = P[4];
  let qb = P[7] + (t * n_head + h) * hd;
  for (var d = li; d < hd; d += 64u) { qv[d] = Q[qb + d] * bitcast<f32>(P[5]); }
  workgroupBarrier();
  var m = -3.4e38;
  var l = 0.0;
  var acc = vec4f(0.0);
  for (var j0 = 0u; j0 < n_kv; j0 += 64u) {
    let j = j0 + li;
    var s = -3.4e38;
    if (j < n_kv) {
      let kb = P[11] + j * P[9] + kv_col;
      var dot = 0.0;
      for (var d = 0u; d < hd; d++) { dot += qv[d] * load_kv(0u, kb + d); }
      s = dot;
    }
    score[li] = s;
    workgroupBarrier();
    let nj = min(64u, n_kv - j0);
    var mt = m;
    for (var jj = 0u; jj < nj; jj++) { mt = max(mt, score[jj]); }
    let corr = exp(m - mt);
    l *= corr;
    acc *= corr;
    for (var jj = 0u; jj < nj; jj++) {
      let p = exp(score[jj] - mt);
      l += p;
      let vb = P[12] + (j0 + jj) * P[9] + kv_col;
      for (var c = 0u; c < 4u; c++) {
        let d = li + 64u * c;
        if (d < hd) { acc[c] += p * load_kv(1u, vb + d); }
      }
    }
    m = mt;
    workgroupBarrier();
  }
  let ob = P[8] + (t * n_head + h) * hd;
  for (var c = 0u; c < 4u; c++) {
    let d = li + 64u * c;
    if (d < hd) { O[ob + d] = acc[c] / l; }
  }
}
