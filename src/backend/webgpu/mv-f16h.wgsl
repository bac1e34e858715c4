// mv-f16h.wgsl — F16 weights for mv-common.wgsl with shader-f16 (`enable f16;` in the prefix): the 16-byte
// load is reinterpreted as two vec4<f16> and widened to f32; the products are summed in f32 as in mv-f16.
@group(0) @binding(1) var<storage, read> W: array<vec4u>;
fn xsl_W(s: u32) -> vec2u { return vec2u(2u * s, 2u * s + 1u); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let q = W[(rb >> 4u) + s];
  return array<vec4f, 2>(vec4f(bitcast<vec4<f16>>(q.xy)), vec4f(bitcast<vec4<f16>>(q.zw)));
}
