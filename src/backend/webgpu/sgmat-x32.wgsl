// sgmat-x32.wgsl — matmul-sgmat.wgsl's activations for XM 0: x as f32 (offset and row stride in f32), each
// thread loading 4 values at a time, rounded to f16 (clamped to +-65504) and staged as [token][k].
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
const XL = BM * BK / 4u / NT;  // vec4s a thread loads a step
alias XR = vec4f;
var<workgroup> xs: array<f16, BM * LD>;  // [token][k]

fn fetch_x(t0: u32, k0: u32, l: u32) -> vec4f {
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

fn stage_x(l: u32, v: vec4f) {
  let o = (l / (BK / 4u)) * LD + 4u * (l % (BK / 4u));
  let h = vec4<f16>(v);
  xs[o] = h.x; xs[o + 1u] = h.y; xs[o + 2u] = h.z; xs[o + 3u] = h.w;
}

fn left(tl: u32, t: u32, kl: u32, k: u32) -> Left {
  return subgroupMatrixLoad<Left>(&xs, tl * LD + kl, false, LD);
}
