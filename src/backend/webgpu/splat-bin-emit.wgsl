// splat-bin-emit.wgsl — per-tile lists, step 3 of 3: each depth-sorted splat writes its (tile, splat) pairs from
// its block's offset (bsum, scanned) plus its rank in the block (a prefix sum of the counts in workgroup memory):
// tkeys = the tile (row-major), tvals = the splat, tiles row by row. The pairs come out in depth order, so the tile
// sort after (stable, on the tile's bits only) gives every tile its splats in depth order: the (tile, depth) order
// of the 3DGS key, ties by index. Writes nothing when the pairs do not fit (state[0] > state[1]).
struct Params {
  rot: array<f32, 9>, trans: array<f32, 3>, centre: array<f32, 3>,
  fx: f32, fy: f32, cx: f32, cy: f32, width: u32, height: u32, n: u32, sh_degree: u32, bg: array<f32, 3>,
};
@group(0) @binding(0) var<storage, read> P: Params;
@group(0) @binding(1) var<storage, read> sp: array<f32>;
@group(0) @binding(2) var<storage, read> vals: array<u32>;
@group(0) @binding(3) var<storage, read> bsum: array<u32>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> tkeys: array<u32>;
@group(0) @binding(6) var<storage, read_write> tvals: array<u32>;

var<workgroup> scan: array<u32, 256>;

fn tile_of(v: f32, n: u32) -> u32 {
  return u32(clamp(floor(v / 16.0), 0.0, f32(n - 1u)));
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let block = wg.x + wg.y * nwg.x;
  let n_blocks = (P.n + 255u) / 256u;
  if (block >= n_blocks || state[0] > state[1]) { return; }
  let k = block * 256u + t;
  let tw = (P.width + 15u) / 16u;
  let th = (P.height + 15u) / 16u;
  var x0 = 0u; var x1 = 0u; var y0 = 0u; var y1 = 0u;
  var c = 0u;
  var i = 0u;
  if (k < P.n) {
    i = vals[k];
    let o = 12u * i;
    let r = sp[o + 10u];
    if (r > 0.0) {
      x0 = tile_of(sp[o] - r, tw); x1 = tile_of(sp[o] + r, tw);
      y0 = tile_of(sp[o + 1u] - r, th); y1 = tile_of(sp[o + 1u] + r, th);
      c = (x1 - x0 + 1u) * (y1 - y0 + 1u);
    }
  }
  // Inclusive prefix sum of the counts (Hillis-Steele).
  scan[t] = c;
  workgroupBarrier();
  for (var off = 1u; off < 256u; off <<= 1u) {
    var v = scan[t];
    if (t >= off) { v += scan[t - off]; }
    workgroupBarrier();
    scan[t] = v;
    workgroupBarrier();
  }
  if (c == 0u) { return; }
  var at = bsum[block] + scan[t] - c;
  for (var ty = y0; ty <= y1; ty++) {
    for (var tx = x0; tx <= x1; tx++) {
      tkeys[at] = ty * tw + tx;
      tvals[at] = i;
      at++;
    }
  }
}
