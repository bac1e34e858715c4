// sample-select.wgsl — pass 1 of GPU sampling (after sample-common.wgsl): each workgroup takes 2048 logits
// (8 consecutive ones per thread), applies the repetition penalties and the grammar mask, and writes its
// k best candidates (key desc, ties by lowest id: the CPU sampler's order) in id order to S:
//   S[g] = how many (min(k, candidates)), S[n_chunks + 2 * (g * k + j)] = (key, id).
// P: 0 n (logits), 1 logits offset, 2 k (1..256), 3 has mask, 4 penalties, 5 repeat, 6 frequency,
//    7 presence (f32 bits), 8 workgroups along x, 9 n_chunks.
// M: the packed allowed-token bits (bit id & 31 of word id >> 5); Q: (id, count) pairs of the penalties.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<u32>;
@group(0) @binding(3) var<storage, read> Q: array<u32>;
@group(0) @binding(4) var<storage, read_write> S: array<u32>;

var<workgroup> scan: array<u32, 256>;
var<workgroup> scan_total: u32;
var<workgroup> scan_rows: array<u32, 16>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> n_valid: atomic<u32>;
var<workgroup> sel_prefix: u32;
var<workgroup> sel_mask: u32;
var<workgroup> sel_rem: u32;
var<workgroup> best_id: array<u32, 256>;  // k = 1: the ids of the tree reduction

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * P[8];
  let live = g < P[9];  // uniform: the same for the whole workgroup
  let n = P[0];
  let k = P[2];
  let b0 = g * 2048u + li * 8u;
  var v: array<f32, 8>;
  var key: array<u32, 8>;
  for (var j = 0u; j < 8u; j++) {
    let id = b0 + j;
    v[j] = 0.0;
    if (live && id < n) { v[j] = X[P[1] + id]; }
  }
  // Penalties (CPU: runtime/sampler.cpp Penalties::penalize), for the ids this thread holds.
  let rep = bitcast<f32>(P[5]);
  let freq = bitcast<f32>(P[6]);
  let pres = bitcast<f32>(P[7]);
  for (var e = 0u; live && e < P[4]; e++) {
    let id = Q[2u * e];
    if (id >= b0 && id < b0 + 8u) {
      let j = id - b0;
      let x = v[j];
      if (is_finite(x)) {  // the CPU leaves -inf alone
        var y = select(x * rep, x / rep, x > 0.0);
        y -= f32(Q[2u * e + 1u]) * freq + pres;
        v[j] = y;
      }
    }
  }
  if (li == 0u) {
    atomicStore(&n_valid, 0u);
    sel_prefix = 0u;
    sel_mask = 0u;
    sel_rem = k;
  }
  atomicStore(&hist[li], 0u);
  workgroupBarrier();
  var mine = 0u;
  for (var j = 0u; j < 8u; j++) {
    let id = b0 + j;
    var kk = 0u;
    if (live && id < n) { kk = logit_key(v[j]); }
    if (P[3] != 0u && live && id < n && ((M[id >> 5u] >> (id & 31u)) & 1u) == 0u) { kk = 0u; }
    key[j] = kk;
    mine += select(0u, 1u, kk != 0u);
  }
  // k = 1 (greedy): the best key, lowest id among equals, by a tree reduction instead of the radix select.
  if (k == 1u) {
    var bk = 0u;
    var bi = 0u;
    for (var j = 0u; j < 8u; j++) {
      if (key[j] > bk) {
        bk = key[j];
        bi = b0 + j;
      }
    }
    scan[li] = bk;
    best_id[li] = bi;
    workgroupBarrier();
    for (var h = 128u; h > 0u; h >>= 1u) {
      if (li < h) {
        let ok = scan[li + h];
        let oi = best_id[li + h];
        if (ok > scan[li] || (ok == scan[li] && ok != 0u && oi < best_id[li])) {
          scan[li] = ok;
          best_id[li] = oi;
        }
      }
      workgroupBarrier();
    }
    if (li == 0u && live) {
      S[g] = select(0u, 1u, scan[0] != 0u);
      S[P[9] + 2u * g] = scan[0];
      S[P[9] + 2u * g + 1u] = best_id[0];
    }
    return;
  }
  atomicAdd(&n_valid, mine);
  workgroupBarrier();
  let total = workgroupUniformLoad(&n_valid);
  // The k-th largest key T (radix select, 8 bits a round); with at most k candidates, all are taken.
  if (total > k) {
    for (var round = 0u; round < 4u; round++) {
      let shift = 24u - 8u * round;
      // Runs of one digit are added at once: in the first round most keys share it (fewer atomics).
      var last = 0u;
      var run = 0u;
      for (var j = 0u; j < 8u; j++) {
        let x = key[j];
        if (x != 0u && (x & sel_mask) == sel_prefix) {
          let d = (x >> shift) & 255u;
          if (run > 0u && d != last) { atomicAdd(&hist[last], run); run = 0u; }
          last = d;
          run++;
        }
      }
      if (run > 0u) { atomicAdd(&hist[last], run); }
      radix_pick(li, shift);
      atomicStore(&hist[li], 0u);
      workgroupBarrier();
    }
  }
  workgroupBarrier();
  var t = 0u;       // keys > t are taken, and the first `rem` (in id order) equal to t
  var rem = 0u;
  if (total > k) {
    t = sel_prefix;
    rem = sel_rem;
  }
  var gt = 0u;
  var ties = 0u;
  for (var j = 0u; j < 8u; j++) {
    gt += select(0u, 1u, key[j] > t);
    ties += select(0u, 1u, key[j] == t && t != 0u);
  }
  let ties_before = excl_scan(li, ties);
  let take_ties = min(ties, rem - min(rem, ties_before));
  var pos = excl_scan(li, gt + take_ties);
  if (!live) { return; }
  let base = P[9] + 2u * g * k;
  var taken = 0u;
  for (var j = 0u; j < 8u; j++) {
    let x = key[j];
    var take = x > t;
    if (x == t && t != 0u && taken < take_ties) {
      take = true;
      taken++;
    }
    if (take) {
      S[base + 2u * pos] = x;
      S[base + 2u * pos + 1u] = b0 + j;
      pos++;
    }
  }
  if (li == 0u) { S[g] = min(total, k); }
}
