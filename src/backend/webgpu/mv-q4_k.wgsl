// mv-q4_k.wgsl — Q4_K weights for mv-common.wgsl: super-blocks of 256 values in 144 bytes (f16 d, f16 dmin,
// 12 bytes of 6-bit scales/mins of 8 sub-blocks, 128 bytes of nibbles; sub-blocks 2p, 2p+1 are the low and
// high nibbles of bytes [32p, 32p + 32)). Slice s: super-block s / 32, sub-block j = (s % 32) / 4, part
// s % 4 (8 values, contiguous in x). value = d * sc_j * q - dmin * m_j. Rows are 16-byte aligned.
@group(0) @binding(1) var<storage, read> W: array<u32>;
fn b8_W(off: u32) -> u32 { return (W[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu; }
fn xsl_W(s: u32) -> vec2u { return vec2u(2u * s, 2u * s + 1u); }
fn wsl_W(rb: u32, s: u32) -> array<vec4f, 2> {
  let b = rb + (s >> 5u) * 144u;
  let j = (s >> 2u) & 7u;
  let dm = unpack2x16float(W[b >> 2u]);
  let sb = b + 4u;
  var sc: u32;
  var m: u32;
  if (j < 4u) {
    sc = b8_W(sb + j) & 63u;
    m = b8_W(sb + j + 4u) & 63u;
  } else {
    sc = (b8_W(sb + j + 4u) & 15u) | ((b8_W(sb + j - 4u) >> 6u) << 4u);
    m = (b8_W(sb + j + 4u) >> 4u) | ((b8_W(sb + j) >> 6u) << 4u);
  }
  let dl = dm.x * f32(sc);
  let ml = dm.y * f32(m);
  let o = (b + 16u + (j >> 1u) * 32u + (s & 3u) * 8u) >> 2u;
  let nsh = (j & 1u) * 4u;
  let sh = vec4u(0u, 8u, 16u, 24u) + nsh;
  let q0 = vec4f((vec4u(W[o]) >> sh) & vec4u(15u));
  let q1 = vec4f((vec4u(W[o + 1u]) >> sh) & vec4u(15u));
  return array<vec4f, 2>(dl * q0 - ml, dl * q1 - ml);
}
