#!/usr/bin/env python3
"""vision-to-onnx.py — writes an ONNX graph of a SmolVLM / Idefics3 vision tower (SigLIP encoder + pixel shuffle +
projection) holding exactly the weights of an mmproj GGUF (the engine's file: docs/vision.md), so onnxruntime-web can
run the same tower as the engine (tools/bench/vision-ort-bench.mjs). numpy + onnx only (the GPU machine has no torch).

Graph, one tile (the shape of Transformers.js' SmolVLM vision_encoder for one image, without its batch/num_images
axes and patch mask: every tile is full):
  pixel_values [1, 3, S, S] float32 -> Conv (patch P, stride P, bias) -> [1, N, D] + position table
  per layer: LayerNormalization -> q, k, v (MatMul + Add) -> heads -> MatMul, scale, Softmax, MatMul -> out + residual;
             LayerNormalization -> fc1 + com.microsoft FastGelu (GELU-tanh, its bias input) -> fc2 + residual
  LayerNormalization (post) -> pixel shuffle by s (Reshape / Transpose: token (R, C) holds patches (sR + dy, sC + dx)
  at offset (s dy + dx) D) -> MatMul (mm.model.fc, no bias) -> image_features [1, N / s^2, T] float32
Matrices: F32 / F16 as MatMul on the transposed weights (F16 widened to f32 for f32 activations), Q8_0 as
com.microsoft MatMulNBits (bits 8, block 32, zero point 128: the file's quants + 128 and its block scales, the same
weights). Activations f32 (default) or --dtype f16 (where the adapter has shader-f16).
Usage: python3 tools/bench/vision-to-onnx.py mmproj.gguf tower.onnx [--dtype f32|f16]
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import ggufw  # noqa: E402  (the repo's GGUF reader)

MS = "com.microsoft"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("onnx")
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    a = ap.parse_args()
    kv, T = ggufw.read(a.gguf)
    if kv.get("general.architecture") != "clip" or kv.get("clip.projector_type") != "idefics3":
        sys.exit(f"vision-to-onnx: {a.gguf} is not an idefics3 mmproj")
    g = lambda k: kv["clip.vision." + k]  # noqa: E731
    S, P, D, L, H = g("image_size"), g("patch_size"), g("embedding_length"), g("block_count"), g("attention.head_count")
    eps, s = g("attention.layer_norm_epsilon"), g("projector.scale_factor")
    side, hd = S // P, D // H
    N = side * side
    proj = T["mm.model.fc.weight"][1][1]
    act = TensorProto.FLOAT16 if a.dtype == "f16" else TensorProto.FLOAT
    npact = np.float16 if a.dtype == "f16" else np.float32

    inits, nodes = [], []
    uid = [0]

    def name(p):
        uid[0] += 1
        return f"{p}_{uid[0]}"

    def init(arr, n=None):
        n = n or name("w")
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def node(op, ins, domain="", out=None, **attrs):
        out = out or name(op)
        nodes.append(helper.make_node(op, ins, [out], name=name(op + "_n"), domain=domain or None, **attrs))
        return out

    def floats(n):  # any float tensor of the file as numpy (GGUF ne reversed)
        dt, ne, raw = T[n]
        shape = list(reversed(ne))
        if dt == ggufw.T_F32:
            return np.frombuffer(raw, np.float32).reshape(shape)
        if dt == ggufw.T_F16:
            return np.frombuffer(raw, np.float16).reshape(shape).astype(np.float32)
        sys.exit(f"vision-to-onnx: {n}: type {dt} not expected here")

    def vec(n):
        return init(floats(n).astype(npact), n)

    def shape(*dims):
        return init(np.array(dims, np.int64))

    def linear(x, w, b=None):  # x [1, M, n_in] -> [1, M, n_out]
        dt, ne, raw = T[w]
        n_in, n_out = ne
        if dt == ggufw.T_Q8_0:
            nb = n_in // 32
            blk = np.frombuffer(raw, np.uint8).reshape(n_out, nb, 34)
            d = blk[:, :, :2].copy().view(np.float16).reshape(n_out * nb)
            q = (blk[:, :, 2:].copy().view(np.int8).astype(np.int16) + 128).astype(np.uint8)  # [n_out, nb, 32]
            y = node("MatMulNBits", [x, init(q), init(d.astype(npact))], domain=MS, K=n_in, N=n_out, bits=8,
                     block_size=32)
        else:
            y = node("MatMul", [x, init(floats(w).T.astype(npact))])
        return node("Add", [y, vec(b)]) if b else y

    def ln(x, p):
        return node("LayerNormalization", [x, vec(p + ".weight"), vec(p + ".bias")], axis=-1, epsilon=eps)

    x = node("Cast", ["pixel_values"], to=act) if act != TensorProto.FLOAT else "pixel_values"
    pw = floats("v.patch_embd.weight").reshape(D, 3, P, P).astype(npact)
    x = node("Conv", [x, init(pw), vec("v.patch_embd.bias")], kernel_shape=[P, P], strides=[P, P])  # [1, D, side, side]
    x = node("Transpose", [node("Reshape", [x, shape(1, D, N)])], perm=[0, 2, 1])  # [1, N, D]
    x = node("Add", [x, vec("v.position_embd.weight")])
    scale = init(np.array(hd ** -0.5, npact))
    for i in range(L):
        b = f"v.blk.{i}."
        h = ln(x, b + "ln1")
        heads = lambda t, perm: node("Transpose", [node("Reshape", [t, shape(1, N, H, hd)])], perm=perm)  # noqa: E731
        q = heads(linear(h, b + "attn_q.weight", b + "attn_q.bias"), [0, 2, 1, 3])  # [1, H, N, hd]
        k = heads(linear(h, b + "attn_k.weight", b + "attn_k.bias"), [0, 2, 3, 1])  # [1, H, hd, N]
        v = heads(linear(h, b + "attn_v.weight", b + "attn_v.bias"), [0, 2, 1, 3])
        p = node("Softmax", [node("Mul", [node("MatMul", [q, k]), scale])], axis=-1)
        o = node("Reshape", [node("Transpose", [node("MatMul", [p, v])], perm=[0, 2, 1, 3]), shape(1, N, D)])
        x = node("Add", [x, linear(o, b + "attn_out.weight", b + "attn_out.bias")])
        h = ln(x, b + "ln2")
        u = node("FastGelu", [linear(h, b + "ffn_up.weight"), vec(b + "ffn_up.bias")], domain=MS)
        x = node("Add", [x, linear(u, b + "ffn_down.weight", b + "ffn_down.bias")])
    x = ln(x, "v.post_ln")
    r = side // s
    x = node("Transpose", [node("Reshape", [x, shape(r, s, r, s, D)])], perm=[0, 2, 1, 3, 4])
    x = node("Reshape", [x, shape(1, r * r, s * s * D)])
    y = linear(x, "mm.model.fc.weight")
    if act != TensorProto.FLOAT:
        node("Cast", [y], to=TensorProto.FLOAT, out="image_features")
    else:
        node("Identity", [y], out="image_features")

    graph = helper.make_graph(nodes, "idefics3-vision-tower",
                              [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [1, 3, S, S])],
                              [helper.make_tensor_value_info("image_features", TensorProto.FLOAT, [1, r * r, proj])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                              producer_name="sotto vision-to-onnx")
    model.ir_version = 8
    onnx.save_model(model, a.onnx)
    print(f"vision-to-onnx: {L} layers, {N} patches of {D}, {r * r} tokens of {proj}, {a.dtype} activations -> {a.onnx} "
          f"({os.path.getsize(a.onnx) / 2**20:.1f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
