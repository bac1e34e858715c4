// matmul-dp4a.wgsl — prefill matrix product for Q8_0 and Q4_0 weights with 8-bit activations (quantize-q8.wgsl)
// and packed 4 x int8 dot products (dot4I8Packed: dp4a where the GPU has it), the CPU backend's arithmetic:
// per 32-value block, Q8_0: dw dx sum(qw qx); Q4_0: dw (dx sum(nibble qx) - 8 s), s = dx sum(qx).
// A workgroup of 256 threads (16 x 16) owns BN = 16 TN rows by BM = 16 TM tokens; K goes one block a step:
// threads 0..BN-1 unpack one row's block (scale + 8 words of int8) into workgroup memory, threads 128.. copy
// one token's block; then thread (tx, ty) accumulates rows tx + 16 i and tokens ty + 16 j (i < TN, j < TM) in
// integers over the block's 8 words and adds them, scaled, to f32 sums. Workgroup memory: 36 (BN + BM) + 4 BM
// bytes (9.7 KiB for 128 x 128). QT (0 Q8_0, 1 Q4_0), TM, TN (<= 8) are constants prepended by the host, and
// dq-common.wgsl (ld32u) is appended.
// Does not: handle other weight types (matmul-tiled.wgsl), or n_in % 32 != 0.
// P: 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 q offset (words: quantize-q8.wgsl's layout),
//    6 y offset, 7 -, 8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
@group(0) @binding(2) var<storage, read_write> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const BN = 16u * TN;
const BM = 16u * TM;
var<workgroup> wq: array<u32, 8u * BN>;  // [word][row]
var<workgroup> wd: array<f32, BN>;
var<workgroup> xq: array<u32, 8u * BM>;  // [word][token]
var<workgroup> xd: array<vec2f, BM>;     // (d, s)

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let nb = P[0] / 32u;
  let n_tok = P[2];
  let rows = P[10];
  let r0 = (wid.x + wid.y * P[11]) * BN;
  let t0 = wid.z * BM;
  let tx = li % 16u;
  let ty = li / 16u;
  let dq = P[5] + n_tok * nb * 8u;  // the (d, s) pairs
  var acc: array<array<f32, TN>, TM>;
  for (var b = 0u; b < nb; b++) {
    if (li < BN) {
      var d = 0.0;
      var q: array<u32, 8>;
      if (r0 + li < rows) {
        let base = P[3] + (r0 + li) * P[4];
        if (QT == 0u) {
          let o = base + b * 34u;
          d = unpack2x16float(ld32u(o) & 0xffffu).x;
          for (var j = 0u; j < 8u; j++) { q[j] = ld32u(o + 2u + 4u * j); }
        } else {
          let o = base + b * 18u;
          d = unpack2x16float(ld32u(o) & 0xffffu).x;
          for (var j = 0u; j < 4u; j++) {
            let w = ld32u(o + 2u + 4u * j);
            q[j] = w & 0x0f0f0f0fu;
            q[j + 4u] = (w >> 4u) & 0x0f0f0f0fu;
          }
        }
      }
      wd[li] = d;
      for (var j = 0u; j < 8u; j++) { wq[j * BN + li] = q[j]; }
    }
    if (li >= 128u && li - 128u < BM) {
      let m = li - 128u;
      let t = t0 + m;
      var ds = vec2f(0.0);
      if (t < n_tok) {
        let o = P[5] + (t * nb + b) * 8u;
        for (var j = 0u; j < 8u; j++) { xq[j * BM + m] = XQ[o + j]; }
        let p = dq + (t * nb + b) * 2u;
        ds = vec2f(bitcast<f32>(XQ[p]), bitcast<f32>(XQ[p + 1u]));
      } else {
        for (var j = 0u; j < 8u; j++) { xq[j * BM + m] = 0u; }
      }
      xd[m] = ds;
    }
    workgroupBarrier();
    var s: array<array<i32, TN>, TM>;
    for (var k = 0u; k < TM; k++) {
      for (var i = 0u; i < TN; i++) { s[k][i] = 0i; }
    }
    for (var j = 0u; j < 8u; j++) {
      var a: array<u32, TN>;
      for (var i = 0u; i < TN; i++) { a[i] = wq[j * BN + tx + 16u * i]; }
      for (var k = 0u; k < TM; k++) {
        let x = xq[j * BM + ty + 16u * k];
        for (var i = 0u; i < TN; i++) { s[k][i] += dot4I8Packed(a[i], x); }
      }
    }
    for (var k = 0u; k < TM; k++) {
      let ds = xd[ty + 16u * k];
      for (var i = 0u; i < TN; i++) {
        let dw = wd[tx + 16u * i];
        if (QT == 0u) {
          acc[k][i] += dw * (ds.x * f32(s[k][i]));
        } else {
          acc[k][i] += dw * (ds.x * f32(s[k][i]) - 8.0 * ds.y);
        }
      }
    }
    workgroupBarrier();
  }
  for (var k = 0u; k < TM; k++) {
    let t = t0 + ty + 16u * k;
    if (t >= n_tok) { continue; }
    for (var i = 0u; i < TN; i++) {
      let r = r0 + tx + 16u * i;
      if (r < rows) { Y[P[6] + t * P[8] + P[9] + r] = acc[k][i]; }
    }
  }
}
