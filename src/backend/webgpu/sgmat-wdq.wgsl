// sgmat-wdq.wgsl — matmul-sgmat.wgsl's weights for any type: W as u32 words (dq-common.wgsl and the dtype file
// follow), 4 values a load by deq4, zero past the rows and K, rounded to f16 in the registers.
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
const WV = 4u;
alias WR = vec4<f16>;

fn load_w(r0: u32, k0: u32, l: u32) -> vec4<f16> {
  let n = l / (BK / 4u);
  let k = k0 + 4u * (l % (BK / 4u));
  if (r0 + n < P[10] && k < P[0]) { return vec4<f16>(deq4(P[3] + (r0 + n) * P[4], k, P[0])); }
  return vec4<f16>();
}

fn stage_w(l: u32, v: vec4<f16>) {
  let o = (l / (BK / 4u)) * LD + 4u * (l % (BK / 4u));
  ws[o] = v.x; ws[o + 1u] = v.y; ws[o + 2u] = v.z; ws[o + 3u] = v.w;
}
