// mv-f16.wgsl — F16 weights for mv-common.wgsl, unpacked with unpack2x16float (no shader-f16 needed):
// slice s is weights [8s, 8s + 8) of a row, one 16-byte load (rows and the buffer offset 16-byte aligned).
@group(0) @binding(1) var<storage, read> W: array<vec4u>;
fn xsl_W(s: u32) -> vec2u { return vec2u(2u * s, 2u * s + 1u); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let q = W[(rb >> 4u) + s];
  return array<vec4f, 2>(vec4f(unpack2x16float(q.x), unpack2x16float(q.y)),
                         vec4f(unpack2x16float(q.z), unpack2x16float(q.w)));
}
