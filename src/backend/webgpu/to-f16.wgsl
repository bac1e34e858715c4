// to-f16.wgsl — activations as f16 for matmul-sgmat.wgsl (XM 1 and 2): value k of token t as half of u32 word
// H[P[4] + t P[5] + k / 2] (pack2x16float), clamped to +-65504; K padded to 2 P[5] values and the tokens to P[6]
// rows with zeros, so that the matmul reads whole tiles without bounds checks. One thread a word.
// P: 0 n_in, 1 n_tok, 2 x offset, 3 x row stride, 4 out offset (words), 5 out row stride (words), 6 padded rows,
//    7 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> H: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P[7];
  if (i >= P[5] * P[6]) { return; }
  let t = i / P[5];
  let k = 2u * (i % P[5]);
  var v = vec2f(0.0);
  if (t < P[1]) {
    let xb = P[2] + t * P[3] + k;
    if (k < P[0]) { v.x = X[xb]; }
    if (k + 1u < P[0]) { v.y = X[xb + 1u]; }
  }
  H[P[4] + i] = pack2x16float(clamp(v, vec2f(-65504.0), vec2f(65504.0)));
}
