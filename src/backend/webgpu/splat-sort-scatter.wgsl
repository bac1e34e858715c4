// splat-sort-scatter.wgsl — one radix pass's stable scatter: each key of a block goes to its (digit, block) slot
// from the scanned hist plus its rank among the earlier keys of the block with the same digit (counted in
// workgroup memory: stable and deterministic, no atomics).
struct Pass { shift: u32, n: u32, n_blocks: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> pass_: Pass;
@group(0) @binding(1) var<storage, read> keys_in: array<u32>;
@group(0) @binding(2) var<storage, read> vals_in: array<u32>;
@group(0) @binding(3) var<storage, read> hist: array<u32>;
@group(0) @binding(4) var<storage, read_write> keys_out: array<u32>;
@group(0) @binding(5) var<storage, read_write> vals_out: array<u32>;

var<workgroup> digits: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let block = wg.x + wg.y * nwg.x;
  if (block >= pass_.n_blocks) { return; }
  let i = block * 256u + t;
  var d = 256u;  // past the end: matches no digit
  if (i < pass_.n) { d = (keys_in[i] >> pass_.shift) & 255u; }
  digits[t] = d;
  workgroupBarrier();
  if (i >= pass_.n) { return; }
  var rank = 0u;
  for (var j = 0u; j < t; j++) { rank += select(0u, 1u, digits[j] == d); }
  let dst = hist[d * pass_.n_blocks + block] + rank;
  keys_out[dst] = keys_in[i];
  vals_out[dst] = vals_in[i];
}
