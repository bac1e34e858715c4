"""make_quant_fixture.py — writes tests/fixtures/quant/quant-numpy.gguf for tests/test-quant-numpy.cpp.

For each of Q8_0, Q4_0 and Q4_K: a seeded random tensor `<type>.q` [n, 4] quantized by quants.py, the
NumPy-dequantized values `<type>.dq` (F32, same shape) and the original input `<type>.x` (F32), so the C++
test can check dequantize_row bit-exactly against NumPy and bound the C++ quantize error independently.
Rows mix scales (1e-3 .. 10), an all-zero block, a constant block and outliers so edge cases are covered.
Run: /usr/bin/python3 tools/ref/make_quant_fixture.py   (deterministic; same bytes every run)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ggufw  # noqa: E402
import quants  # noqa: E402

N_COLS, N_ROWS = 512, 4  # multiple of 256 so Q4_K fits
TYPES = {"q8_0": ggufw.T_Q8_0, "q4_0": ggufw.T_Q4_0, "q4_k": ggufw.T_Q4_K}


def inputs(rng):
    x = rng.standard_normal((N_ROWS, N_COLS)).astype(np.float32)
    x[0] *= 1e-3
    x[1] *= 10.0
    x[2, :32] = 0.0            # all-zero block
    x[2, 32:64] = 0.75         # constant block
    x[2, 64:96] = np.abs(x[2, 64:96])  # one-signed block (Q4_K min 0)
    x[3, ::97] *= 40.0         # outliers
    x[3, 256:512] += 3.0       # shifted super-block (Q4_K mins matter)
    return x


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "quant", "quant-numpy.gguf")
    rng = np.random.default_rng(1234)
    w = ggufw.Writer()
    w.string("general.description", "NumPy quant twins (tools/ref/quants.py) for test-quant-numpy")
    for name, tid in TYPES.items():
        x = inputs(rng)
        raw, dq = quants.encode(x, name)
        # self-check: the reader and the encoder agree
        assert np.array_equal(quants.QUANT[name][1](raw, x.size).reshape(x.shape), dq)
        w.tensor(name + ".x", ggufw.T_F32, [N_COLS, N_ROWS], x.tobytes())
        w.tensor(name + ".q", tid, [N_COLS, N_ROWS], raw)
        w.tensor(name + ".dq", ggufw.T_F32, [N_COLS, N_ROWS], dq.astype(np.float32).tobytes())
        err = np.abs(dq - x).max(axis=1) / np.abs(x).max(axis=1)
        print(f"{name}: max |dq - x| / max|x| per row = {np.array2string(err, precision=4)}")
    w.write(out)
    kv, t = ggufw.read(out)
    assert len(t) == 3 * len(TYPES)
    print("wrote", os.path.normpath(out), os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
