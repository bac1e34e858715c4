// matmul-sgmat.wgsl — prefill matrix product Y[t][row0 + r] = sum_i W[r][i] * X[t][i] on the adapter's subgroup
// matrices (Chromium's chromium_experimental_subgroup_matrix: f16 16 x 16 x 16 products accumulated in f32, the
// tensor cores of NVIDIA's Vulkan driver). A workgroup of SM x SN subgroups of 32 threads owns BM = 16 SM FM
// tokens by BN = 16 SN FN rows; each subgroup keeps FM x FN result tiles. K goes in steps of BK = 32: the step's
// weight tile is dequantized as it is loaded (deq4 of the appended dtype file) and the activation tile rounded to
// f16, both staged in workgroup memory as [row][k] with a padded stride; every thread fetches its share of the
// next step into registers before the current step's products (a software pipeline, as matmul-dp4a.wgsl).
// Results leave through a 16 x 16 f32 scratch tile per subgroup, so ragged edges (tokens, rows not multiples of
// 16) are written with bounds checks. Activations beyond f16's range are clamped to +-65504.
// SM, SN, FM, FN are constants prepended by the host; it also needs the f16 and subgroups features and a
// subgroup size of 32. Workgroup memory: 2 LD (BM + BN) + 1024 SM SN bytes. The host puts the directives
// (enable f16, enable chromium_experimental_subgroup_matrix, the uniformity diagnostic off) before the constants:
// WGSL wants them ahead of every declaration.
// Does not: handle one token (the mv-*.wgsl kernels do); run where the adapter lacks subgroup matrices.
// P (as matmul-tiled.wgsl): 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 x offset, 6 y offset,
//    7 x row stride, 8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const BK = 32u;
const LD = 40u;             // f16 stride of a staged row (80 bytes: 16-byte aligned, banks spread)
const BM = 16u * SM * FM;   // tokens of a tile
const BN = 16u * SN * FN;   // rows of a tile
const NT = 32u * SM * SN;   // threads
const WL = BN * BK / 4u / NT;  // weight vec4s a thread loads a step
const XL = BM * BK / 4u / NT;  // activation vec4s a thread loads a step
var<workgroup> xs: array<f16, BM * LD>;  // [token][k]
var<workgroup> ws: array<f16, BN * LD>;  // [row][k]
var<workgroup> sc: array<f32, 256u * SM * SN>;  // a 16 x 16 result tile per subgroup

alias Left = subgroup_matrix_left<f16, 16, 16>;
alias Right = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;

fn load_w(r0: u32, k0: u32, l: u32) -> vec4f {
  let n = l / (BK / 4u);
  let k = k0 + 4u * (l % (BK / 4u));
  if (r0 + n < P[10] && k < P[0]) { return deq4(P[3] + (r0 + n) * P[4], k, P[0]); }
  return vec4f(0.0);
}

fn load_x(t0: u32, k0: u32, l: u32) -> vec4f {
  let m = l / (BK / 4u);
  let k = k0 + 4u * (l % (BK / 4u));
  let n_in = P[0];
  var v = vec4f(0.0);
  if (t0 + m < P[2]) {
    let xb = P[5] + (t0 + m) * P[7] + k;
    if (k + 4u <= n_in) {
      v = vec4f(X[xb], X[xb + 1u], X[xb + 2u], X[xb + 3u]);
    } else {
      for (var c = 0u; c < 4u; c++) {
        if (k + c < n_in) { v[c] = X[xb + c]; }
      }
    }
  }
  return clamp(v, vec4f(-65504.0), vec4f(65504.0));
}

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
  var wr: array<vec4f, WL>;
  var xr: array<vec4f, XL>;
  for (var i = 0u; i < WL; i++) { wr[i] = load_w(r0, 0u, li + i * NT); }
  for (var i = 0u; i < XL; i++) { xr[i] = load_x(t0, 0u, li + i * NT); }
  for (var k0 = 0u; k0 < n_in; k0 += BK) {
    for (var i = 0u; i < WL; i++) {
      let l = li + i * NT;
      let o = (l / (BK / 4u)) * LD + 4u * (l % (BK / 4u));
      let v = vec4<f16>(wr[i]);
      ws[o] = v.x; ws[o + 1u] = v.y; ws[o + 2u] = v.z; ws[o + 3u] = v.w;
    }
    for (var i = 0u; i < XL; i++) {
      let l = li + i * NT;
      let o = (l / (BK / 4u)) * LD + 4u * (l % (BK / 4u));
      let v = vec4<f16>(xr[i]);
      xs[o] = v.x; xs[o + 1u] = v.y; xs[o + 2u] = v.z; xs[o + 3u] = v.w;
    }
    workgroupBarrier();
    if (k0 + BK < n_in) {  // the next step's loads, in flight during this step's products
      for (var i = 0u; i < WL; i++) { wr[i] = load_w(r0, k0 + BK, li + i * NT); }
      for (var i = 0u; i < XL; i++) { xr[i] = load_x(t0, k0 + BK, li + i * NT); }
    }
    for (var kk = 0u; kk < BK; kk += 16u) {
      var a: array<Left, FM>;
      for (var i = 0u; i < FM; i++) {
        a[i] = subgroupMatrixLoad<Left>(&xs, (16u * (sm * FM + i)) * LD + kk, false, LD);
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
  // Out through the scratch tile: token rows of 16 floats, row stride 16.
  for (var i = 0u; i < FM; i++) {
    for (var j = 0u; j < FN; j++) {
      subgroupMatrixStore(&sc, sg * 256u, acc[i * FN + j], false, 16u);
      workgroupBarrier();
      let tb = t0 + 16u * (sm * FM + i);
      let rb = r0 + 16u * (sn * FN + j);
      for (var e = lane; e < 256u; e += 32u) {
        let t = tb + e / 16u;
        let r = rb + e % 16u;
        if (t < n_tok && r < rows) { Y[P[6] + t * P[8] + P[9] + r] = sc[sg * 256u + e]; }
      }
      workgroupBarrier();
    }
  }
}
