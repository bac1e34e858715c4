// sgmat-x16.wgsl — matmul-sgmat.wgsl's activations for XM 1: the f16 copy of to-f16.wgsl (rows padded to whole
// tiles, K to 64, with zeros: no bounds checks), 8 values a 16-byte load (offset and row stride in 16-byte units),
// staged as [token][k].
@group(0) @binding(2) var<storage, read_write> X: array<vec4u>;
const XL = BM * BK / 8u / NT;  // 16-byte loads a thread makes a step
alias XR = vec4u;
var<workgroup> xs: array<f16, BM * LD>;  // [token][k]

fn fetch_x(t0: u32, k0: u32, l: u32) -> vec4u {
  let m = l / (BK / 8u);
  let k = k0 + 8u * (l % (BK / 8u));
  return X[P[5] + (t0 + m) * P[7] + k / 8u];
}

fn stage_x(l: u32, v: vec4u) {
  let o = (l / (BK / 8u)) * LD + 8u * (l % (BK / 8u));
  let a = bitcast<vec4<f16>>(v.xy);
  let b = bitcast<vec4<f16>>(v.zw);
  xs[o] = a.x; xs[o + 1u] = a.y; xs[o + 2u] = a.z; xs[o + 3u] = a.w;
  xs[o + 4u] = b.x; xs[o + 5u] = b.y; xs[o + 6u] = b.z; xs[o + 7u] = b.w;
}

fn left(tl: u32, t: u32, kl: u32, k: u32) -> Left {
  return subgroupMatrixLoad<Left>(&xs, tl * LD + kl, false, LD);
}
