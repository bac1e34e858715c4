// sincos.wgsl — sin and cos for the rotary embedding (rope-common.wgsl, the matrix-vector kernel's RoPE
// epilogue in mv-common.wgsl), with Cody-Waite reduction and polynomials (~1e-7), since WGSL's builtins may be
// off by 2^-11.

// (sin a, cos a) for |a| up to ~1e5.
fn sincos(a: f32) -> vec2f {
  let k = round(a * 0.6366197723675814);
  var r = a - k * 1.5703125;
  r = r - k * 4.837512969970703e-4;
  r = r - k * 7.549789948768648e-8;
  let r2 = r * r;
  let s = r + r * r2 * (-0.16666667 + r2 * (0.008333331 + r2 * (-1.9840874e-4 + r2 * 2.7525562e-6)));
  let c = 1.0 - 0.5 * r2 + r2 * r2 * (0.041666638 + r2 * (-0.0013888378 + r2 * 2.4390449e-5));
  let q = i32(k) & 3;
  if (q == 0) { return vec2f(s, c); }
  if (q == 1) { return vec2f(c, -s); }
  if (q == 2) { return vec2f(-s, -c); }
  return vec2f(-c, s);
}
