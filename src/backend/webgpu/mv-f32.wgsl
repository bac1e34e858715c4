// mv-f32.wgsl — F32 weights for mv-common.wgsl: slice s is weights [8s, 8s + 8) of a row, two vec4 loads
// (rows and the buffer offset 16-byte aligned). xsl_W: the vec4 indices of x that slice s multiplies.
@group(0) @binding(1) var<storage, read> W: array<vec4f>;
fn xsl_W(s: u32) -> vec2u { return vec2u(2u * s, 2u * s + 1u); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let i = (rb >> 4u) + 2u * s;
  return array<vec4f, 2>(W[i], W[i + 1u]);
}
