// argmax-merge.wgsl — pass 2 of the one-row argmax: one workgroup reduces the chunks' (index, value) pairs
// written by argmax-chunk.wgsl (the same order: larger value, then lower index) and writes the index to
// O[out_off]. P: 0 chunks, 1 scratch offset, 2 out offset.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> S: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var c = li; c < P[0]; c += 256u) {
    let i = S[P[1] + 2u * c];
    let v = bitcast<f32>(S[P[1] + 2u * c + 1u]);
    if (beats(v, i, bv, bi)) { bv = v; bi = i; }
  }
  reduce_best(li, bv, bi);
  if (li == 0u) { O[P[2]] = ri[0]; }
}
