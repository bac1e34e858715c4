#!/usr/bin/env python3
"""matmul-ops.py — one-matrix ONNX graphs (y = x W, x [M, K] float32, W K x N random) in the forms
gguf-to-onnx.py writes, for tools/bench/ort-web/op-bench.mjs (what one matrix costs onnxruntime-web):
  f32          MatMul, f32 weights (Transformers.js' fp32)
  nbits4       com.microsoft MatMulNBits bits 4, block 32, no zero points (q4_0; Transformers.js' q4)
  nbits4_acc4  the same with accuracy_level 4 (int8 activations where MLAS has such a kernel)
  nbits8       MatMulNBits bits 8, block 32 (q8_0 --q8 nbits)
  integer      DynamicQuantizeLinear + MatMulInteger (int8 weights, zero point 0) + Cast + Mul by the
               activation scale x per-column weight scales (q8_0 --q8 integer; Transformers.js' q8)
  integer_u8   the same with uint8 weights and one zero point / scale per matrix (Transformers.js' q8 of
               models with GroupQueryAttention)
Usage: python3 tools/bench/ort-web/matmul-ops.py OUT_DIR [--k 896] [--n 4864]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--k", type=int, default=896)
ap.add_argument("--n", type=int, default=4864)
a = ap.parse_args()
K, N = a.k, a.n
assert K % 32 == 0, "--k: a multiple of 32"
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(1)
t = numpy_helper.from_array


def save(name, nodes, inits):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TP.FLOAT, ["M", K])],
                          [helper.make_tensor_value_info("y", TP.FLOAT, ["M", N])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    onnx.save_model(m, os.path.join(a.out, name + ".onnx"))


nb = K // 32
scales = t((rng.random(N * nb) * 0.01 + 0.001).astype(np.float32), "s")
nbits = lambda bits, **kw: helper.make_node("MatMulNBits", ["x", "b", "s"], ["y"], domain="com.microsoft",  # noqa: E731
                                            K=K, N=N, bits=bits, block_size=32, **kw)
save("f32", [helper.make_node("MatMul", ["x", "w"], ["y"])], [t((rng.standard_normal((K, N)) * 0.02).astype(np.float32), "w")])
q4 = t(rng.integers(0, 256, (N, nb, 16), dtype=np.uint8), "b")
save("nbits4", [nbits(4)], [q4, scales])
save("nbits4_acc4", [nbits(4, accuracy_level=4)], [q4, scales])
save("nbits8", [nbits(8)], [t(rng.integers(0, 256, (N, nb, 32), dtype=np.uint8), "b"), scales])


def integer(w, wz, ws):
    return ([helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             helper.make_node("MatMulInteger", ["xq", "w", "xz", "wz"], ["yi"]),
             helper.make_node("Cast", ["yi"], ["yf"], to=TP.FLOAT),
             helper.make_node("Mul", ["xs", "ws"], ["s2"]),
             helper.make_node("Mul", ["yf", "s2"], ["y"])],
            [t(w, "w"), t(wz, "wz"), t(ws, "ws")])


save("integer", *integer(rng.integers(-127, 128, (K, N), dtype=np.int8), np.zeros(N, np.int8), np.full(N, 1e-3, np.float32)))
save("integer_u8", *integer(rng.integers(0, 256, (K, N), dtype=np.uint8), np.array(128, np.uint8), np.array(1e-3, np.float32)))
print(f"matmul-ops: K {K}, N {N} -> {a.out}/{{f32,nbits4,nbits4_acc4,nbits8,integer,integer_u8}}.onnx")
