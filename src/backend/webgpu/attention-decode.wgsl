// attention-decode.wgsl — decode attention (one query token) split over the keys, one workgroup of 64 per
// (kv head, key chunk) serving all G query heads that share that kv head (GQA): each key and value is read
// from the cache once per chunk instead of once per query head, in tiles of TK keys loaded into workgroup
// memory by consecutive threads (a tile's rows are contiguous words of the cache), then
//   scores: the G x TK dot products (thread i: scores i, i + 64, ...; rows padded to HD + 1 floats, so the
//           threads of one head read different banks), softcap when cap > 0;
//   softmax: thread g < G keeps head g's running max in MS and the tile's rescale factor in CS; the scores
//           become e^(s - max) in place;
//   values: the tile's v rows replace its k rows; thread li accumulates dims li + 64 c of every head (the
//           running sum l of each head is kept, identically, by every thread).
// Writes each head's partial result (m, l, unnormalised accumulator) to S in attention-split.wgsl's layout,
// which attention-merge.wgsl combines; the keys of a chunk are [lo + c * CH, lo + (c + 1) * CH) ∩ [lo, pos].
// Prefix consts: HD (head_dim: 64, 128 or 256), G (query heads per kv head; G * HD <= 1024).
// P: 0 head_dim, 1 n_head, 2 -, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32), 8 kv is f16,
//    9 q offset, 10 chunk CH (keys, a multiple of TK), 11 kv row (elements), 12 n chunks, 13 k offset,
//    14 v offset (elements; even when f16).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<u32>;
@group(0) @binding(3) var<storage, read_write> V: array<u32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;

const TK: u32 = 2048u / HD;         // keys per tile: 32, 16, 8
const KS: u32 = HD + 1u;            // row stride of a tile in workgroup memory
const NC: u32 = (HD + 63u) / 64u;   // output dims per thread and head

var<workgroup> qs: array<f32, G * HD>;
var<workgroup> kv: array<f32, TK * KS>;
var<workgroup> sc: array<f32, G * TK>;
var<workgroup> ms: array<f32, G>;
var<workgroup> cs: array<f32, G>;

// Rows j0 .. j0 + nj of a cache (K: which 0, V: 1) from element b0 (the kv head's column of row 0) into kv.
fn load_tile(which: u32, li: u32, b0: u32, j0: u32, nj: u32, row: u32, f16: bool) {
  if (f16) {
    let wr = HD / 2u;  // words a row
    for (var w = li; w < nj * wr; w += 64u) {
      let jj = w / wr;
      let d2 = w % wr;
      let at = (b0 + (j0 + jj) * row) / 2u + d2;
      var x: u32;
      if (which == 0u) { x = K[at]; } else { x = V[at]; }
      let f = unpack2x16float(x);
      kv[jj * KS + 2u * d2] = f.x;
      kv[jj * KS + 2u * d2 + 1u] = f.y;
    }
  } else {
    for (var e = li; e < nj * HD; e += 64u) {
      let jj = e / HD;
      let d = e % HD;
      let at = b0 + (j0 + jj) * row + d;
      var x: u32;
      if (which == 0u) { x = K[at]; } else { x = V[at]; }
      kv[jj * KS + d] = bitcast<f32>(x);
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let n_kv = P[3];
  let kvh = wid.x % n_kv;
  let ch = wid.x / n_kv;
  let pos = P[4];
  let win = P[6];
  var lo = 0u;
  if (win > 0u && pos + 1u > win) { lo = pos + 1u - win; }
  let j_begin = lo + ch * P[10];
  let j_end = min(pos + 1u, j_begin + P[10]);  // exclusive; an empty chunk writes m = -3.4e38, l = 0
  let scale = bitcast<f32>(P[5]);
  let cap = bitcast<f32>(P[7]);
  let f16 = P[8] != 0u;
  let row = P[11];
  let h0 = kvh * G;
  for (var i = li; i < G * HD; i += 64u) { qs[i] = Q[P[9] + h0 * HD + i] * scale; }
  if (li < G) { ms[li] = -3.4e38; }
  var l: array<f32, G>;
  var acc: array<f32, G * NC>;
  for (var j0 = j_begin; j0 < j_end; j0 += TK) {
    let nj = min(TK, j_end - j0);
    workgroupBarrier();  // qs and ms written; the previous tile's kv and sc read
    load_tile(0u, li, P[13] + kvh * HD, j0, nj, row, f16);
    workgroupBarrier();
    for (var i = li; i < G * TK; i += 64u) {
      let g = i / TK;
      let jj = i % TK;
      var s = -3.4e38;
      if (jj < nj) {
        var dot = 0.0;
        for (var d = 0u; d < HD; d++) { dot += qs[g * HD + d] * kv[jj * KS + d]; }
        if (cap > 0.0) { dot = cap * tanh(clamp(dot / cap, -15.0, 15.0)); }
        s = dot;
      }
      sc[i] = s;
    }
    workgroupBarrier();
    if (li < G) {
      var mt = ms[li];
      for (var jj = 0u; jj < nj; jj++) { mt = max(mt, sc[li * TK + jj]); }
      cs[li] = exp(ms[li] - mt);
      ms[li] = mt;
    }
    load_tile(1u, li, P[14] + kvh * HD, j0, nj, row, f16);
    workgroupBarrier();
    for (var i = li; i < G * TK; i += 64u) {
      let jj = i % TK;
      sc[i] = select(0.0, exp(sc[i] - ms[i / TK]), jj < nj);
    }
    workgroupBarrier();
    for (var g = 0u; g < G; g++) {
      let corr = cs[g];
      var lg = l[g] * corr;
      var a: array<f32, NC>;
      for (var c = 0u; c < NC; c++) { a[c] = acc[g * NC + c] * corr; }
      for (var jj = 0u; jj < nj; jj++) {
        let p = sc[g * TK + jj];
        lg += p;
        for (var c = 0u; c < NC; c++) {
          let d = li + 64u * c;
          if (d < HD) { a[c] += p * kv[jj * KS + d]; }
        }
      }
      l[g] = lg;
      for (var c = 0u; c < NC; c++) { acc[g * NC + c] = a[c]; }
    }
  }
  workgroupBarrier();  // ms final (also when the chunk is empty)
  for (var g = 0u; g < G; g++) {
    let ob = ((h0 + g) * P[12] + ch) * (HD + 2u);
    if (li == 0u) {
      S[ob] = ms[g];
      S[ob + 1u] = l[g];
    }
    for (var c = 0u; c < NC; c++) {
      let d = li + 64u * c;
      if (d < HD) { S[ob + 2u + d] = acc[g * NC + c]; }
    }
  }
}
