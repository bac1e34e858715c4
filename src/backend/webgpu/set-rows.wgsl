// set-rows.wgsl — D[dst_off ..] = S[src_off ..] converted to the dst type: f32 (one thread per element)
// or f16 (one thread per pair, packed with pack2x16float; dst offset and n even).
// P: 0 n (elements), 1 src offset, 2 dst offset (elements), 3 dst is f16, 4 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let k = g.x + g.y * P[4];
  if (P[3] != 0u) {
    if (2u * k >= P[0]) { return; }
    let s = P[1] + 2u * k;
    D[(P[2] + 2u * k) / 2u] = pack2x16float(vec2f(S[s], S[s + 1u]));
  } else {
    if (k >= P[0]) { return; }
    D[P[2] + k] = bitcast<u32>(S[P[1] + k]);
  }
}
