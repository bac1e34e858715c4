// binary.wgsl — Y = A op B elementwise (OP from the prefix: 0 add, 1 mul); B is A's shape or one row
// broadcast over A's rows. Y may be A (same buffer bound twice read_write). One thread per element.
// P: 0 n (elements), 1 ne0, 2 b is one row, 3 a offset, 4 b offset, 5 y offset, 6 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * P[6];
  if (i >= P[0]) { return; }
  let bi = select(i, i % P[1], P[2] != 0u);
  let a = A[P[3] + i];
  let b = B[P[4] + bi];
  Y[P[5] + i] = select(a + b, a * b, OP == 1u);
}
