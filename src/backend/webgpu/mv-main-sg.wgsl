// mv-main-sg.wgsl — entry of the matrix-vector kernel (mv-common.wgsl) reducing with subgroups: subgroupAdd
// in each subgroup, then one partial per subgroup in shared memory summed by threads 0..NV. Assumes the
// subgroups of a 1-D workgroup are runs of consecutive local_invocation_index (as Vulkan, Metal and D3D
// drivers form them).
var<workgroup> part: array<f32, 9 * 128>;
var<workgroup> fin: array<f32, 9>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_size) sgs: u32, @builtin(subgroup_invocation_id) sgi: u32) {
  let row_base = (wid.x + wid.y * P[7]) * R;
  var v: array<f32, 9>;
  mv_accum(li, row_base, &v);
  let sg = li / sgs;
  for (var k = 0u; k < NV; k++) {
    let t = subgroupAdd(v[k]);
    if (sgi == 0u) { part[sg * NV + k] = t; }
  }
  workgroupBarrier();
  let nsg = (WG + sgs - 1u) / sgs;
  if (li < NV) {
    var t = 0.0;
    for (var i = 0u; i < nsg; i++) { t += part[i * NV + li]; }
    fin[li] = t;
  }
  workgroupBarrier();
  if (li < R) {
    var red: array<f32, 9>;
    for (var k = 0u; k < NV; k++) { red[k] = fin[k]; }
    mv_store(li, row_base, &red);
  }
}
