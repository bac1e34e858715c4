// mv-q4_0.wgsl — Q4_0 weights for mv-common.wgsl: blocks of 18 bytes (f16 d, 16 bytes of nibbles; value j
// < 16 is the low nibble of byte j, value j + 16 the high one); slice s = 4 b + p takes bytes [4p, 4p + 4)
// of block b: values 4p..4p+3 (low nibbles) and 16+4p..16+4p+3 (high), so xsl_W names x's vec4s 8b + p
// and 8b + 4 + p. value = d * (q - 8).
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn ld_W(off: u32) -> u32 {
  let w = off >> 2u;
  let sh = (off & 3u) * 8u;
  if (sh == 0u) { return W[w]; }
  return (W[w] >> sh) | (W[w + 1u] << (32u - sh));
}
fn xsl_W(s: u32) -> vec2u { return vec2u(8u * (s >> 2u) + (s & 3u), 8u * (s >> 2u) + 4u + (s & 3u)); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let b = rb + (s >> 2u) * 18u;
  let d = unpack2x16float(ld_W(b) & 0xffffu).x;
  let q = ld_W(b + 2u + (s & 3u) * 4u);
  let sh = vec4u(0u, 8u, 16u, 24u);
  let lo = vec4f((vec4u(q) >> sh) & vec4u(15u)) - 8.0;
  let hi = vec4f((vec4u(q) >> (sh + 4u)) & vec4u(15u)) - 8.0;
  return array<vec4f, 2>(d * lo, d * hi);
}
