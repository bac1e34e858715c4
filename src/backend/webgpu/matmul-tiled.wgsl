// matmul-tiled.wgsl — prefill matrix product Y[t][row0 + r] = sum_i W[r][i] * X[t][i] for the rows of one
// weight buffer, for many tokens at once. A workgroup of 256 threads (16 x 16) owns a tile of BN = 16 TN rows by
// BM = 16 TM tokens; the K dimension goes in steps of BK values: the step's weight tile is dequantized as it is
// loaded (deq4 of the appended dtype file: 4 values at a time) and staged in workgroup memory beside the step's
// activation tile, then each thread accumulates its TM x TN outputs from vec4 reads of both (rows 4 tx + 64 b,
// tokens 4 ty + 64 a). Workgroup memory: 4 BK (BN + BM) bytes (16 KiB for 64 x 64 x 32: WebGPU's default limit).
// TM, TN (multiples of 4) and BK (multiple of 4) are constants prepended by the host.
// Does not: use subgroup matrices or f16 arithmetic; handle one token (the mv-*.wgsl kernels do).
// P (as matmul.wgsl): 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 x offset, 6 y offset,
//    7 x row stride, 8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const BN = 16u * TN;  // rows of a tile
const BM = 16u * TM;  // tokens of a tile
const NA = TM / 4u;   // token vec4s a thread owns
const NB = TN / 4u;   // row vec4s a thread owns
var<workgroup> ws: array<vec4f, BK * BN / 4u>;  // [k][row / 4]
var<workgroup> xs: array<vec4f, BK * BM / 4u>;  // [k][token / 4]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let n_in = P[0];
  let n_tok = P[2];
  let rows = P[10];
  let r0 = (wid.x + wid.y * P[11]) * BN;
  let t0 = wid.z * BM;
  let tx = li % 16u;
  let ty = li / 16u;
  var acc: array<vec4f, TM * NB>;  // [token a * 4 + c][row vec4 b]: rows 4 tx + 64 b + (0..3)
  for (var k0 = 0u; k0 < n_in; k0 += BK) {
    // Weight tile: BN rows x BK values, one vec4 a load; consecutive threads take consecutive rows, so the
    // stores to ws[k][row] of a warp fall in distinct banks.
    for (var l = li; l < BN * BK / 4u; l += 256u) {
      let n = l % BN;
      let k = k0 + 4u * (l / BN);
      var v = vec4f(0.0);
      if (r0 + n < rows && k < n_in) { v = deq4(P[3] + (r0 + n) * P[4], k, n_in); }
      let o = (4u * (l / BN)) * (BN / 4u) + n / 4u;
      ws[o][n % 4u] = v.x;
      ws[o + BN / 4u][n % 4u] = v.y;
      ws[o + 2u * (BN / 4u)][n % 4u] = v.z;
      ws[o + 3u * (BN / 4u)][n % 4u] = v.w;
    }
    // Activation tile: BM tokens x BK values (zero past the last token and past n_in).
    for (var l = li; l < BM * BK / 4u; l += 256u) {
      let m = l % BM;
      let kq = l / BM;
      let k = k0 + 4u * kq;
      var v = vec4f(0.0);
      if (t0 + m < n_tok) {
        let xb = P[5] + (t0 + m) * P[7] + k;
        if (k + 4u <= n_in) {
          v = vec4f(X[xb], X[xb + 1u], X[xb + 2u], X[xb + 3u]);
        } else {
          for (var c = 0u; c < 4u; c++) {
            if (k + c < n_in) { v[c] = X[xb + c]; }
          }
        }
      }
      let o = (4u * kq) * (BM / 4u) + m / 4u;
      xs[o][m % 4u] = v.x;
      xs[o + BM / 4u][m % 4u] = v.y;
      xs[o + 2u * (BM / 4u)][m % 4u] = v.z;
      xs[o + 3u * (BM / 4u)][m % 4u] = v.w;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var wv: array<vec4f, NB>;
      for (var b = 0u; b < NB; b++) { wv[b] = ws[k * (BN / 4u) + tx + 16u * b]; }
      for (var a = 0u; a < NA; a++) {
        let xv = xs[k * (BM / 4u) + ty + 16u * a];
        for (var c = 0u; c < 4u; c++) {
          for (var b = 0u; b < NB; b++) {
            acc[(a * 4u + c) * NB + b] = fma(vec4f(xv[c]), wv[b], acc[(a * 4u + c) * NB + b]);
          }
        }
      }
    }
    workgroupBarrier();
  }
  for (var a = 0u; a < NA; a++) {
    for (var c = 0u; c < 4u; c++) {
      let t = t0 + 64u * a + 4u * ty + c;
      if (t >= n_tok) { continue; }
      let yb = P[6] + t * P[8] + P[9];
      for (var b = 0u; b < NB; b++) {
        let r = r0 + 64u * b + 4u * tx;
        let v = acc[(a * 4u + c) * NB + b];
        for (var e = 0u; e < 4u; e++) {
          if (r + e < rows) { Y[yb + r + e] = v[e]; }
        }
      }
    }
  }
}
