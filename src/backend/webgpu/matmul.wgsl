// matmul.wgsl — Y[t][row0 + r] = sum_i W[r][i] * X[t][i] for the rows of one weight buffer (a weight over
// maxStorageBufferBindingSize is split by rows into several buffers, one dispatch each). A workgroup of
// 64 threads owns 4 rows (16 lanes each; linear workgroup id wid.x + wid.y * P[11]) and a tile of up to
// 8 tokens (wid.z); each lane dequantizes 32-value units of its row once (deq32, from the appended dtype
// file) and accumulates them against the tile's tokens; a shared-memory tree sums the 16 lanes of a row
// for the tile's tokens only (decode: one).
// P: 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 x offset, 6 y offset, 7 x row stride,
//    8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x. Offsets/strides in elements.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

var<workgroup> red: array<f32, 512>;  // [token][row * 16 + lane]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let lane = li % 16u;
  let r = (wid.x + wid.y * P[11]) * 4u + li / 16u;
  let valid = r < P[10];
  let n_in = P[0];
  let nu = (n_in + 31u) / 32u;
  let t0 = wid.z * 8u;
  let nt = min(8u, P[2] - t0);
  var acc: array<f32, 8>;
  if (valid) {
    let rb = P[3] + r * P[4];
    var w: array<f32, 32>;
    for (var u = lane; u < nu; u += 16u) {
      deq32(rb, u, n_in, &w);
      let m = min(32u, n_in - u * 32u);
      for (var t = 0u; t < nt; t++) {
        let xb = P[5] + (t0 + t) * P[7] + u * 32u;
        var s = 0.0;
        for (var j = 0u; j < m; j++) { s += w[j] * X[xb + j]; }
        acc[t] += s;
      }
    }
  }
  for (var t = 0u; t < nt; t++) { red[t * 64u + li] = acc[t]; }
  workgroupBarrier();
  for (var s = 8u; s > 0u; s >>= 1u) {
    if (lane < s) {
      for (var t = 0u; t < nt; t++) { red[t * 64u + li] += red[t * 64u + li + s]; }
    }
    workgroupBarrier();
  }
  if (valid && lane < nt) { Y[P[6] + (t0 + lane) * P[8] + P[9] + r] = red[lane * 64u + li - lane]; }
}
