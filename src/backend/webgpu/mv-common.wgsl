// mv-common.wgsl — decode (one token) matrix-vector product, the body shared by every weight type and both
// reductions. Composed by webgpu-backend.cpp as: [enable lines] + consts + mv-common + mv-<dtype> (its W
// binding, wsl_W and xsl_W, see there) [+ the same with W renamed U for GLU] + mv-main-sg or mv-main-wg.
// Prefix consts: R rows per workgroup, WG threads, NORM (x is rms-normalised and multiplied by NW first;
// the 1/rms factor is applied after the reduction, from the sum of squares reduced with the dots), BIAS
// (+ B[row]), ADD (Y[row] += result: the residual add), GLU (Y = act(W h) * (U h); ACT 0 silu, 1 gelu-tanh),
// F16 (shader-f16 loads), QKV (three weights: W rows [0, P[12]), U rows [P[12], P[13]), Z the rest, each
// written at its own y offset; the backend's norm_qkv: q, k and v of a decoder layer in one dispatch), ROPE
// (with QKV: q and k rotated, k and v stored into the KV cache; mv-rope.wgsl, else stubs of its functions).
// Thread li handles slices s = li, li + WG, ... (8 weights each, see xsl) of all R rows, so each slice of x
// is loaded once per workgroup; the per-thread partial sums are then reduced over the workgroup.
// P: 0 n_in, 1 rows in this buffer, 2 w byte offset, 3 w row bytes, 4 x offset (vec4s), 5 y offset,
//    6 row0 (first row of this buffer), 7 workgroups along x, 8 eps (f32 bits), 9 norm weight offset
//    (vec4s), 10 bias offset, 11 u byte offset (GLU); QKV: 12 first U row, 13 first Z row, 14 U byte offset,
//    15 Z byte offset, 16 y offset of U's rows, 17 y offset of Z's rows (rows count on from W's: the bias is
//    one vector over all rows).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<storage, read> NW: array<vec4f>;
@group(0) @binding(5) var<storage, read> B: array<f32>;

const NV = select(R, 2u * R, GLU) + 1u;  // values reduced per thread: R dots (2R with GLU) + sum of squares

fn mv_accum(li: u32, row_base: u32, v: ptr<function, array<f32, 9>>) {
  let ns = P[0] / 8u;
  let rows = P[1];
  var rb: array<u32, 4>;
  var ub: array<u32, 4>;
  // QKV: the weight of this workgroup's rows (the backend keeps a workgroup inside one weight).
  var seg = 0u;
  var srow0 = 0u;
  var woff = P[2];
  if (QKV) {
    if (row_base >= P[13]) {
      seg = 2u;
      srow0 = P[13];
      woff = P[15];
    } else if (row_base >= P[12]) {
      seg = 1u;
      srow0 = P[12];
      woff = P[14];
    }
  }
  for (var r = 0u; r < R; r++) {
    let row = rope_row(min(row_base + r, rows - 1u));  // rows past the end compute row rows-1 again (not written)
    rb[r] = woff + (row - srow0) * P[3];
    ub[r] = P[11] + row * P[3];
  }
  var ss = 0.0;
  for (var s = li; s < ns; s += WG) {
    let xi = xsl_W(s);
    var x0 = X[P[4] + xi.x];
    var x1 = X[P[4] + xi.y];
    if (NORM) {
      ss += dot(x0, x0) + dot(x1, x1);
      x0 *= NW[P[9] + xi.x];
      x1 *= NW[P[9] + xi.y];
    }
    for (var r = 0u; r < R; r++) {
      var w: array<vec4f, 2>;
      if (QKV && seg == 1u) {
        w = wsl_U(rb[r], s);
      } else if (QKV && seg == 2u) {
        w = wsl_Z(rb[r], s);
      } else {
        w = wsl_W(rb[r], s);
      }
      (*v)[r] += dot(w[0], x0) + dot(w[1], x1);
      if (GLU) {
        let u = wsl_U(ub[r], s);
        (*v)[R + r] += dot(u[0], x0) + dot(u[1], x1);
      }
    }
  }
  (*v)[NV - 1u] = ss;
}

// Thread r < R of the workgroup writes row row_base + r (element rope_row of it) from the reduced values
// red[0 .. NV).
fn mv_store(r: u32, row_base: u32, red: ptr<function, array<f32, 9>>) {
  if (r >= R || row_base + r >= P[1]) { return; }
  let row = rope_row(row_base + r);
  var y = mv_value(r, row, red);
  if (ROPE) { y = rope_epilogue(r, row_base, row, y, red); }
  var yi = P[5] + P[6] + row;
  if (QKV) {
    if (row >= P[13]) {
      yi = P[17] + row - P[13];
    } else if (row >= P[12]) {
      yi = P[16] + row - P[12];
    }
  }
  if (ADD) { y += Y[yi]; }
  Y[yi] = y;
  if (ROPE) { rope_cache(r, row_base, row, y, red); }
}

// The value of the workgroup's row r (element `row`) before the residual add: normalised, activated, biased.
fn mv_value(r: u32, row: u32, red: ptr<function, array<f32, 9>>) -> f32 {
  var sc = 1.0;
  if (NORM) { sc = 1.0 / sqrt((*red)[NV - 1u] / f32(P[0]) + bitcast<f32>(P[8])); }
  var y = (*red)[r] * sc;
  if (GLU) {
    let u = (*red)[R + r] * sc;
    var a: f32;
    if (ACT == 0u) {
      a = y / (1.0 + exp(-y));
    } else {
      let z = clamp(0.7978845608028654 * (y + 0.044715 * y * y * y), -15.0, 15.0);
      a = 0.5 * y * (1.0 + tanh(z));
    }
    y = a * u;
  }
  if (BIAS) { y += B[P[10] + P[6] + row]; }
  return y;
}
