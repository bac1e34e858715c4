// splat-bin-count.wgsl — per-tile lists, step 1 of 3 (wasm/splat-abi.cpp): for each block of 256 depth-sorted
// splats, the number of (tile, splat) pairs they make: a visible splat (radius > 0) reaches the 16 x 16 tiles
// floor((mean -+ radius) / 16), clamped to the image (src/splat/render.cpp `tile_bins`, the CPU twin); a culled one
// none. Writes the block's sum to bsum[block] (a fixed-order tree sum in workgroup memory: deterministic).
// sp: the projection's 12 floats a splat (mean 2, conic 3, depth, colour 3, opacity, radius, pad).
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> sp: array<f32>;
@group(0) @binding(2) var<storage, read> vals: array<u32>;
@group(0) @binding(3) var<storage, read_write> bsum: array<u32>;

var<workgroup> sums: array<u32, 256>;

fn tile_of(v: f32, n: u32) -> u32 {
  return u32(clamp(floor(v / 16.0), 0.0, f32(n - 1u)));
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let block = wg.x + wg.y * nwg.x;
  let n_blocks = (P.n + 255u) / 256u;
  if (block >= n_blocks) { return; }
  let k = block * 256u + t;
  var c = 0u;
  if (k < P.n) {
    let o = 12u * vals[k];
    let r = sp[o + 10u];
    if (r > 0.0) {
      let tw = (P.width + 15u) / 16u;
      let th = (P.height + 15u) / 16u;
      c = (tile_of(sp[o] + r, tw) - tile_of(sp[o] - r, tw) + 1u) * (tile_of(sp[o + 1u] + r, th) - tile_of(sp[o + 1u] - r, th) + 1u);
    }
  }
  sums[t] = c;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (t < s) { sums[t] += sums[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) { bsum[block] = sums[0]; }
}
