// attention-prefill.wgsl — attention for many query tokens (prefill), flash-attention style, within WebGPU's
// default limits (128 invocations, 12,416 bytes of workgroup memory). A workgroup owns a block of BQ = 32
// query tokens t0..t0+31 of one query head h (kv head h / (n_head / n_head_kv)) and walks the block's keys in
// tiles of BK = 32:
//   1. scores: q (scaled) and k are staged in head_dim chunks of 32 (coalesced loads: 8 threads read 128
//      bytes of a row; k and v as 16-byte words: 4 f32 or 8 f16), each thread computes a 2 query x 4 key tile;
//      softcap (cap * tanh(s / cap), clamped as attention-common.wgsl) when cap > 0; masked scores -> -3.4e38;
//   2. online softmax per query row (running max m and sum l; the accumulator is rescaled when m grows); the
//      four threads of a row each turn 8 of its scores into probabilities (one exp per score);
//   3. P.V: v is staged in sub-tiles of KS = 2048 / HDC keys x HDC dims; thread (row li % 32, lane li / 32)
//      owns dims 4 (lane + 4 g) .. + 3, g < HDC / 16, in registers (64 floats for head_dim 256).
// Causal (P[18] = 1): query t sits at position p = n_past + t and sees keys (p - window, p] (window 0: [0, p]);
// the block visits only keys [lo of its first query, p of its last], so tiles wholly masked for every row of the
// block are skipped. Not causal: every query sees keys [0, n_kv). Split over keys (P[15] = n_split > 1): the
// workgroup takes chunk c = keys [lo + c CH, lo + (c + 1) CH) of its block's range and writes the partial
// (m, l, unnormalised acc) of each row to O in attention-merge.wgsl's layout [(row * n_split + c) * (hd + 2)],
// row = t * n_head + h; attention-merge.wgsl combines them.
// HDC (64, 128 or 256: head_dim rounded up) is prepended by the host. Needs head_dim % 4 == 0 and k and v
// offsets that are multiples of 4 elements (buffers are padded to 16 bytes); webgpu-backend.cpp uses it for
// more than one query token and falls back to attention.wgsl (attention-full.wgsl without a mask) otherwise.
// Q, K, V are read_write only so that the host may merge two bindings of one buffer (its in-place variants).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_head_kv, 4 n_past, 5 scale (f32), 6 window, 7 softcap (f32),
//    8 kv is f16, 9 q offset, 10 out offset, 11 kv row (elements), 12 workgroups along x, 13 k offset,
//    14 v offset (elements), 15 n_split, 16 chunk CH (keys), 17 query blocks, 18 causal, 19 n_kv (not causal).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read_write> K: array<vec4u>;
@group(0) @binding(3) var<storage, read_write> V: array<vec4u>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;

const BQ: u32 = 32u;          // query rows a workgroup
const BK: u32 = 32u;          // keys a tile
const NG: u32 = HDC / 16u;    // vec4 accumulator groups a thread
const GW: u32 = HDC / 4u;     // vec4s a staged v row
const KS: u32 = 2048u / HDC;  // keys a v sub-tile
const NEG: f32 = -3.4e38;

// Scores: k chunk [BK][8] at 0, q chunk [BQ][8] at 256 (vec4 g of row r at r * 8 + (g ^ (r & 7)): rows read
// together fall in different banks). P.V: v sub-tile [KS][GW].
var<workgroup> kv: array<vec4f, 512>;
var<workgroup> ps: array<f32, 1056>;  // the tile's scores [BQ][BK + 1]

