// splat-sort-hist.wgsl — one pass of the deterministic LSD radix sort (8 bits): each workgroup counts the digits
// of its block of 256 keys (workgroup-memory counters only, no global atomics) and writes them digit-major,
// hist[digit * n_blocks + block], so an exclusive scan of hist gives each (digit, block) its first output slot.
struct Pass { shift: u32, n: u32, n_blocks: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> pass_: Pass;
@group(0) @binding(1) var<storage, read> keys: array<u32>;
@group(0) @binding(2) var<storage, read_write> hist: array<u32>;

var<workgroup> counts: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let block = wg.x + wg.y * nwg.x;
  if (block >= pass_.n_blocks) { return; }
  atomicStore(&counts[t], 0u);
  workgroupBarrier();
  let i = block * 256u + t;
  if (i < pass_.n) { atomicAdd(&counts[(keys[i] >> pass_.shift) & 255u], 1u); }
  workgroupBarrier();
  hist[t * pass_.n_blocks + block] = atomicLoad(&counts[t]);
}
