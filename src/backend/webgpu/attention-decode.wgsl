// attention-decode.wgsl — decode attention (one query token) split over the keys, one workgroup of 64 per
// (kv head, key chunk) serving all G query heads that share that kv head (GQA): each key and value is read
// from the cache once per chunk instead of once per query head, in tiles of TK keys loaded into workgroup
// memory (16-byte loads, all of a thread's loads for the k and the v tile issued together at the tile's start:
// the v tile waits in registers while the scores are computed), then
//   scores: the G x TK dot products (thread i: scores i, i + 64, ...; rows padded to HD + 1 floats, so the
//           threads of one head read different banks), softcap when cap > 0;
//   softmax: thread g < G keeps head g's running max in MS and the tile's rescale factor in CS; the scores
//           become e^(s - max) in place;
//   values: the tile's v rows replace its k rows; thread li accumulates dims li + 64 c of every head (the
//           running sum l of each head is kept, identically, by every thread).
// Writes each head's partial result (m, l, unnormalised accumulator) to S in attention-split.wgsl's layout,
// which attention-merge.wgsl combines; the keys of a chunk are [lo + c * CH, lo + (c + 1) * CH) ∩ [lo, pos].
// Prefix consts: HD (head_dim: 64, 128 or 256), G (query heads per kv head; G * HD <= 1024), F16 (the cache).
// P: 0 head_dim, 1 n_head, 2 -, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32), 8 kv is f16,
//    9 q offset, 10 chunk CH (keys, a multiple of TK), 11 kv row (elements), 12 n chunks, 13 k offset,
//    14 v offset (elements; the offsets and the row multiples of 16 bytes).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<vec4u>;
@group(0) @binding(3) var<storage, read_write> V: array<vec4u>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;

const TK: u32 = 2048u / HD;         // keys per tile: 32, 16, 8
const KS: u32 = HD + 1u;            // row stride of a tile in workgroup memory
const NC: u32 = (HD + 63u) / 64u;   // output dims per thread and head

var<workgroup> qs: array<f32, G * HD>;
var<workgroup> kv: array<f32, TK * KS>;
var<workgroup> sc: array<f32, G * TK>;
var<workgroup> ms: array<f32, G>;
var<workgroup> cs: array<f32, G>;

const EV: u32 = select(4u, 8u, F16);  // cache elements in a vec4u
const VPR: u32 = HD / EV;             // vec4s of a row (of one kv head)
const LPT: u32 = TK * VPR / 64u;      // vec4 loads of a tile per thread: 4 (f16) or 8 (f32)

// The vec4 that thread li loads i-th of rows j0 .. j0 + TK of a cache from vec4 b0 (the kv head's column of
// row 0); rows past nj repeat row nj - 1 (loaded, never used).
fn tile_at(li: u32, i: u32, b0: u32, j0: u32, nj: u32, rowv: u32) -> u32 {
  let w = li + 64u * i;
  return b0 + (j0 + min(w / VPR, nj - 1u)) * rowv + w % VPR;
}
// The loaded words as floats into the tile kv.
fn store_tile(li: u32, r: array<vec4u, LPT>) {
  for (var i = 0u; i < LPT; i++) {
    let w = li + 64u * i;
    let o = (w / VPR) * KS + (w % VPR) * EV;
    if (F16) {
      for (var c = 0u; c < 4u; c++) {
        let f = unpack2x16float(r[i][c]);
        kv[o + 2u * c] = f.x;
        kv[o + 2u * c + 1u] = f.y;
      }
    } else {
      for (var c = 0u; c < 4u; c++) { kv[o + c] = bitcast<f32>(r[i][c]); }
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
  let rowv = P[11] / EV;
  let kb = (P[13] + kvh * HD) / EV;  // vec4 of the kv head's column of row 0
  let vb = (P[14] + kvh * HD) / EV;
  let h0 = kvh * G;
  for (var i = li; i < G * HD; i += 64u) { qs[i] = Q[P[9] + h0 * HD + i] * scale; }
  if (li < G) { ms[li] = -3.4e38; }
  var l: array<f32, G>;
  var acc: array<f32, G * NC>;
  for (var j0 = j_begin; j0 < j_end; j0 += TK) {
    let nj = min(TK, j_end - j0);
    var kr: array<vec4u, LPT>;
    var vr: array<vec4u, LPT>;
    for (var i = 0u; i < LPT; i++) {
      kr[i] = K[tile_at(li, i, kb, j0, nj, rowv)];
      vr[i] = V[tile_at(li, i, vb, j0, nj, rowv)];
    }
    workgroupBarrier();  // qs and ms written; the previous tile's kv and sc read
    store_tile(li, kr);
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
    store_tile(li, vr);
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
