// argmax-chunk.wgsl — pass 1 of the one-row argmax (greedy decoding over a vocabulary): workgroup c finds the
// largest value of X[x_off + 2048 c .. + 2048) and its index (the first one on ties, as argmax.wgsl and the CPU
// greedy sampler), written as S[2c] = index (0xffffffff: none), S[2c + 1] = value bits. argmax-merge.wgsl
// reduces the chunks; argmax-common.wgsl is prepended to both. P: 0 n, 1 x offset, 2 scratch offset,
// 3 workgroups along x, 4 chunks.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> S: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let c = wid.x + wid.y * P[3];
  if (c >= P[4]) { return; }
  let n = P[0];
  let base = c * 2048u;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var j = 0u; j < 8u; j++) {
    let i = base + j * 256u + li;  // increasing per thread: strict > keeps the first index
    if (i < n) {
      let v = X[P[1] + i];
      if (v > bv || bi == 0xffffffffu) { bv = v; bi = i; }
    }
  }
  reduce_best(li, bv, bi);
  if (li == 0u) {
    S[P[2] + 2u * c] = ri[0];
    S[P[2] + 2u * c + 1u] = bitcast<u32>(rv[0]);
  }
}
