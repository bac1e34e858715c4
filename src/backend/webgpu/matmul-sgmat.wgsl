// matmul-sgmat.wgsl — prefill matrix product Y[t][row0 + r] = sum_i W[r][i] * X[t][i] on the adapter's subgroup
// matrices (Chromium's chromium_experimental_subgroup_matrix: f16 16 x 16 x 16 products accumulated in f32, the
// tensor cores of NVIDIA's Vulkan driver). A workgroup of SM x SN subgroups of 32 threads owns BM = 16 SM FM
// tokens by BN = 16 SN FN rows; each subgroup keeps FM x FN result tiles. K goes in steps of BK (32 or 64): the
// step's weight tile comes by the appended weight file (sgmat-wdq.wgsl: dequantized 4 values at a time by deq4 of
// the dtype file, any type; sgmat-wf16.wgsl: F16 rows of whole 16-byte words, 8 values a load), rounded to f16 and
// staged in workgroup memory as [row][k] with a padded stride; every thread fetches its share of the next step into
// registers before the current step's products (a software pipeline, as matmul-dp4a.wgsl). The activations come
// by the appended x file, by XM: 0 (sgmat-x32.wgsl) x as f32, rounded to f16 and staged like the weights;
// 1 (sgmat-x16.wgsl) the f16 copy of to-f16.wgsl (rows padded to whole tiles, K to 64: no bounds checks), 16-byte
// loads, staged; 2 (sgmat-xd.wgsl) that copy read by the subgroup-matrix loads straight from the buffer, no
// staging. Results go straight to Y where the workgroup's whole tile is inside it (and 16-byte aligned); at
// ragged edges through one 16 x 16 f32 scratch tile, a subgroup at a time, with bounds checks.
// SM, SN, FM, FN, BK, XM are constants prepended by the host (WV, the values a weight load, comes with the weight file); it also needs the f16 and subgroups features and a
// subgroup size of 32. Workgroup memory: 2 LD (BN + BM, no BM for XM 2) + 1024 bytes, at most 32 KiB. The host
// puts the directives (enable f16, enable chromium_experimental_subgroup_matrix, the uniformity diagnostic off)
// before the constants: WGSL wants them ahead of every declaration.
// Does not: handle one token (the mv-*.wgsl kernels do); run where the adapter lacks subgroup matrices.
// P (as matmul-tiled.wgsl): 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 x offset, 6 y offset,
//    7 x row stride, 8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x. x offset and stride
//    count f32 (XM 0), 16-byte units (XM 1) or f16 (XM 2).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const LD = BK + 8u;         // f16 stride of a staged row (16-byte aligned, banks spread)
const BM = 16u * SM * FM;   // tokens of a tile
const BN = 16u * SN * FN;   // rows of a tile
const NT = 32u * SM * SN;   // threads
const WL = BN * BK / WV / NT;  // weight loads a thread makes a step (WV values each: the weight file's)
var<workgroup> ws: array<f16, BN * LD>;  // [row][k]
var<workgroup> sc: array<f32, 256u>;     // a 16 x 16 result tile at ragged edges

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;

@compute @workgroup_size(NT)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let n_in = P[0];
  let n_tok = P[2];
  let rows = P[10];
  let r0 = (wid.x + wid.y * P[11]) * BN;
  let t0 = wid.z * BM;
  let sg = li / 32u;
  let lane = li % 32u;
  let sm = sg % SM;  // this subgroup's tokens: 16 FM from 16 FM sm
  let sn = sg / SM;  // rows: 16 FN from 16 FN sn
  var acc: array<Acc, FM * FN>;
  for (var i = 0u; i < FM * FN; i++) { acc[i] = Acc(); }
  var wr: array<WR, WL>;
  var xr: array<XR, max(XL, 1u)>;
  for (var i = 0u; i < WL; i++) { wr[i] = load_w(r0, 0u, li + i * NT); }
  for (var i = 0u; i < XL; i++) { xr[i] = fetch_x(t0, 0u, li + i * NT); }
  for (var k0 = 0u; k0 < n_in; k0 += BK) {
    for (var i = 0u; i < WL; i++) { stage_w(li + i * NT, wr[i]); }
    for (var i = 0u; i < XL; i++) { stage_x(li + i * NT, xr[i]); }
    workgroupBarrier();
    if (k0 + BK < n_in) {  // the next step's loads, in flight during this step's products
      for (var i = 0u; i < WL; i++) { wr[i] = load_w(r0, k0 + BK, li + i * NT); }
      for (var i = 0u; i < XL; i++) { xr[i] = fetch_x(t0, k0 + BK, li + i * NT); }
    }
    for (var kk = 0u; kk < BK; kk += 16u) {
      var a: array<Left, FM>;
      for (var i = 0u; i < FM; i++) {
        let tl = 16u * (sm * FM + i);
        a[i] = left(tl, t0 + tl, kk, k0 + kk);
      }
      for (var j = 0u; j < FN; j++) {
        let b = subgroupMatrixLoad<Right>(&ws, (16u * (sn * FN + j)) * LD + kk, true, LD);
        for (var i = 0u; i < FM; i++) {
          acc[i * FN + j] = subgroupMatrixMultiplyAccumulate(a[i], b, acc[i * FN + j]);
        }
      }
    }
    workgroupBarrier();
  }
  let yb = P[6] + P[9];
  if (t0 + BM <= n_tok && r0 + BN <= rows && yb % 4u == 0u && P[8] % 4u == 0u) {
    for (var i = 0u; i < FM; i++) {
      for (var j = 0u; j < FN; j++) {
        let t = t0 + 16u * (sm * FM + i);
        let r = r0 + 16u * (sn * FN + j);
        subgroupMatrixStore(&Y, yb + t * P[8] + r, acc[i * FN + j], false, P[8]);
      }
    }
    return;
  }
  // Ragged edge: token rows of 16 floats, row stride 16, one subgroup's tile at a time.
  for (var s = 0u; s < SM * SN; s++) {
    for (var i = 0u; i < FM; i++) {
      for (var j = 0u; j < FN; j++) {
        if (sg == s) { subgroupMatrixStore(&sc, 0u, acc[i * FN + j], false, 16u); }
        workgroupBarrier();
        if (sg == s) {
          let tb = t0 + 16u * (sm * FM + i);
          let rb = r0 + 16u * (sn * FN + j);
          for (var e = lane; e < 256u; e += 32u) {
            let t = tb + e / 16u;
            let r = rb + e % 16u;
            if (t < n_tok && r < rows) { Y[yb + t * P[8] + r] = sc[e]; }
          }
        }
        workgroupBarrier();
      }
    }
  }
}