// Elements i .. i + 3 (i % 4 == 0) of the k or v cache, one 16-byte load: f32, or f16 as half of a word quad.
fn f16x4(w: vec4u, i: u32) -> vec4f {
  let u = select(w.xy, w.zw, (i & 4u) != 0u);
  return vec4f(unpack2x16float(u.x), unpack2x16float(u.y));
}
fn k4(f16: bool, i: u32) -> vec4f {
  if (f16) { return f16x4(K[i >> 3u], i); }
  return bitcast<vec4f>(K[i >> 2u]);
}
fn v4(f16: bool, i: u32) -> vec4f {
  if (f16) { return f16x4(V[i >> 3u], i); }
  return bitcast<vec4f>(V[i >> 2u]);
}

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let hd = P[0];
  let n_head = P[1];
  let n_tok = P[2];
  let n_past = P[4];
  let n_split = P[15];
  let lin = wid.x + wid.y * P[12];
  if (lin >= P[17] * n_head * n_split) { return; }
  let c = lin % n_split;
  let h = (lin / n_split) % n_head;
  let t0 = (lin / n_split / n_head) * BQ;
  let kvo = (h / (n_head / P[3])) * hd;
  let k0 = P[13] + kvo;
  let v0 = P[14] + kvo;
  let row = P[11];
  let scale = bitcast<f32>(P[5]);
  let win = P[6];
  let cap = bitcast<f32>(P[7]);
  let f16 = P[8] != 0u;
  let causal = P[18] != 0u;
  let t_end = min(t0 + BQ, n_tok);

  // This workgroup's keys [cb, ce).
  var lo = 0u;
  var hi = P[19];
  if (causal) {
    if (win > 0u && n_past + t0 + 1u > win) { lo = n_past + t0 + 1u - win; }
    hi = n_past + t_end;
  }
  let cb = lo + c * P[16];
  let ce = min(hi, cb + P[16]);

  let sr = li % 16u;  // scores: rows sr, sr + 16; keys sk + 8 i, i < 4
  let sk = li / 16u;
  let pr = li % 32u;  // P.V: row pr, dims of groups pl + 4 g
  let pl = li / 32u;
  var m = NEG;
  var l = 0.0;
  var acc: array<vec4f, NG>;

  for (var j0 = cb; j0 < ce; j0 += BK) {
    var s0 = vec4f(0.0);  // row sr
    var s1 = vec4f(0.0);  // row sr + 16
    for (var d0 = 0u; d0 < hd; d0 += 32u) {
      for (var e = li; e < 256u; e += 128u) {
        let r = e / 8u;
        let g = e % 8u;
        let d = d0 + 4u * g;
        let at = r * 8u + (g ^ (r & 7u));
        var kk = vec4f(0.0);
        if (j0 + r < ce && d < hd) { kk = k4(f16, k0 + (j0 + r) * row + d); }
        kv[at] = kk;
        var qq = vec4f(0.0);
        if (t0 + r < n_tok && d < hd) {
          let qi = P[9] + ((t0 + r) * n_head + h) * hd + d;
          qq = vec4f(Q[qi], Q[qi + 1u], Q[qi + 2u], Q[qi + 3u]) * scale;
        }
        kv[256u + at] = qq;
      }
      workgroupBarrier();
      let ng = min(8u, (hd - d0) / 4u);
      for (var g = 0u; g < ng; g++) {
        let qa = kv[256u + sr * 8u + (g ^ (sr & 7u))];
        let qb = kv[256u + (sr + 16u) * 8u + (g ^ (sr & 7u))];
        for (var i = 0u; i < 4u; i++) {
          let kk = kv[(sk + 8u * i) * 8u + (g ^ (sk & 7u))];
          s0[i] += dot(qa, kk);
          s1[i] += dot(qb, kk);
        }
      }
      workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
      let j = j0 + sk + 8u * i;
      for (var u = 0u; u < 2u; u++) {
        let r = sr + 16u * u;
        var s = select(s0[i], s1[i], u == 1u);
        if (cap > 0.0) { s = cap * tanh(clamp(s / cap, -15.0, 15.0)); }
        let p = n_past + t0 + r;
        if (j >= ce || (causal && (j > p || (win > 0u && j + win <= p)))) { s = NEG; }
        ps[r * (BK + 1u) + sk + 8u * i] = s;
      }
    }
    workgroupBarrier();

    let nk = min(BK, ce - j0);
    var mt = m;
    for (var jj = 0u; jj < nk; jj++) { mt = max(mt, ps[pr * (BK + 1u) + jj]); }
    let corr = exp(m - mt);
    l *= corr;
    for (var g = 0u; g < NG; g++) { acc[g] *= corr; }
    m = mt;
    workgroupBarrier();  // every row's max is taken: scores -> probabilities, keys 8 pl .. + 7 of row pr
    for (var jj = 8u * pl; jj < 8u * pl + 8u; jj++) {
      let s = ps[pr * (BK + 1u) + jj];
      var p = 0.0;
      if (s > -1e38) { p = exp(s - mt); }
      ps[pr * (BK + 1u) + jj] = p;
    }
    for (var j1 = 0u; j1 < nk; j1 += KS) {
      for (var e = li; e < KS * GW; e += 128u) {
        let r = e / GW;
        let d = 4u * (e % GW);
        var vv = vec4f(0.0);
        if (j1 + r < nk && d < hd) { vv = v4(f16, v0 + (j0 + j1 + r) * row + d); }
        kv[e] = vv;
      }
      workgroupBarrier();
      let n1 = min(KS, nk - j1);
      for (var jj = 0u; jj < n1; jj++) {
        let p = ps[pr * (BK + 1u) + j1 + jj];
        l += p;
        for (var g = 0u; g < NG; g++) { acc[g] += p * kv[jj * GW + pl + 4u * g]; }
      }
      workgroupBarrier();
    }
  }

  let t = t0 + pr;
  if (t >= t_end) { return; }
  let orow = t * n_head + h;
  if (n_split == 1u) {
    let ob = P[10] + orow * hd;
    for (var g = 0u; g < NG; g++) {
      let d = 4u * (pl + 4u * g);
      if (d < hd) {
        let a = acc[g] / l;
        O[ob + d] = a.x;
        O[ob + d + 1u] = a.y;
        O[ob + d + 2u] = a.z;
        O[ob + d + 3u] = a.w;
      }
    }
    return;
  }
  let sb = P[10] + (orow * n_split + c) * (hd + 2u);
  if (pl == 0u) {
    O[sb] = m;
    O[sb + 1u] = l;
  }
  for (var g = 0u; g < NG; g++) {
    let d = 4u * (pl + 4u * g);
    if (d < hd) {
      O[sb + 2u + d] = acc[g].x;
      O[sb + 3u + d] = acc[g].y;
      O[sb + 4u + d] = acc[g].z;
      O[sb + 5u + d] = acc[g].w;
    }
  }
}
