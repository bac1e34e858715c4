// attention-common.wgsl — what attention.wgsl, attention-split.wgsl and attention-full.wgsl share (prepended to
// each): one workgroup of 64 attends one query row over a range of keys. The scaled query goes to shared
// memory; the keys go in tiles of 64, one key's score per thread (q . k, then the softcap when cap > 0); then an
// online softmax over the tile (running max m and sum l, the accumulator rescaled when m grows), thread li
// owning output dims li + 64 c, c < 4 (head_dim <= 256). Bindings 1-3 are here (the queries, and the keys and
// values as u32 words: f32, or two f16 each when the kv is f16); the kernel binds P (0) and its output (4).
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<u32>;

var<workgroup> qs: array<f32, 256>;
var<workgroup> sc: array<f32, 64>;

fn kv_k(f16: bool, i: u32) -> f32 {
  if (f16) { return unpack2x16float(K[i >> 1u])[i & 1u]; }
  return bitcast<f32>(K[i]);
}
fn kv_v(f16: bool, i: u32) -> f32 {
  if (f16) { return unpack2x16float(V[i >> 1u])[i & 1u]; }
  return bitcast<f32>(V[i]);
}

// Invocation li's share of the result: the softmax's running max m and sum l, and the unnormalised
// accumulator of its dims li + 64 c.
struct Attended { m: f32, l: f32, acc: vec4f }

// Query Q[qb, + hd) * scale against keys j in [j_begin, j_end): key j's k values start at K[k0 + j * row] and
// its v values at V[v0 + j * row] (kv head column included). Called in uniform control flow (j_begin, j_end
// the same for the whole workgroup). An empty range gives m = -3.4e38, l = 0, acc = 0.
fn attend(li: u32, hd: u32, qb: u32, scale: f32, j_begin: u32, j_end: u32, k0: u32, v0: u32, row: u32, cap: f32,
          f16: bool) -> Attended {
  for (var d = li; d < hd; d += 64u) { qs[d] = Q[qb + d] * scale; }
  workgroupBarrier();
  var m = -3.4e38;
  var l = 0.0;
  var acc = vec4f(0.0);
  for (var j0 = j_begin; j0 < j_end; j0 += 64u) {
    let j = j0 + li;
    var s = -3.4e38;
    if (j < j_end) {
      let kb = k0 + j * row;
      var dot = 0.0;
      for (var d = 0u; d < hd; d++) { dot += qs[d] * kv_k(f16, kb + d); }
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
      let vb = v0 + (j0 + jj) * row;
      for (var c = 0u; c < 4u; c++) {
        let d = li + 64u * c;
        if (d < hd) { acc[c] += p * kv_v(f16, vb + d); }
      }
    }
    m = mt;
    workgroupBarrier();
  }
  return Attended(m, l, acc);
}
