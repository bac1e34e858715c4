// rope-common.wgsl — the rotation of rotary embedding, shared by rope.wgsl and rope-store.wgsl (prepended to
// both). Their P agree on 0 head_dim, 1 n_head, 2 n_tok, 3 n_rot, 4 pos0, 7 neox, and both bind INV: the
// host's inverse frequency per pair (freq_scale * base^(-2i / n_rot) / freq_factors[i], in double).
// Pair i (< n_rot / 2) of a head is elements (i, i + n_rot/2) when neox, else (2i, 2i + 1); at position pos its
// angle is pos * INV[i]; sin/cos from sincos.wgsl (prepended before this file).

// The two elements of pair i within a head.
fn rope_pair(i: u32) -> vec2u {
  let neox = P[7] != 0u;
  return vec2u(select(2u * i, i, neox), select(2u * i + 1u, i + P[3] / 2u, neox));
}

// The values x = (x0, x1) of pair i rotated to position pos: (x0 cos - x1 sin, x0 sin + x1 cos).
fn rope_rotate(x: vec2f, i: u32, pos: u32) -> vec2f {
  let sc = sincos(f32(pos) * INV[i]);
  return vec2f(x.x * sc.y - x.y * sc.x, x.x * sc.x + x.y * sc.y);
}

// Thread k (< n_rot/2 * n_head * n_tok) of the rotation in place of a [head_dim, n_head, n_tok] tensor whose
// element 0 is at x_off: its pair i, its token's position and the pair's two elements.
struct RopeThread { i: u32, pos: u32, e: vec2u }
fn rope_thread(k: u32, x_off: u32) -> RopeThread {
  let half = P[3] / 2u;
  let i = k % half;
  let th = k / half;  // t * n_head + h
  return RopeThread(i, P[4] + th / P[1], x_off + th * P[0] + rope_pair(i));
}
