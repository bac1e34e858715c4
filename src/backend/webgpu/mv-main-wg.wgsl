// mv-main-wg.wgsl — entry of the matrix-vector kernel (mv-common.wgsl) without subgroups: a shared-memory
// tree over the WG threads for each of the NV values.
var<workgroup> part: array<f32, 9 * 128>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row_base = (wid.x + wid.y * P[7]) * R;
  var v: array<f32, 9>;
  mv_accum(li, row_base, &v);
  for (var k = 0u; k < NV; k++) { part[k * WG + li] = v[k]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      for (var k = 0u; k < NV; k++) { part[k * WG + li] += part[k * WG + li + s]; }
    }
    workgroupBarrier();
  }
  if (li < R) {
    var red: array<f32, 9>;
    for (var k = 0u; k < NV; k++) { red[k] = part[k * WG]; }
    mv_store(li, row_base, &red);
  }
}
