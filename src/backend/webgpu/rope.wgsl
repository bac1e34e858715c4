// rope.wgsl — rotary embedding in place on X [head_dim, n_head, n_tok]; token t has position pos0 + t.
// Pair i (< n_rot / 2) is (i, i + n_rot/2) when neox, else (2i, 2i + 1); angle = pos * INV[i] (the host
// computes freq_scale * base^(-2i / n_rot) / freq_factors[i] in double). sin/cos are computed here with
// Cody-Waite reduction and polynomials (~1e-7), since WGSL's builtins may be off by 2^-11.
// One thread per (token, head, pair).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_rot, 4 pos0, 7 neox, 9 x offset, 10 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> INV: array<f32>;

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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let k = g.x + g.y * P[10];
  let half = P[3] / 2u;
  if (k >= half * P[1] * P[2]) { return; }
  let i = k % half;
  let th = k / half;  // t * n_head + h
  let t = th / P[1];
  let sc = sincos(f32(P[4] + t) * INV[i]);
  let b = P[9] + th * P[0];
  let i0 = select(2u * i, i, P[7] != 0u);
  let i1 = select(2u * i + 1u, i + half, P[7] != 0u);
  let x0 = X[b + i0];
  let x1 = X[b + i1];
  X[b + i0] = x0 * sc.y - x1 * sc.x;
  X[b + i1] = x0 * sc.x + x1 * sc.y;
}
