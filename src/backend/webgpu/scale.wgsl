// scale.wgsl — X *= s in place. P: 0 n, 1 offset, 2 s (f32 bits), 3 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * P[3];
  if (i >= P[0]) { return; }
  X[P[1] + i] *= bitcast<f32>(P[2]);
}
