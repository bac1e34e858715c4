// rope.wgsl — rotary embedding in place on X [head_dim, n_head, n_tok]; token t has position pos0 + t.
// The rotation (pairs, angles, sin/cos) is rope-common.wgsl's, prepended. One thread per (token, head, pair).
// P: 0 head_dim, 1 n_head, 2 n_tok, 3 n_rot, 4 pos0, 7 neox, 9 x offset, 10 threads along x.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> X: array<f32>;
@group(0) @binding(2) var<storage, read> INV: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let k = g.x + g.y * P[10];
  if (k >= P[3] / 2u * P[1] * P[2]) { return; }
  let r = rope_thread(k, P[9]);
  let x = rope_rotate(vec2f(X[r.e.x], X[r.e.y]), r.i, r.pos);
  X[r.e.x] = x.x;
  X[r.e.y] = x.y;
}
