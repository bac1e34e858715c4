// splat-bin-scan.wgsl — per-tile lists, step 2 of 3: one workgroup turns the blocks' pair counts (bsum) into their
// exclusive prefix sums in place (each thread a contiguous chunk, then the 256 chunk sums), writes the total number
// of pairs to state[0], and sets the tile sort's passes (tpass: shift, n = the pairs, n_blocks) on the GPU, so the
// frame needs no read-back before sorting. More pairs than the buffers hold (state[1]): n = 0 (nothing is sorted or
// drawn); the host reads state[0] back, grows the buffers and renders again.
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
struct Pass { shift: u32, n: u32, n_blocks: u32, pad: u32 };
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read_write> bsum: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;  // [pairs, capacity, 0, 0]
@group(0) @binding(3) var<storage, read_write> tpass0: Pass;
@group(0) @binding(4) var<storage, read_write> tpass1: Pass;
@group(0) @binding(5) var<storage, read_write> tpass2: Pass;

var<workgroup> sums: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let n_blocks = (P.n + 255u) / 256u;
  let chunk = (n_blocks + 255u) / 256u;
  let begin = min(t * chunk, n_blocks);
  let end = min(begin + chunk, n_blocks);
  var s = 0u;
  for (var j = begin; j < end; j++) { s += bsum[j]; }
  sums[t] = s;
  workgroupBarrier();
  if (t == 0u) {
    var acc = 0u;
    for (var j = 0u; j < 256u; j++) {
      let v = sums[j];
      sums[j] = acc;
      acc += v;
    }
    state[0] = acc;
    var m = acc;
    if (acc > state[1]) { m = 0u; }
    let mb = (m + 255u) / 256u;
    tpass0 = Pass(0u, m, mb, 0u);
    tpass1 = Pass(8u, m, mb, 0u);
    tpass2 = Pass(16u, m, mb, 0u);
  }
  workgroupBarrier();
  var acc = sums[t];
  for (var j = begin; j < end; j++) {
    let v = bsum[j];
    bsum[j] = acc;
    acc += v;
  }
}
