// sgmat-xd.wgsl — matmul-sgmat.wgsl's activations for XM 2: the f16 copy of to-f16.wgsl (rows padded to whole
// tiles, K to 64, with zeros), read by the subgroup-matrix loads straight from the buffer (offset and row stride
// in f16; both multiples of 8: 16-byte aligned rows). Nothing staged.
@group(0) @binding(2) var<storage, read_write> X: array<f16>;
const XL = 0u;
alias XR = vec4u;

fn fetch_x(t0: u32, k0: u32, l: u32) -> vec4u { return vec4u(); }
fn stage_x(l: u32, v: vec4u) {}

fn left(tl: u32, t: u32, kl: u32, k: u32) -> Left {
  return subgroupMatrixLoad<Left>(&X, P[5] + t * P[7] + k, false, P[7]);
}
