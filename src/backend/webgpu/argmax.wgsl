// argmax.wgsl — O[out_off + row] = index of the largest value of each row (the first one on ties, as the
// CPU greedy sampler). One workgroup of 64 per row. P: 0 ne0, 1 rows, 2 x offset, 3 out offset.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;

var<workgroup> rv: array<f32, 64>;
var<workgroup> ri: array<u32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x;
  let n = P[0];
  let b = P[2] + row * n;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var i = li; i < n; i += 64u) {
    let v = X[b + i];
    if (v > bv || bi == 0xffffffffu) { bv = v; bi = i; }
  }
  rv[li] = bv;
  ri[li] = bi;
  workgroupBarrier();
  for (var k = 32u; k > 0u; k >>= 1u) {
    if (li < k) {
      let v = rv[li + k];
      let i = ri[li + k];
      if (i != 0xffffffffu && (ri[li] == 0xffffffffu || v > rv[li] || (v == rv[li] && i < ri[li]))) {
        rv[li] = v;
        ri[li] = i;
      }
    }
    workgroupBarrier();
  }
  if (li == 0u) { O[P[3] + row] = ri[0]; }
}
