// rope-store.wgsl — RoPE of q (in place) and k, and the store of k and v into the KV cache, in one dispatch
// (the decoder's rope(q), rope(k), set_rows(k), set_rows(v)). Three ranges of threads:
//   [0, nq):           one per (token, q head, pair i < n_rot/2): rotates q in place (as rope.wgsl);
//   [nq, nq + nw):     one per (token, pair of k elements 2w, 2w + 1): each element rotated from k (read
//                      only) with its partner, or copied when >= n_rot; written to KC row n_past + t;
//   [nq + nw, + nw):   one per (token, pair of v elements): copied to VC row n_past + t.
// The rotation is rope-common.wgsl's (prepended, as to rope.wgsl). The cache is f32 or f16 (two values per
// u32 word: whole words are written, so no two threads share one).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_rot, 4 pos0, 5 n_head_kv, 6 kv is f16, 7 neox, 8 q offset,
//    9 k offset, 10 v offset, 11 kc offset, 12 vc offset (elements; kc/vc of row 0), 13 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> KC: array<u32>;
@group(0) @binding(5) var<storage, read_write> VC: array<u32>;
@group(0) @binding(6) var<storage, read> INV: array<f32>;

// Element d of the k row at kb, rotated to position pos (copied when d >= n_rot).
fn k_rot(kb: u32, d: u32, pos: u32) -> f32 {
  let half = P[3] / 2u;
  if (d >= P[3]) { return K[kb + d]; }
  var i: u32;
  var first: bool;
  if (P[7] != 0u) { first = d < half; i = select(d - half, d, first); } else { first = (d & 1u) == 0u; i = d / 2u; }
  let e = kb + rope_pair(i);
  let r = rope_rotate(vec2f(K[e.x], K[e.y]), i, pos);
  return select(r.y, r.x, first);
}

fn store(f16: bool, which: u32, e: u32, a: f32, b: f32) {  // elements e, e + 1 of a cache (e even)
  if (f16) {
    let w = pack2x16float(vec2f(a, b));
    if (which == 0u) { KC[e / 2u] = w; } else { VC[e / 2u] = w; }
  } else {
    if (which == 0u) { KC[e] = bitcast<u32>(a); KC[e + 1u] = bitcast<u32>(b); }
    else { VC[e] = bitcast<u32>(a); VC[e + 1u] = bitcast<u32>(b); }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let k = g.x + g.y * P[13];
  let hd = P[0];
  let half = P[3] / 2u;
  let nt = P[2];
  let nq = half * P[1] * nt;
  let kvd = hd * P[5];
  let nw = kvd / 2u * nt;
  let f16 = P[6] != 0u;
  if (k < nq) {
    let r = rope_thread(k, P[8]);
    let x = rope_rotate(vec2f(Q[r.e.x], Q[r.e.y]), r.i, r.pos);
    Q[r.e.x] = x.x;
    Q[r.e.y] = x.y;
  } else if (k < nq + nw) {
    let w = k - nq;
    let t = w / (kvd / 2u);
    let e = 2u * (w % (kvd / 2u));  // element in the token's k row
    let h = e / hd;
    let d = e % hd;
    let kb = P[9] + t * kvd + h * hd;
    let pos = P[4] + t;
    store(f16, 0u, P[11] + pos * kvd + e, k_rot(kb, d, pos), k_rot(kb, d + 1u, pos));
  } else if (k < nq + 2u * nw) {
    let w = k - nq - nw;
    let t = w / (kvd / 2u);
    let e = 2u * (w % (kvd / 2u));
    let vb = P[10] + t * kvd;
    store(f16, 1u, P[12] + (P[4] + t) * kvd + e, V[vb + e], V[vb + e + 1u]);
  }
}
