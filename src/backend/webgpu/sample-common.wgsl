// sample-common.wgsl — helpers of the GPU sampler (sample-select.wgsl, sample-pick.wgsl): order-preserving
// u32 keys of logits (0 = not a candidate), the CPU sampler's own e^x, and a workgroup exclusive scan.
// A workgroup is 256 threads; `scan`, `scan_rows`, `scan_total`, `hist` and `sel_*` are workgroup variables
// of the including kernel.

// Larger logit <=> larger key. -0 and +0 get one key (the CPU compares them equal); -inf and NaN are no
// candidate (key 0), +inf too; every finite logit has a key >= 0x00800000.
fn is_finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }
fn logit_key(v: f32) -> u32 {
  if (!is_finite(v)) { return 0u; }
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn key_logit(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

// e^x for x <= 0: the CPU sampler's exp_nonpos (runtime/sampler.cpp), operation for operation, except that
// n is rounded with round() (half to even, as the CPU's 1.5 * 2^23 trick): shader compilers may fold
// (a + c) - c into a.
fn exp_nonpos(x: f32) -> f32 {
  let xc = select(-87.0, x, x >= -87.0);
  let n = round(xc * 1.44269504088896341);
  let r = (xc - n * 0.693145751953125) - n * 1.42860682030941723212e-6;
  var pr = 1.0 / 720.0;
  pr = pr * r + 1.0 / 120.0;
  pr = pr * r + 1.0 / 24.0;
  pr = pr * r + 1.0 / 6.0;
  pr = pr * r + 0.5;
  pr = pr * r + 1.0;
  pr = pr * r + 1.0;
  let scale = bitcast<f32>((i32(n) + 127) << 23u);
  return select(0.0, pr * scale, x >= -87.0);
}

// Exclusive prefix sum of v over the 256 threads in thread order; the total lands in scan_total. Two
// levels (16 rows of 16): four barriers instead of the sixteen of a Hillis-Steele scan.
fn excl_scan(li: u32, v: u32) -> u32 {
  scan[li] = v;
  workgroupBarrier();
  if (li < 16u) {
    var acc = 0u;
    for (var j = 0u; j < 16u; j++) {
      let t = scan[li * 16u + j];
      scan[li * 16u + j] = acc;
      acc += t;
    }
    scan_rows[li] = acc;
  }
  workgroupBarrier();
  if (li == 0u) {
    var acc = 0u;
    for (var r = 0u; r < 16u; r++) {
      let t = scan_rows[r];
      scan_rows[r] = acc;
      acc += t;
    }
    scan_total = acc;
  }
  workgroupBarrier();
  let r = scan[li] + scan_rows[li / 16u];
  workgroupBarrier();  // scan is reused by the next call
  return r;
}

// One round of the radix select: the 8-bit digit at `shift` of the k-th largest key among those whose
// higher digits equal sel_prefix (sel_rem of them still to take). Keys were counted into `hist` by the caller.
fn radix_pick(li: u32, shift: u32) {
  workgroupBarrier();
  if (li == 0u) {
    var acc = 0u;
    var b = 255i;
    loop {
      let c = atomicLoad(&hist[u32(b)]);
      if (acc + c >= sel_rem || b == 0i) { break; }
      acc += c;
      b -= 1i;
    }
    sel_rem -= acc;
    sel_prefix |= u32(b) << shift;
    sel_mask |= 255u << shift;
  }
  workgroupBarrier();
}
