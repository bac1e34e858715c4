// workgroup-sum.wgsl — the row reduction of the norm kernels and softmax (prepended to rms-norm, norm-add,
// softmax, layer-norm and group-norm): a shared-memory tree over the workgroup's WG invocations. The kernel
// declares `const WG: u32` (its workgroup size, a power of two) and calls these in uniform control flow,
// every invocation li < WG with its partial value.
var<workgroup> red: array<f32, WG>;

// The sum of every invocation's v: halves fold pairwise (red[li] += red[li + k], k = WG/2 .. 1), so the
// order of the additions is fixed. Ends with a barrier, so the next reduction may reuse red.
fn workgroup_sum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] += red[li + k]; }
    workgroupBarrier();
  }
  let s = red[0];
  workgroupBarrier();
  return s;
}

// The largest of every invocation's v, the same tree.
fn workgroup_max(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (li < k) { red[li] = max(red[li], red[li + k]); }
    workgroupBarrier();
  }
  let m = red[0];
  workgroupBarrier();
  return m;
}
