// glu.wgsl — Y = act(G) * U elementwise; ACT from the prefix: 0 silu, 1 gelu (tanh approximation).
// Y may be G. P: 0 n, 1 g offset, 2 u offset, 3 y offset, 4 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * P[4];
  if (i >= P[0]) { return; }
  let x = G[P[1] + i];
  var a: f32;
  if (ACT == 0u) {
    a = x / (1.0 + exp(-x));
  } else {
    let z = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
    a = 0.5 * x * (1.0 + tanh(z));
  }
  Y[P[3] + i] = a * U[P[2] + i];
}
