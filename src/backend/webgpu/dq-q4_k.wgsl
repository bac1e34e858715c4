// dq-q4_k.wgsl — deq32 for Q4_K: super-blocks of 256 values in 144 bytes (f16 d, f16 dmin, 12 bytes of
// 6-bit scales and mins for 8 sub-blocks, 128 bytes of nibbles). Unit u is sub-block j = u % 8 of
// super-block u / 8; sub-blocks 2p and 2p+1 share nibble bytes [32p, 32p + 32) (low, high nibbles).
// value = d * sc_j * q - dmin * m_j.
// The 6-bit scale and min of sub-block j of the super-block whose 12 scale bytes start at byte s.
fn scale_min(s: u32, j: u32) -> vec2u {
  if (j < 4u) { return vec2u(ld8(s + j) & 63u, ld8(s + j + 4u) & 63u); }
  return vec2u((ld8(s + j + 4u) & 15u) | ((ld8(s + j - 4u) >> 6u) << 4u), (ld8(s + j + 4u) >> 4u) | ((ld8(s + j) >> 6u) << 4u));
}
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  let b = rb + (u / 8u) * 144u;
  let j = u % 8u;
  let d = ldf16(b);
  let dmin = ldf16(b + 2u);
  let sm = scale_min(b + 4u, j);
  let sc = sm.x;
  let m = sm.y;
  let dl = d * f32(sc);
  let ml = dmin * f32(m);
  let qb = b + 16u + (j / 2u) * 32u;
  let sh = (j % 2u) * 4u;
  for (var i = 0u; i < 32u; i += 4u) {
    let w = ld32u(qb + i);
    for (var k = 0u; k < 4u; k++) {
      (*o)[i + k] = dl * f32((w >> (8u * k + sh)) & 15u) - ml;
    }
  }
}
// deq4: elements [i, i + 4) of the row (i a multiple of 4), for matmul-tiled.wgsl.
fn deq4(rb: u32, i: u32, n: u32) -> vec4f {
  let b = rb + (i / 256u) * 144u;
  let j = (i / 32u) % 8u;
  let sm = scale_min(b + 4u, j);
  let sc = sm.x;
  let m = sm.y;
  let w = ld32u(b + 16u + (j / 2u) * 32u + i % 32u) >> ((j % 2u) * 4u);
  let q = (vec4u(w) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(15u);
  return ldf16(b) * f32(sc) * vec4f(q) - ldf16(b + 2u) * f32(m);
}
