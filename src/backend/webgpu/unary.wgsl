// unary.wgsl — Y = f(X) elementwise; OP from the prefix: 0 GELU (exact erf form, 0.5 x (1 + erf(x / sqrt 2))),
// 1 tanh, 2 SiLU (x / (1 + exp(-x))). Y may be X. One thread per element.
// WGSL has no erf: erf_f32 uses the Chebyshev-fitted erfc of Numerical Recipes (erfc(z) = t exp(-z^2 + P(t)),
// t = 1 / (1 + z/2), fractional error below 1.2e-7), so GELU is within ~1e-7 |x| of the CPU's std::erf.
// P: 0 n, 1 x offset, 2 y offset, 3 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;

fn erf_f32(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let c = t * exp(min(-z * z + p, 0.0));
  return select(c - 1.0, 1.0 - c, x >= 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let i = g.x + g.y * P[3];
  if (i >= P[0]) { return; }
  let x = X[P[1] + i];
  var y: f32;
  if (OP == 0u) {
    y = 0.5 * x * (1.0 + erf_f32(x * 0.70710678118654752));
  } else if (OP == 1u) {
    y = tanh(clamp(x, -15.0, 15.0));
  } else {
    y = x / (1.0 + exp(min(-x, 80.0)));
  }
  Y[P[2] + i] = y;
}
