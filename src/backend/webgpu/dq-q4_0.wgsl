// dq-q4_0.wgsl — deq32 for Q4_0: blocks of 18 bytes (f16 scale d, 16 bytes of nibbles); value j < 16 is
// the low nibble of byte j, value j >= 16 the high nibble of byte j - 16; value = d * (q - 8).
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  let b = rb + u * 18u;
  let d = ldf16(b);
  for (var j = 0u; j < 16u; j += 4u) {
    let w = ld32u(b + 2u + j);
    for (var k = 0u; k < 4u; k++) {
      let q = (w >> (8u * k)) & 0xffu;
      (*o)[j + k] = d * (f32(q & 15u) - 8.0);
      (*o)[j + k + 16u] = d * (f32(q >> 4u) - 8.0);
    }
  }
}
// deq4: elements [i, i + 4) of the row (i a multiple of 4), for matmul-tiled.wgsl.
fn deq4(rb: u32, i: u32, n: u32) -> vec4f {
  let b = rb + (i / 32u) * 18u;
  let j = i % 32u;
  let w = ld32u(b + 2u + (j % 16u)) >> select(0u, 4u, j >= 16u);
  let q = (vec4u(w) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(15u);
  return ldf16(b) * (vec4f(q) - 8.0);
}
