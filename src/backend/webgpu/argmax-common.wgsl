// argmax-common.wgsl — what the two passes of the one-row argmax share (prepended to argmax-chunk.wgsl and
// argmax-merge.wgsl): the order of (value, index) candidates and the workgroup's tree reduction of them.
var<workgroup> rv: array<f32, 256>;
var<workgroup> ri: array<u32, 256>;

// Whether candidate (v, i) beats (bv, bi): a larger value, or the same value at a lower index; none
// (index 0xffffffff) loses.
fn beats(v: f32, i: u32, bv: f32, bi: u32) -> bool {
  return i != 0xffffffffu && (bi == 0xffffffffu || v > bv || (v == bv && i < bi));
}

// Every invocation li of the 256 puts its candidate in; afterwards rv[0], ri[0] hold the workgroup's best.
fn reduce_best(li: u32, bv: f32, bi: u32) {
  rv[li] = bv;
  ri[li] = bi;
  workgroupBarrier();
  for (var k = 128u; k > 0u; k >>= 1u) {
    if (li < k && beats(rv[li + k], ri[li + k], rv[li], ri[li])) {
      rv[li] = rv[li + k];
      ri[li] = ri[li + k];
    }
    workgroupBarrier();
  }
}
