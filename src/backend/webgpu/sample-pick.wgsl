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

// p[i] = e^(l[i] - max) * (1 / sum) over the first m entries, as Candidates::softmax (Kahan-summed f32
// instead of double). Thread 0 only.
fn softmax_first(m: u32) {
  var mx = cl[0];
  for (var i = 1u; i < m; i++) { mx = max(mx, cl[i]); }
  var s = 0.0;
  var c = 0.0;
  for (var i = 0u; i < m; i++) {
    let e = exp_nonpos(cl[i] - mx);
    cp[i] = e;
    let y = e - c;
    let t = s + y;
    c = (t - s) - y;
    s = t;
  }
  let inv = 1.0 / s;
  for (var i = 0u; i < m; i++) { cp[i] = cp[i] * inv; }
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
      for (var i = i0; i < i1; i++) {
        let x = S[n_chunks + 2u * i];
        if (i % k < S[i / k] && (x & sel_mask) == sel_prefix) { atomicAdd(&hist[(x >> shift) & 255u], 1u); }
      }
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
  if (li == 0u) {
    var size = m;
    // top-p: the smallest prefix whose mass reaches p (TopP::prefix_len, min_keep 1).
    if ((flags & 1u) != 0u && size > 1u) {
      softmax_first(size);
      let p = bitcast<f32>(P[2]);
      var cum = 0.0;
      var c = 0.0;
      for (var i = 0u; i < size; i++) {
        let y = cp[i] - c;
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
    if ((flags & 4u) != 0u) {
      let inv_t = bitcast<f32>(P[5]);
      for (var i = 0u; i < size; i++) { cl[i] = cl[i] * inv_t; }
    }
    for (var i = size; i < 256u; i++) { ci[i] = 0xffffffffu; }  // dropped: sorts last by id
    n_keep = size;
  }
  workgroupBarrier();
  if ((flags & 8u) != 0u) { sort256(li, true); }
  if (li != 0u) { return; }
  let size = n_keep;
  if (size == 0u) {
    O[P[7]] = 0xffffffffu;
    return;
  }
  if ((flags & 4u) == 0u) {
    O[P[7]] = ci[0];
    return;
  }
  // The draw (Dist::apply): softmax, total = sum p, first cumulative sum > u * total; p <= 0 skipped.
  softmax_first(size);
  var total_p = 0.0;
  var c = 0.0;
  for (var i = 0u; i < size; i++) {
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
