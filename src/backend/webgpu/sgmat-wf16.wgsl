// sgmat-wf16.wgsl — matmul-sgmat.wgsl's weights for F16 rows whose bytes and offset are multiples of 16 (the host
// checks): W as 16-byte words, 8 values a load, no conversion; zero past the rows and K (K a multiple of 8).
@group(0) @binding(1) var<storage, read_write> W: array<vec4u>;
const WV = 8u;
alias WR = vec4u;

fn load_w(r0: u32, k0: u32, l: u32) -> vec4u {
  let n = l / (BK / 8u);
  let k = k0 + 8u * (l % (BK / 8u));
  if (r0 + n < P[10] && k < P[0]) { return W[(P[3] + (r0 + n) * P[4] + 2u * k) / 16u]; }
  return vec4u();
}

fn stage_w(l: u32, v: vec4u) {
  let o = (l / (BK / 8u)) * LD + 8u * (l % (BK / 8u));
  let a = bitcast<vec4<f16>>(v.xy);
  let b = bitcast<vec4<f16>>(v.zw);
  ws[o] = a.x; ws[o + 1u] = a.y; ws[o + 2u] = a.z; ws[o + 3u] = a.w;
  ws[o + 4u] = b.x; ws[o + 5u] = b.y; ws[o + 6u] = b.z; ws[o + 7u] = b.w;
}
