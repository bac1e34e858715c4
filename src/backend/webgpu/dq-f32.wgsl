// dq-f32.wgsl — deq32 for F32 rows (see dq-common.wgsl).
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  for (var j = 0u; j < 32u; j++) {
    let i = u * 32u + j;
    (*o)[j] = select(0.0, bitcast<f32>(ld32u(rb + 4u * i)), i < n);
  }
}
