// matmul-dp4a.wgsl — prefill matrix product for Q8_0 and Q4_0 weights with 8-bit activations (quantize-q8.wgsl)
// and packed 4 x int8 dot products (dot4I8Packed: dp4a where the GPU has it), the CPU backend's arithmetic:
// per 32-value block, Q8_0: dw dx sum(qw qx); Q4_0: dw (dx sum(nibble qx) - 8 s), s = dx sum(qx).
// A workgroup of 256 threads (16 x 16) owns BN = 16 TN rows by BM = 16 TM tokens; K goes KB blocks a stage.
// Loads are software-pipelined: each thread fetches its share of the next stage (one (row, block) of the
// weights: scale + 8 words of int8, nibbles unpacked; one (token, block) of x) into registers before it
// computes the current stage from workgroup memory, and stores them there after the stage's barrier, so the
// global loads' latency hides behind the dot products. Thread (tx, ty) accumulates rows tx + 16 i and tokens
// ty + 16 j (i < TN, j < TM) in integers over a block's 8 words and adds them, scaled, to f32 sums. Blocks past
// the end load as zeros (scale 0). Workgroup memory: KB (36 BN + 40 BM) bytes (the host keeps it within 16 KiB).
// QT (0 Q8_0, 1 Q4_0), TM, TN (<= 8), KB (1..4) are constants prepended by the host, and dq-common.wgsl
// (ld32u) is appended.
// Does not: handle other weight types (matmul-tiled.wgsl), or n_in % 32 != 0.
// P: 0 n_in, 1 -, 2 n_tok, 3 w byte offset, 4 w row bytes, 5 q offset (words: quantize-q8.wgsl's layout),
//    6 y offset, 7 -, 8 y row stride, 9 row0, 10 rows in this buffer, 11 workgroups along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> W: array<u32>;
@group(0) @binding(2) var<storage, read_write> XQ: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

const BN = 16u * TN;
const BM = 16u * TM;
const WI = KB * BN;                // (row, block) items of the weights a stage
const XI = KB * BM;                // (token, block) items of x a stage
const WPT = (WI + 255u) / 256u;    // of them per thread
const XPT = (XI + 255u) / 256u;
var<workgroup> wq: array<u32, 8u * WI>;  // [block][word][row]
var<workgroup> wd: array<f32, WI>;       // [block][row]
var<workgroup> xq: array<u32, 8u * XI>;  // [block][word][token]
var<workgroup> xd: array<vec2f, XI>;     // [block][token]: (d, s)

// A stage's loads of one thread, held in registers until they go to workgroup memory.
struct Fetch {
  wq: array<array<u32, 8>, WPT>,
  wd: array<f32, WPT>,
  xq: array<array<u32, 8>, XPT>,
  xd: array<vec2f, XPT>,
}

fn fetch(li: u32, st: u32, r0: u32, t0: u32, nb: u32, n_tok: u32, rows: u32) -> Fetch {
  var f: Fetch;
  for (var k = 0u; k < WPT; k++) {
    let it = li + 256u * k;
    let r = it % BN;
    let b = st * KB + it / BN;
    var d = 0.0;
    var q = array<u32, 8>(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
    if (it < WI && b < nb && r0 + r < rows) {
      let base = P[3] + (r0 + r) * P[4];
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
    f.wq[k] = q;
    f.wd[k] = d;
  }
  let dq = P[5] + n_tok * nb * 8u;  // the (d, s) pairs
  for (var k = 0u; k < XPT; k++) {
    let it = li + 256u * k;
    let m = it % BM;
    let b = st * KB + it / BM;
    let t = t0 + m;
    var q = array<u32, 8>(0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u);
    var ds = vec2f(0.0);
    if (it < XI && b < nb && t < n_tok) {
      let o = P[5] + (t * nb + b) * 8u;
      for (var j = 0u; j < 8u; j++) { q[j] = XQ[o + j]; }
      let p = dq + (t * nb + b) * 2u;
      ds = vec2f(bitcast<f32>(XQ[p]), bitcast<f32>(XQ[p + 1u]));
    }
    f.xq[k] = q;
    f.xd[k] = ds;
  }
  return f;
}

fn store(li: u32, f: Fetch) {
  for (var k = 0u; k < WPT; k++) {
    let it = li + 256u * k;
    if (it < WI) {
      let kb = it / BN;
      let r = it % BN;
      wd[it] = f.wd[k];
      for (var j = 0u; j < 8u; j++) { wq[(kb * 8u + j) * BN + r] = f.wq[k][j]; }
    }
  }
  for (var k = 0u; k < XPT; k++) {
    let it = li + 256u * k;
    if (it < XI) {
      let kb = it / BM;
      let m = it % BM;
      xd[it] = f.xd[k];
      for (var j = 0u; j < 8u; j++) { xq[(kb * 8u + j) * BM + m] = f.xq[k][j]; }
    }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let nb = P[0] / 32u;
  let n_tok = P[2];
  let rows = P[10];
  let r0 = (wid.x + wid.y * P[11]) * BN;
  let t0 = wid.z * BM;
  let tx = li % 16u;
  let ty = li / 16u;
  let n_st = (nb + KB - 1u) / KB;
  var acc: array<array<f32, TN>, TM>;
  store(li, fetch(li, 0u, r0, t0, nb, n_tok, rows));
  workgroupBarrier();
  for (var st = 0u; st < n_st; st++) {
    var next: Fetch;
    if (st + 1u < n_st) { next = fetch(li, st + 1u, r0, t0, nb, n_tok, rows); }
    for (var kb = 0u; kb < KB; kb++) {
      var s: array<array<i32, TN>, TM>;  // zeroed explicitly: SwiftShader's compile kept the sums of the last block
      for (var k = 0u; k < TM; k++) {
        for (var i = 0u; i < TN; i++) { s[k][i] = 0i; }
      }
      for (var j = 0u; j < 8u; j++) {
        var a: array<u32, TN>;
        for (var i = 0u; i < TN; i++) { a[i] = wq[(kb * 8u + j) * BN + tx + 16u * i]; }
        for (var k = 0u; k < TM; k++) {
          let x = xq[(kb * 8u + j) * BM + ty + 16u * k];
          for (var i = 0u; i < TN; i++) { s[k][i] += dot4I8Packed(a[i], x); }
        }
      }
      for (var k = 0u; k < TM; k++) {
        let ds = xd[kb * BM + ty + 16u * k];
        for (var i = 0u; i < TN; i++) {
          let dw = wd[kb * BN + tx + 16u * i];
          if (QT == 0u) {
            acc[k][i] += dw * (ds.x * f32(s[k][i]));
          } else {
            acc[k][i] += dw * (ds.x * f32(s[k][i]) - 8.0 * ds.y);
          }
        }
      }
    }
    workgroupBarrier();
    if (st + 1u < n_st) {
      store(li, next);
      workgroupBarrier();
    }
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
