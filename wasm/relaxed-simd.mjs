// relaxed-simd.mjs — whether this engine runs the relaxed-SIMD builds (sotto-relaxed.wasm, sotto-mt-relaxed.wasm
// of wasm/build.sh: the repacked Q4_0 kernels on i32x4.relaxed_dot_i8x16_i7x16_add_s).
//   relaxedSimdUsable() -> true | false   (cached; no network, no Worker)
// A tiny module is validated, then run: one relaxed dot of an i8 vector (-128..127) and a 7-bit one (0..15,
// as the kernels' nibbles) plus an accumulator must give the exact integers, as the spec promises every
// engine for a 7-bit operand. The run is part of the test because Node 20's V8 (11.3, behind
// --experimental-wasm-relaxed-simd) validates the opcode but its baseline compiler (Liftoff) gets the
// integers wrong (TurboFan gets them right; --no-liftoff); a build that would compute wrong answers is not used.
// Does not: choose between the single-threaded and threaded builds (threadsUsable of wasm/threads-host.mjs).
let usable = null;

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

// (module (func (export "f") (result i32)
//   (i32x4.all_true (i32x4.eq (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const a) (v128.const b) (v128.const c))
//                             (v128.const want)))))
export function relaxedProbeModule() {
  const a = [-128, 127, -1, 5, -77, 100, -128, -128, 3, -9, 64, -65, 127, 127, 127, -2];
  const b = [15, 15, 15, 15, 0, 7, 8, 15, 1, 2, 3, 4, 13, 14, 15, 9];
  const c = [1000, -7, 123456, -99999];
  const want = [0, 1, 2, 3].map((l) => c[l] + [0, 1, 2, 3].reduce((s, j) => s + a[4 * l + j] * b[4 * l + j], 0));
  const i8 = (xs) => xs.map((x) => x & 255);
  const i32 = (xs) => xs.flatMap((x) => [x & 255, (x >> 8) & 255, (x >> 16) & 255, (x >>> 24) & 255]);
  const body = [0x00, 0xfd, 0x0c, ...i8(a), 0xfd, 0x0c, ...i8(b), 0xfd, 0x0c, ...i32(c),
                0xfd, ...leb(0x113),                   // i32x4.relaxed_dot_i8x16_i7x16_add_s
                0xfd, 0x0c, ...i32(want), 0xfd, ...leb(0x37), 0xfd, ...leb(0xa3), 0x0b];  // i32x4.eq, all_true
  const code = [1, ...leb(body.length), ...body];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0,
                         7, 5, 1, 1, 0x66, 0, 0, 10, ...leb(code.length), ...code]);
}

export function relaxedSimdUsable() {
  if (usable === null) {
    const bytes = relaxedProbeModule();
    try {
      usable = WebAssembly.validate(bytes) &&
        new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f() === 1;
    } catch {
      usable = false;
    }
  }
  return usable;
}
