// quantize-q8.wgsl — activations to 8-bit blocks for matmul-dp4a.wgsl, as the CPU backend quantizes them
// (quantize_act_ref): per token, blocks of 32 values, d = max|x| / 127, q = round(x * 127 / max|x|) (ties to
// even), s = d * sum(q). One thread per block. Output, u32 words from Q's offset: the q of token t, block b at
// [(t nb + b) 8, + 8) (4 int8 a word, value 4 j + i in byte i of word j), then (d, s) as f32 bits at
// n_tok nb 8 + (t nb + b) 2. Needs n_in % 32 == 0.
// P: 0 n_in, 1 n_tok, 2 x offset, 3 x row stride, 4 q offset (words), 5 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Q: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let nb = P[0] / 32u;
  let i = gid.x + gid.y * P[5];
  if (i >= nb * P[1]) { return; }
  let t = i / nb;
  let xb = P[2] + t * P[3] + (i % nb) * 32u;
  var amax = 0.0;
  for (var j = 0u; j < 32u; j++) { amax = max(amax, abs(X[xb + j])); }
  let d = amax / 127.0;
  var id = 0.0;
  if (d != 0.0) { id = 127.0 / amax; }
  var sum = 0i;
  for (var j = 0u; j < 8u; j++) {
    let q = vec4i(round(vec4f(X[xb + 4u * j], X[xb + 4u * j + 1u], X[xb + 4u * j + 2u], X[xb + 4u * j + 3u]) * id));
    sum += q.x + q.y + q.z + q.w;
    Q[P[4] + i * 8u + j] = pack4xI8(q);
  }
  let o = P[4] + P[1] * nb * 8u + i * 2u;
  Q[o] = bitcast<u32>(d);
  Q[o + 1u] = bitcast<u32>(d * f32(sum));
}
