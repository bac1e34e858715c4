// splat-sort-scan.wgsl — exclusive prefix sum of the radix pass's hist (256 * n_blocks counts) in place, by one
// workgroup: each thread sums a contiguous chunk, the 256 chunk sums are scanned in workgroup memory, then each
// thread rewrites its chunk. Deterministic (integer sums in a fixed order).
struct Pass { shift: u32, n: u32, n_blocks: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> pass_: Pass;
@group(0) @binding(1) var<storage, read_write> hist: array<u32>;

var<workgroup> sums: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let total = 256u * pass_.n_blocks;
  let chunk = pass_.n_blocks;  // total / 256
  let begin = t * chunk;
  var s = 0u;
  for (var j = 0u; j < chunk; j++) { s += hist[begin + j]; }
  sums[t] = s;
  workgroupBarrier();
  if (t == 0u) {
    var acc = 0u;
    for (var j = 0u; j < 256u; j++) {
      let v = sums[j];
      sums[j] = acc;
      acc += v;
    }
  }
  workgroupBarrier();
  var acc = sums[t];
  for (var j = 0u; j < chunk; j++) {
    let v = hist[begin + j];
    hist[begin + j] = acc;
    acc += v;
  }
  _ = total;
}
