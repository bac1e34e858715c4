// group-norm.wgsl — group norm over time for X: {C, T} (channels innermost). Channels split into P[2] contiguous
// groups of cg = C / groups; each group's mean and biased variance are taken over its cg channels and all T
// steps (two passes); Y[t][c] = (X[t][c] - mean) / sqrt(var + eps) * Wt[c] + Bs[c] (Wt, Bs optional).
// One workgroup of 256 per group (wid.x; the sums by workgroup-sum.wgsl); Y may be X (each element is read
// and written by the same thread).
// P: 0 C, 1 T, 2 groups, 3 x offset, 4 y offset, 5 eps (f32 bits), 6 has weight, 7 weight offset,
//    8 has bias, 9 bias offset.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<storage, read_write> Wt: array<f32>;
@group(0) @binding(4) var<storage, read_write> Bs: array<f32>;

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let C = P[0];
  let cg = C / P[2];
  let c0 = wid.x * cg;
  let n = cg * P[1];
  var s = 0.0;
  for (var i = li; i < n; i += WG) { s += X[P[3] + (i / cg) * C + c0 + i % cg]; }
  let mean = workgroup_sum(li, s) / f32(n);
  var q = 0.0;
  for (var i = li; i < n; i += WG) { let d = X[P[3] + (i / cg) * C + c0 + i % cg] - mean; q += d * d; }
  let r = 1.0 / sqrt(workgroup_sum(li, q) / f32(n) + bitcast<f32>(P[5]));
  for (var i = li; i < n; i += WG) {
    let c = c0 + i % cg;
    let e = (i / cg) * C + c;
    var v = (X[P[3] + e] - mean) * r;
    if (P[6] != 0u) { v *= Wt[P[7] + c]; }
    if (P[8] != 0u) { v += Bs[P[9] + c]; }
    Y[P[4] + e] = v;
  }
}
