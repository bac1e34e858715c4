// dq-f16.wgsl — deq32 for F16 rows, unpacked in f32 arithmetic (no shader-f16 needed).
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  for (var j = 0u; j < 32u; j += 2u) {
    let i = u * 32u + j;
    let v = unpack2x16float(ld32u(rb + 2u * i));
    (*o)[j] = select(0.0, v.x, i < n);
    (*o)[j + 1u] = select(0.0, v.y, i + 1u < n);
  }
}
