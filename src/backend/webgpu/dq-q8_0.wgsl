// dq-q8_0.wgsl — deq32 for Q8_0: blocks of 34 bytes (f16 scale d, 32 int8 q); value = d * q.
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  let b = rb + u * 34u;
  let d = ldf16(b);
  for (var j = 0u; j < 32u; j += 4u) {
    let w = ld32u(b + 2u + j);
    for (var k = 0u; k < 4u; k++) {
      (*o)[j + k] = d * f32(bitcast<i32>(w << (24u - 8u * k)) >> 24u);
    }
  }
}
// deq4: elements [i, i + 4) of the row (i a multiple of 4), for matmul-tiled.wgsl.
fn deq4(rb: u32, i: u32, n: u32) -> vec4f {
  let b = rb + (i / 32u) * 34u;
  let w = ld32u(b + 2u + i % 32u);
  let q = vec4i(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4u(24u);
  return ldf16(b) * vec4f(q);
}
