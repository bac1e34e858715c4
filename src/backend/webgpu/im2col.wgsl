// im2col.wgsl — the unfolded input of a 1-d convolution (Backend::conv1d; weights stored [C_out][K][C_in]):
// Y[t][k * C_in + c] = X[t * stride + k - pad][c], zero outside [0, T_in). Y: {K * C_in, T_out}; the
// convolution is then the ordinary matmul of the weight with Y. One thread per element of Y.
// P: 0 C_in, 1 T_in, 2 K * C_in, 3 stride, 4 pad, 5 elements of Y, 6 x offset, 7 y offset, 8 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * P[8];
  if (i >= P[5]) { return; }
  let t = i / P[2];
  let j = i % P[2];
  let r = i32(t * P[3] + j / P[0]) - i32(P[4]);
  var v = 0.0;
  if (r >= 0 && r < i32(P[1])) { v = X[P[6] + u32(r) * P[0] + j % P[0]]; }
  Y[P[7] + i] = v;
}
