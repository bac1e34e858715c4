// dq-f16.wgsl — deq32 for F16 rows, unpacked in f32 arithmetic (no shader-f16 needed).
fn deq32(rb: u32, u: u32, n: u32, o: ptr<function, array<f32, 32>>) {
  for (var j = 0u; j < 32u; j += 2u) {
    let i = u * 32u + j;
    let v = unpack2x16float(ld32u(rb + 2u * i));
    (*o)[j] = select(0.0, v.x, i < n);
    (*o)[j + 1u] = select(0.0, v.y, i + 1u < n);
  }
}
// deq4: elements [i, i + 4) of the row (i a multiple of 4; zero past n), for matmul-tiled.wgsl.
fn deq4(rb: u32, i: u32, n: u32) -> vec4f {
  let a = unpack2x16float(ld32u(rb + 2u * i));
  let b = unpack2x16float(ld32u(rb + 2u * i + 4u));
  let v = vec4f(a, b);
  if (i + 4u <= n) { return v; }
  return select(vec4f(0.0), v, vec4u(i) + vec4u(0u, 1u, 2u, 3u) < vec4u(n));
}
