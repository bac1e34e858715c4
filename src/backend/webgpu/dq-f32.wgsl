// dq-f32.wgsl — deq32 for F32 rows (see dq-common.wgsl).
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  for (var j = 0u; j < 32u; j++) {
    let i = u * 32u + j;
    (*o)[j] = select(0.0, bitcast<f32>(ld32u(rb + 4u * i)), i < n);
  }
}
// deq4: elements [i, i + 4) of the row (i a multiple of 4; zero past n), for matmul-tiled.wgsl.
fn deq4(rb: u32, i: u32, n: u32) -> vec4f {
  var v = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (i + c < n) { v[c] = bitcast<f32>(ld32u(rb + 4u * (i + c))); }
  }
  return v;
}
