// mv-q8_0.wgsl — Q8_0 weights for mv-common.wgsl: blocks of 34 bytes (f16 d, 32 int8); slice s is part
// s % 4 (8 values) of block s / 4. Blocks are not word aligned: ld_W reads a word at any byte offset.
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn ld_W(off: u32) -> u32 {
  let w = off >> 2u;
  let sh = (off & 3u) * 8u;
  if (sh == 0u) { return W[w]; }
  return (W[w] >> sh) | (W[w + 1u] << (32u - sh));
}
fn i8x4_W(w: u32) -> vec4f {
  return vec4f(vec4i(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4u(24u));
}
fn xsl_W(s: u32) -> vec2u { return vec2u(2u * s, 2u * s + 1u); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let b = rb + (s >> 2u) * 34u;
  let d = unpack2x16float(ld_W(b) & 0xffffu).x;
  let o = b + 2u + (s & 3u) * 8u;
  return array<vec4f, 2>(d * i8x4_W(ld_W(o)), d * i8x4_W(ld_W(o + 4u)));
}
