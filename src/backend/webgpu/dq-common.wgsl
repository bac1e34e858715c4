// dq-common.wgsl — prefix of every kernel that reads a weight: W is the weight buffer seen as u32 words,
// ld32u/ld8 read at any byte offset (GGUF blocks of 34 and 18 bytes are not word aligned). The dtype
// file appended after it defines deq32(row_byte, unit, n, out): elements [32 unit, 32 unit + 32) of a
// row of n elements starting at byte row_byte, as f32 (zero past n).
fn ld32u(off: u32) -> u32 {
  let w = off >> 2u;
  let s = (off & 3u) * 8u;
  if (s == 0u) { return W[w]; }
  return (W[w] >> s) | (W[w + 1u] << (32u - s));
}
fn ld8(off: u32) -> u32 { return (W[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu; }
fn ldf16(off: u32) -> f32 { return unpack2x16float(ld32u(off) & 0xffffu).x; }
