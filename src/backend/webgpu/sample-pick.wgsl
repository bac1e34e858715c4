// sample-pick.wgsl — pass 2 of GPU sampling (after sample-common.wgsl), one workgroup: merges the chunks'
// candidates of sample-select.wgsl into the k best (key desc, ties by lowest id), sorts them, then runs
// the rest of the CPU sampler chain (runtime/sampler.cpp) on them: top-p (smallest prefix whose softmax
// mass reaches p), min-p (logit >= max + log p), temperature (logit * 1/t), and the draw: softmax again,
// the first candidate whose cumulative probability exceeds u * total (u from the host's RNG), walking in
// sorted order, or in id order when the CPU's candidates are in id order there (flag 8). Greedy: the best.
// O[out] = the token id, 0xffffffff when no candidate is left (every token masked).
// P: 0 n_chunks, 1 k, 2 top_p, 3 log(min_p), 4 flags (1 top-p, 2 min-p, 4 draw (else greedy), 8 id
//    order), 5 1/temperature, 6 u, 7 out offset (f32 bits where real).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> S: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;

var<workgroup> scan: array<u32, 256>;
var<workgroup> scan_total: u32;
var<workgroup> scan_rows: array<u32, 16>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> n_valid: atomic<u32>;
var<workgroup> sel_prefix: u32;
var<workgroup> sel_mask: u32;
var<workgroup> sel_rem: u32;
var<workgroup> ck: array<u32, 256>;  // candidates: key (or, for the id-order walk, 0 = dropped)
var<workgroup> ci: array<u32, 256>;  // id
var<workgroup> cl: array<f32, 256>;  // logit
var<workgroup> cp: array<f32, 256>;  // e^(logit - max)
var<workgroup> n_keep: u32;

// Bitonic sort of the 256 (ck, ci, cl) entries: by key desc then id asc, or (by_id) by id asc.
fn sort256(li: u32, by_id: bool) {
  for (var size = 2u; size <= 256u; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      let o = li ^ stride;
      if (o > li) {
        let up = (li & size) == 0u;
        var first: bool;  // entry o belongs before entry li
        if (by_id) {
          first = ci[o] < ci[li];
        } else {
          first = ck[o] > ck[li] || (ck[o] == ck[li] && ci[o] < ci[li]);
        }
        if (first == up) {
          let a = ck[li]; ck[li] = ck[o]; ck[o] = a;
          let b = ci[li]; ci[li] = ci[o]; ci[o] = b;
          let c = cl[li]; cl[li] = cl[o]; cl[o] = c;
        }
      }
      workgroupBarrier();
    }
  }
}

