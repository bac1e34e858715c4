// get-rows.wgsl — Y[t] = row IDS[t] of W (rows of this buffer: ids outside [row0, row0 + rows) are left to
// the dispatch of the buffer that holds them), dequantized to f32. One thread per 32-value unit.
// P: 0 n (row length), 1 n_ids, 2 w byte offset, 3 w row bytes, 4 y offset, 5 row0, 6 rows, 7 threads
//    along x (linearisation), 8 ids offset (elements of IDS).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> IDS: array<u32>;
@group(0) @binding(2) var<storage, read_write> W: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = P[0];
  let nu = (n + 31u) / 32u;
  let k = g.x + g.y * P[7];
  if (k >= nu * P[1]) { return; }
  let t = k / nu;
  let u = k % nu;
  let id = IDS[P[8] + t];
  if (id < P[5] || id >= P[5] + P[6]) { return; }
  var w: array<f32, 32>;
  deq32(P[2] + (id - P[5]) * P[3], u, n, &w);
  let m = min(32u, n - u * 32u);
  let yb = P[4] + t * n + u * 32u;
  for (var j = 0u; j < m; j++) { Y[yb + j] = w[j]; }
}
