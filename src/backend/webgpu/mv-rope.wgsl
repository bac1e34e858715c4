// mv-rope.wgsl — the RoPE and KV-cache epilogue of the matrix-vector kernel (mv-common.wgsl with QKV and ROPE;
// appended after sincos.wgsl): the backend's norm_qkv_rope_store, a decoder layer's q, k and v for one token,
// q and k rotated to position P[21], k and v also written to row P[21] of the caches, in one dispatch.
// Row order: in the q and k rows a head's first n_rot logical rows are its n_rot / 2 rotation pairs in turn
// (logical 2i and 2i + 1 are pair i's elements: i and i + n_rot/2 when neox, else 2i and 2i + 1), so both
// elements of a pair are rows of one workgroup (R = 4 rows; head_dim and n_rot multiples of 4); mv_accum
// reads the weight row and mv_store writes the output row of the physical element (rope_row).
// F16 caches: the thread of an even element writes the word with its odd neighbour (the next logical row, or
// the one after next in a neox pair run), which the same workgroup computed.
// P (after mv-common.wgsl's 0..17): 18 head_dim, 19 n_rot, 20 neox, 21 position, 22 kv row (elements),
//    23 k cache offset, 24 v cache offset (elements of row 0; even when f16), 25 caches are f16,
//    26 .. 26 + n_rot/2: the inverse frequency of each pair (f32 bits; as rope-common.wgsl's INV).
@group(0) @binding(8) var<storage, read_write> KC: array<u32>;
@group(0) @binding(9) var<storage, read_write> VC: array<u32>;

// The element (physical row) of logical row l.
fn rope_row(l: u32) -> u32 {
  if (l >= P[13] || P[20] == 0u) { return l; }
  let j = (l - select(0u, P[12], l >= P[12])) % P[18];
  if (j >= P[19]) { return l; }
  return l - j + j / 2u + (j % 2u) * (P[19] / 2u);
}

// y (the value of the workgroup's row r, element `row`) rotated with its pair partner, logical row r ^ 1.
fn rope_epilogue(r: u32, row_base: u32, row: u32, y: f32, red: ptr<function, array<f32, 9>>) -> f32 {
  let l = row_base + r;
  if (l >= P[13]) { return y; }
  let j = (l - select(0u, P[12], l >= P[12])) % P[18];
  if (j >= P[19]) { return y; }
  let rp = r ^ 1u;
  let yp = mv_value(rp, rope_row(row_base + rp), red);
  let first = (j % 2u) == 0u;
  let x = select(vec2f(yp, y), vec2f(y, yp), first);
  let sc = sincos(f32(P[21]) * bitcast<f32>(P[26u + j / 2u]));
  let o = vec2f(x.x * sc.y - x.y * sc.x, x.x * sc.x + x.y * sc.y);
  return select(o.y, o.x, first);
}

fn cache_put(v: bool, i: u32, w: u32) {
  if (v) { VC[i] = w; } else { KC[i] = w; }
}

// Row `row` (value y, final) into the k or v cache.
fn rope_cache(r: u32, row_base: u32, row: u32, y: f32, red: ptr<function, array<f32, 9>>) {
  if (row < P[12]) { return; }  // q
  let isv = row >= P[13];
  let e = row - select(P[12], P[13], isv);  // element of the kv row
  let base = select(P[23], P[24], isv) + P[21] * P[22];
  if (P[25] == 0u) {
    cache_put(isv, base + e, bitcast<u32>(y));
    return;
  }
  if ((e & 1u) != 0u) { return; }
  var r2 = r + 1u;
  if (!isv && P[20] != 0u && (e % P[18]) < P[19]) { r2 = r + 2u; }
  let row2 = rope_row(row_base + r2);
  let y2 = rope_epilogue(r2, row_base, row2, mv_value(r2, row2, red), red);
  cache_put(isv, (base + e) / 2u, pack2x16float(vec2f(y, y2)));
}