// The sum of cp[0..m), Kahan-compensated f32 (the CPU sums in double). Thread 0 only.
fn sum_first(m: u32) -> f32 {
  var s = 0.0;
  var c = 0.0;
  for (var i = 0u; i < m; i++) {
    let y = cp[i] - c;
    let t = s + y;
    c = (t - s) - y;
    s = t;
  }
  return s;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let n_chunks = P[0];
  let k = P[1];
  let flags = P[4];
  let n_items = n_chunks * k;
  let per = (n_items + 255u) / 256u;
  let i0 = min(li * per, n_items);
  let i1 = min(i0 + per, n_items);
  if (li == 0u) {
    atomicStore(&n_valid, 0u);
    sel_prefix = 0u;
    sel_mask = 0u;
    sel_rem = k;
  }
  atomicStore(&hist[li], 0u);
  ck[li] = 0u;
  ci[li] = 0xffffffffu;
  cl[li] = 0.0;
  workgroupBarrier();
  var mine = 0u;
  for (var i = i0; i < i1; i++) {
    if (i % k < S[i / k]) { mine++; }
  }
  atomicAdd(&n_valid, mine);
  workgroupBarrier();
  let total = workgroupUniformLoad(&n_valid);
  if (total > k) {
    for (var round = 0u; round < 4u; round++) {
      let shift = 24u - 8u * round;
      var last = 0u;
      var run = 0u;
      for (var i = i0; i < i1; i++) {
        let x = S[n_chunks + 2u * i];
        if (i % k < S[i / k] && (x & sel_mask) == sel_prefix) {
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
  var t = 0u;
  var rem = 0u;
  if (total > k) {
    t = sel_prefix;
    rem = sel_rem;
  }
  var gt = 0u;
  var ties = 0u;
  for (var i = i0; i < i1; i++) {
    if (i % k < S[i / k]) {
      let x = S[n_chunks + 2u * i];
      gt += select(0u, 1u, x > t);
      ties += select(0u, 1u, x == t && t != 0u);
    }
  }
  let ties_before = excl_scan(li, ties);
  let take_ties = min(ties, rem - min(rem, ties_before));
  var pos = excl_scan(li, gt + take_ties);
  var taken = 0u;
  for (var i = i0; i < i1; i++) {
    if (i % k < S[i / k]) {
      let x = S[n_chunks + 2u * i];
      var take = x > t;
      if (x == t && t != 0u && taken < take_ties) {
        take = true;
        taken++;
      }
      if (take) {
        ck[pos] = x;
        ci[pos] = S[n_chunks + 2u * i + 1u];
        cl[pos] = key_logit(x);
        pos++;
      }
    }
  }
  workgroupBarrier();
  sort256(li, false);
  let m = min(total, k);
  // e^(logit - max) of every candidate, one a thread (sorted: the max is cl[0]).
  if (li < m) { cp[li] = exp_nonpos(cl[li] - cl[0]); }
  workgroupBarrier();
  if (li == 0u) {
    var size = m;
    // top-p: the smallest prefix whose mass reaches p (TopP::prefix_len, min_keep 1).
    if ((flags & 1u) != 0u && size > 1u) {
      let inv = 1.0 / sum_first(size);
      let p = bitcast<f32>(P[2]);
      var cum = 0.0;
      var c = 0.0;
      for (var i = 0u; i < size; i++) {
        let y = cp[i] * inv - c;
        let s = cum + y;
        c = (s - cum) - y;
        cum = s;
        if (cum >= p) {
          size = i + 1u;
          break;
        }
      }
    }
    // min-p: logit >= max + log(p); the candidates are sorted, so the survivors are a prefix.
    if ((flags & 2u) != 0u && size > 1u) {
      let thr = cl[0] + bitcast<f32>(P[3]);
      var keep = 0u;
      for (var i = 0u; i < size; i++) { keep += select(0u, 1u, cl[i] >= thr); }
      size = keep;
    }
    n_keep = size;
  }
  let size = workgroupUniformLoad(&n_keep);
  if (size == 0u) {
    if (li == 0u) { O[P[7]] = 0xffffffffu; }
    return;
  }
  if ((flags & 4u) == 0u) {
    if (li == 0u) { O[P[7]] = ci[0]; }
    return;
  }
  // Temperature (a positive scale keeps the order: the max stays at 0); dropped candidates sort last by id.
  let mx = cl[0] * bitcast<f32>(P[5]);
  workgroupBarrier();  // every thread has read cl[0] before thread 0 scales it
  if (li < size) { cl[li] = cl[li] * bitcast<f32>(P[5]); } else { ci[li] = 0xffffffffu; }
  workgroupBarrier();
  if ((flags & 8u) != 0u) { sort256(li, true); }
  if (li < size) { cp[li] = exp_nonpos(cl[li] - mx); }
  workgroupBarrier();
  if (li != 0u) { return; }
  // The draw (Dist::apply): p = e * (1 / sum e), total = sum p, the first cumulative p > u * total
  // (p <= 0 skipped).
  let inv = 1.0 / sum_first(size);
  var total_p = 0.0;
  var c = 0.0;
  for (var i = 0u; i < size; i++) {
    cp[i] = cp[i] * inv;
    let y = cp[i] - c;
    let s = total_p + y;
    c = (s - total_p) - y;
    total_p = s;
  }
  let goal = bitcast<f32>(P[6]) * total_p;
  var cum = 0.0;
  c = 0.0;
  var last = 0xffffffffu;
  for (var i = 0u; i < size; i++) {
    if (cp[i] <= 0.0) { continue; }
    last = ci[i];
    let y = cp[i] - c;
    let s = cum + y;
    c = (s - cum) - y;
    cum = s;
    if (cum > goal) {
      O[P[7]] = ci[i];
      return;
    }
  }
  O[P[7]] = last;
}
