#!/usr/bin/env python3
"""gguf-to-onnx.py — writes an ONNX decoder (with KV cache) holding exactly the weights of a GGUF, for
onnxruntime-web (what Transformers.js runs models on): tools/bench/ort-web/ compares its WebGPU decode with
ours on the same bytes.

Architectures: llama, qwen2 (QKV bias), gemma3 (q/k norms, post norms, GELU-tanh, embedding * sqrt(d),
5:1 sliding-window layers with their own RoPE base). Weight types: Q4_0, Q8_0 and F16 matrices, F32 norms/biases.

The graph follows the onnx-community / onnxruntime-genai exports Transformers.js loads:
  inputs  input_ids [1, S] int64, attention_mask [1, past + S] int64, position_ids [1, S] int64,
          past_key_values.{l}.key / .value [1, n_head_kv, past, head_dim]
  outputs logits [1, 1, n_vocab] float32 (the last position only; Transformers.js' exports return all S
          rows, which would make prefill read back S x n_vocab floats), present.{l}.key / .value
  ops     com.microsoft MatMulNBits (Q4_0 -> bits 4, block 32, no zero points = the default 8, scales from
          the blocks' f16 d), MatMul (F16, weights stored transposed), Gather on a dequantized embedding
          table, SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization (residual add + RMSNorm),
          com.microsoft RotaryEmbedding (cos/sin caches from the GGUF's RoPE base and llama3 rope_freqs),
          com.microsoft GroupQueryAttention (KV cache; local_window_size for Gemma's sliding layers),
          Sigmoid * Mul (SiLU) or com.microsoft FastGelu (GELU-tanh).
Q8_0 matrices (--q8): integer (default; f32 activations only) = Transformers.js' q8, its default dtype on
          the wasm device (its scripts/quantize.py: onnxruntime's dynamic IntegerOps quantizer): per matrix
          DynamicQuantizeLinear (uint8 activations, one scale per call) -> MatMulInteger -> Cast -> Mul by
          (activation scale x weight scale), which ORT's CPU EP fuses into com.microsoft DynamicQuantizeMatMul
          (an int8 GEMM with a wasm SIMD kernel). Weights: symmetric int8, one scale per output row (the
          row's largest Q8_0 block scale; the same weights where a row's blocks share a scale, as in the
          bench's random GGUFs; else requantized, see q8_0_per_column). Transformers.js' exports of models
          with GroupQueryAttention use uint8 weights, one scale per matrix: the same kernel.
          nbits = MatMulNBits bits 8, block 32 (the exact Q8_0 weights; on the wasm EP, like bits 4, it
          dequantizes every matrix to f32 on every run: onnxruntime's MLAS has no wasm n-bit kernel).
Activations: --dtype f16 (default; Transformers.js' q4f16 / fp16 models) or f32 (F16 weights then stored
as f32 with the same values; Q4_0 scales as f32). Tied output: Q4_0 -> MatMulNBits on the embedding's
blocks; F16 -> Gemm(transB) on the embedding table (one copy). Weights go to external data: PATH.data,
PATH.data.1, ... (--shard-mib each at most).
Usage: python3 tools/bench/gguf-to-onnx.py model.gguf model.onnx [--dtype f16|f32] [--max-pos 4096] [--shard-mib 2048]
       [--q8 integer|nbits]
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import ggufw  # noqa: E402  (the repo's GGUF reader)

MS = "com.microsoft"


def q4_0_blocks(raw, n_out, n_in):
    """Q4_0 rows -> (MatMulNBits B [n_out, n_in/32, 16] uint8, scales [n_out, n_in/32] f16, dequantized f32).
    Q4_0 block: f16 d, then 16 bytes: element j in the low nibble of byte j, element j + 16 in the high
    nibble; value (q - 8) * d. MatMulNBits: element 2i in the low nibble of byte i, 2i + 1 in the high one."""
    nb = n_in // 32
    b = np.frombuffer(raw, dtype=np.uint8).reshape(n_out, nb, 18)
    d = b[:, :, :2].copy().view(np.float16).reshape(n_out, nb)
    qs = b[:, :, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=2)  # [n_out, nb, 32] in element order
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    return packed, d, q


def q8_0_blocks(raw, n_out, n_in):
    """Q8_0 rows -> (scales d [n_out, n_in/32] f16, quants q [n_out, n_in/32, 32] int8).
    Q8_0 block: f16 d, then 32 int8 q; value q * d."""
    nb = n_in // 32
    b = np.frombuffer(raw, dtype=np.uint8).reshape(n_out, nb, 34)
    d = b[:, :, :2].copy().view(np.float16).reshape(n_out, nb)
    q = b[:, :, 2:].copy().view(np.int8)
    return d, q


def q8_0_per_column(d, q):
    """Q8_0 (per-block scales) -> symmetric int8 with one scale per output row (MatMulInteger has no block
    scales): s = the row's largest block scale, q' = round(q * d / s). Where all blocks of a row share one
    scale (tools/bench/webgpu-bench.mjs's random weights), q' = q and s = d: the same weights; else each weight
    moves by at most s / 2."""
    d32 = d.astype(np.float32)
    s = d32.max(axis=1)
    s = np.where(s > 0, s, 1.0).astype(np.float32)
    qn = np.clip(np.rint(q.astype(np.float32) * (d32 / s[:, None])[:, :, None]), -128, 127).astype(np.int8)
    return qn.reshape(q.shape[0], -1), s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("onnx")
    ap.add_argument("--dtype", choices=["f16", "f32"], default="f16")
    ap.add_argument("--max-pos", type=int, default=4096, help="rows of the RoPE cos/sin caches")
    ap.add_argument("--shard-mib", type=int, default=2048, help="most MiB per external data file")
    ap.add_argument("--q8", choices=["integer", "nbits"], default="integer", help="the form of Q8_0 matrices")
    a = ap.parse_args()
    kv, T = ggufw.read(a.gguf)
    arch = kv["general.architecture"]
    if arch not in ("llama", "qwen2", "gemma3"):
        sys.exit(f"gguf-to-onnx: architecture {arch!r} not supported (llama, qwen2, gemma3)")
    g = lambda k, d=None: kv.get(f"{arch}.{k}", d)  # noqa: E731
    E, L = g("embedding_length"), g("block_count")
    nh, nkv = g("attention.head_count"), g("attention.head_count_kv")
    hd = g("attention.key_length", E // nh)
    eps = g("attention.layer_norm_rms_epsilon")
    base = g("rope.freq_base", 10000.0)
    n_rot = g("rope.dimension_count", hd)
    if n_rot != hd:
        sys.exit("gguf-to-onnx: partial RoPE not supported")
    gemma = arch == "gemma3"
    interleaved = 1 if arch == "llama" else 0  # llama GGUFs: Q/K rows permuted for adjacent-pair RoPE
    V = T["token_embd.weight"][1][1]
    act = TensorProto.FLOAT16 if a.dtype == "f16" else TensorProto.FLOAT
    npact = np.float16 if a.dtype == "f16" else np.float32
    if a.q8 == "integer" and a.dtype != "f32" and any(t[0] == ggufw.T_Q8_0 for t in T.values()):
        sys.exit("gguf-to-onnx: --q8 integer needs --dtype f32 (DynamicQuantizeLinear takes float32)")

    inits, nodes = [], []
    uid = [0]

    def name(p):
        uid[0] += 1
        return f"{p}_{uid[0]}"

    def init(n, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def node(op, ins, nout=1, domain="", outs=None, **attrs):
        outs = outs or [name(op) for _ in range(nout)]
        nodes.append(helper.make_node(op, ins, outs, name=name(op + "_n"), domain=domain or None, **attrs))
        return outs if nout > 1 else outs[0]

    def vec(n):
        dt, ne, raw = T[n]
        assert dt == ggufw.T_F32, n
        return init(n, np.frombuffer(raw, dtype=np.float32).astype(npact))

    def linear(x, wname, bias=None, out=None):
        dt, ne, raw = T[wname]
        n_in, n_out = ne
        if dt == ggufw.T_Q4_0:
            packed, d, _ = q4_0_blocks(raw, n_out, n_in)
            w = init(wname + ".qweight", packed)
            s = init(wname + ".scales", d.astype(npact).reshape(-1))
            y = node("MatMulNBits", [x, w, s], domain=MS, K=n_in, N=n_out, bits=4, block_size=32)
        elif dt == ggufw.T_Q8_0 and a.q8 == "nbits":  # exact: uint8 q + 128, the default zero point 128
            d, q = q8_0_blocks(raw, n_out, n_in)
            w = init(wname + ".qweight", (q.astype(np.int16) + 128).astype(np.uint8))
            s = init(wname + ".scales", d.astype(npact).reshape(-1))
            y = node("MatMulNBits", [x, w, s], domain=MS, K=n_in, N=n_out, bits=8, block_size=32)
        elif dt == ggufw.T_Q8_0:  # Transformers.js' q8: dynamic uint8 activations x int8 weights
            qn, sc = q8_0_per_column(*q8_0_blocks(raw, n_out, n_in))
            xq, xs, xz = node("DynamicQuantizeLinear", [x], nout=3)
            yi = node("MatMulInteger", [xq, init(wname + ".qweight_t", qn.T), xz])
            y = node("Mul", [node("Cast", [yi], to=TensorProto.FLOAT),
                             node("Mul", [xs, init(wname + ".col_scale", sc)])])
        elif dt == ggufw.T_F16:
            wt = np.frombuffer(raw, dtype=np.float16).reshape(n_out, n_in).T.astype(npact)
            y = node("MatMul", [x, init(wname + ".t", wt)])
        else:
            sys.exit(f"gguf-to-onnx: {wname}: GGML type {dt} not supported (Q4_0, Q8_0, F16)")
        if bias:
            y = node("Add", [y, vec(bias)])
        return y

    # RoPE caches [max_pos, hd/2]: inv_freq[i] = base^(-2i/hd) / rope_freqs[i] (llama3 factors).
    def rope_cache(b, tag):
        inv = base_pow = b ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        if "rope_freqs.weight" in T:
            inv = base_pow / np.frombuffer(T["rope_freqs.weight"][2], dtype=np.float32).astype(np.float64)
        ang = np.arange(a.max_pos, dtype=np.float64)[:, None] * inv[None, :]
        return (init(f"cos_cache{tag}", np.cos(ang).astype(npact)), init(f"sin_cache{tag}", np.sin(ang).astype(npact)))

    caches = {"g": rope_cache(base, "")}
    if gemma:
        caches["l"] = rope_cache(g("rope.freq_base_swa", 10000.0), "_local")
    window = g("attention.sliding_window", 0) if gemma else 0

    # Graph inputs.
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, "T"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "S"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, V])]
    for l in range(L):
        for kvn in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{l}.{kvn}", act, [1, nkv, "P", hd]))
            outputs.append(helper.make_tensor_value_info(f"present.{l}.{kvn}", act, [1, nkv, "T", hd]))

    # seqlens_k = sum(mask) - 1, total_sequence_length = mask.shape[1] (int32), as the genai exports do.
    msum = node("ReduceSum", ["attention_mask", init("axes1", np.array([1], np.int64))], keepdims=0)
    seqlens_k = node("Cast", [node("Sub", [msum, init("one64", np.array(1, np.int64))])], to=TensorProto.INT32)
    total_len = node("Cast", [node("Gather", [node("Shape", ["attention_mask"]), init("idx1", np.array(1, np.int64))],
                                   axis=0)], to=TensorProto.INT32)

    # Embedding: Gather from the dequantized table (activation dtype).
    dt, ne, raw = T["token_embd.weight"]
    tied = "output.weight" not in T
    if dt == ggufw.T_Q4_0:
        _, d, q = q4_0_blocks(raw, V, E)
        table = ((q.astype(np.float32) - 8) * d.astype(np.float32)[:, :, None]).reshape(V, E)
    elif dt == ggufw.T_Q8_0:
        d, q = q8_0_blocks(raw, V, E)
        table = (q.astype(np.float32) * d.astype(np.float32)[:, :, None]).reshape(V, E)
    elif dt == ggufw.T_F16:
        table = np.frombuffer(raw, dtype=np.float16).reshape(V, E)
    else:
        sys.exit(f"gguf-to-onnx: token_embd.weight: GGML type {dt} not supported (Q4_0, Q8_0, F16)")
    emb = init("embed_tokens", table.astype(npact))
    x = node("Gather", [emb, "input_ids"], axis=0)  # [1, S, E]
    if gemma:
        x = node("Mul", [x, init("embd_scale", np.array(math.sqrt(E), npact))])

    def sln(x, w):
        return node("SimplifiedLayerNormalization", [x, w], axis=-1, epsilon=eps, stash_type=1)

    def skip_sln(x, skip, w):  # -> (norm(x + skip), x + skip)
        o = node("SkipSimplifiedLayerNormalization", [x, skip, w], nout=4, domain=MS, epsilon=eps)
        return o[0], o[3]

    h = sln(x, vec("blk.0.attn_norm.weight"))
    res = x
    scale = g("attention.scale", 0.0) or 1.0 / math.sqrt(hd)
    for l in range(L):
        b = f"blk.{l}."
        bias = lambda n: (b + f"attn_{n}.bias") if (b + f"attn_{n}.bias") in T else None  # noqa: E731
        q = linear(h, b + "attn_q.weight", bias("q"))
        k = linear(h, b + "attn_k.weight", bias("k"))
        v = linear(h, b + "attn_v.weight", bias("v"))
        swa = gemma and (l % 6) != 5
        if gemma:  # per-head RMSNorm on Q and K
            sh = lambda n: init(name("shape"), np.array([1, -1, n, hd], np.int64))  # noqa: E731
            back = lambda n: init(name("shape"), np.array([1, -1, n * hd], np.int64))  # noqa: E731
            q = node("Reshape", [sln(node("Reshape", [q, sh(nh)]), vec(b + "attn_q_norm.weight")), back(nh)])
            k = node("Reshape", [sln(node("Reshape", [k, sh(nkv)]), vec(b + "attn_k_norm.weight")), back(nkv)])
        cos, sin = caches["l" if swa else "g"]
        q = node("RotaryEmbedding", [q, "position_ids", cos, sin], domain=MS, interleaved=interleaved, num_heads=nh)
        k = node("RotaryEmbedding", [k, "position_ids", cos, sin], domain=MS, interleaved=interleaved, num_heads=nkv)
        attn = node("GroupQueryAttention",
                    [q, k, v, f"past_key_values.{l}.key", f"past_key_values.{l}.value", seqlens_k, total_len],
                    nout=3, domain=MS, outs=[name("attn"), f"present.{l}.key", f"present.{l}.value"],
                    num_heads=nh, kv_num_heads=nkv, scale=scale,
                    local_window_size=window if swa else -1)[0]  # keys seen: (p - window, p], as ours
        o = linear(attn, b + "attn_output.weight")
        if gemma:
            o = sln(o, vec(b + "post_attention_norm.weight"))
        h, res = skip_sln(o, res, vec(b + "ffn_norm.weight"))
        gate = linear(h, b + "ffn_gate.weight")
        up = linear(h, b + "ffn_up.weight")
        if gemma:
            a_ = node("FastGelu", [gate], domain=MS)
        else:
            a_ = node("Mul", [gate, node("Sigmoid", [gate])])
        dn = linear(node("Mul", [a_, up]), b + "ffn_down.weight")
        if gemma:
            dn = sln(dn, vec(b + "post_ffw_norm.weight"))
        if l + 1 < L:
            h, res = skip_sln(dn, res, vec(f"blk.{l + 1}.attn_norm.weight"))
        else:
            res = node("Add", [dn, res])
    # The last position only, then the final norm and the output matrix.
    last = node("Slice", [res, init("m1", np.array([-1], np.int64)), init("big", np.array([2**62], np.int64)),
                          init("ax1", np.array([1], np.int64))])  # [1, 1, E]
    hn = sln(last, vec("output_norm.weight"))
    if not tied:
        logits = linear(hn, "output.weight")
    elif dt in (ggufw.T_Q4_0, ggufw.T_Q8_0):
        logits = linear(hn, "token_embd.weight")
    else:  # F16 tied: Gemm with transB on the embedding table, no second copy
        h2 = node("Reshape", [hn, init("shape_e", np.array([1, E], np.int64))])
        logits = node("Reshape", [node("Gemm", [h2, emb], transB=1), init("shape_v", np.array([1, 1, V], np.int64))])
    if act != TensorProto.FLOAT:
        node("Cast", [logits], to=TensorProto.FLOAT, outs=["logits"])
    else:
        node("Identity", [logits], outs=["logits"])

    graph = helper.make_graph(nodes, f"{arch}-decoder", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)],
                              producer_name="sotto gguf-to-onnx")
    model.ir_version = 8
    # External data in files of at most --shard-mib (PATH.data, PATH.data.1, ...): Node reads a file into one
    # Buffer (4 GiB at most), and f32 copies of F16 weights pass that for Llama-3.2-1B.
    base = os.path.basename(a.onnx)
    out_dir = os.path.dirname(os.path.abspath(a.onnx))
    for f in os.listdir(out_dir):
        if f == base + ".data" or f.startswith(base + ".data."):
            os.remove(os.path.join(out_dir, f))
    files, fh, pos, total = [], None, 0, 0
    for t in model.graph.initializer:
        raw = t.raw_data
        if len(raw) < 1024:
            continue
        if fh is None or pos + len(raw) > a.shard_mib * 2**20 and pos > 0:
            if fh:
                fh.close()
            files.append(base + ".data" + (f".{len(files)}" if files else ""))
            fh, pos = open(os.path.join(out_dir, files[-1]), "wb"), 0
        fh.write(raw)
        set_external_data(t, files[-1], offset=pos, length=len(raw))
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        pad = -len(raw) % 64
        fh.write(b"\0" * pad)
        pos += len(raw) + pad
        total += len(raw)
    if fh:
        fh.close()
    onnx.save_model(model, a.onnx)
    print(f"gguf-to-onnx: {arch} {L} layers, vocab {V}, {a.dtype} activations -> {a.onnx} (+ {len(files)} data "
          f"file(s), {total / 2**20:.0f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
