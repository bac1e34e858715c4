#!/usr/bin/python3
"""make-random-model.py — writes Qwen2.5-0.5B-shaped GGUF files with random weights, for speed benchmarks.

What it writes: one GGUF v3 file per requested type (Q8_0, Q4_0; F32 also possible) with the qwen2 architecture
(hidden 896, 24 layers, 14 heads, 2 KV heads, head_dim 64, FFN 4864, vocab 151936, RoPE base 1e6, RMS eps 1e-6,
QKV biases, tied embeddings: no output.weight). Matrices are stored in the requested type; norms and biases are F32.
Weights are N(0, 0.02) (norms 1), quantized with the ggml block layouts (Q8_0: f16 scale + 32 int8;
Q4_0: f16 scale + 16 bytes of nibbles, element j in the low nibble of byte j, element j+16 in the high nibble).
Tokenizer metadata is a placeholder that llama.cpp accepts: "gpt2" model, "qwen2" pre-tokenizer, 256 byte-level
tokens, random BPE merges up to id 151642, Qwen's special tokens at 151643.. and "[PAD<id>]" up to 151935.
It does not produce a model that says anything meaningful; it exists so that speed is measured on the real shapes.

Self-contained (numpy only): it does not import tools/ref/ (not available when this was written). It streams
tensors to disk chunk by chunk, so memory stays near one 16 MiB chunk of float32 rows.

Usage: /usr/bin/python3 tools/bench/make-random-model.py [--out-dir /work/ext/models] [--types q8_0,q4_0]
                                                      [--n-layer 24] [--seed 0]
"""
import argparse
import os
import random
import struct
import sys
import time

import numpy as np

QK = 32
GGML_TYPE = {"f32": 0, "q4_0": 2, "q8_0": 8}
FILE_TYPE = {"f32": 0, "q4_0": 2, "q8_0": 7}  # llama_ftype: ALL_F32, MOSTLY_Q4_0, MOSTLY_Q8_0
ALIGNMENT = 32

# GGUF metadata value types
T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9

CONFIG = dict(n_embd=896, n_layer=24, n_head=14, n_head_kv=2, head_dim=64, n_ff=4864, n_vocab=151936,
              rope_base=1e6, rms_eps=1e-6, n_ctx_train=32768)

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                 "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
                 "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
                 "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
                 "<|repo_name|>", "<|file_sep|>"]
FIRST_SPECIAL = 151643


# ---- quantizers (vectorized; rows of x are split into blocks of 32) ----

def round_away(x):
    """roundf semantics (halves away from zero), as ggml's reference quantizer uses."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_q8_0(x):
    """x: float32 [..., k] with k % 32 == 0 -> uint8 bytes [n_blocks * 34]."""
    b = x.reshape(-1, QK).astype(np.float32)
    amax = np.abs(b).max(axis=1)
    d = amax / 127.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
    q = round_away(b * inv[:, None]).astype(np.int8)
    out = np.empty((b.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.reshape(-1)


def quantize_q4_0(x):
    """x: float32 [..., k] with k % 32 == 0 -> uint8 bytes [n_blocks * 18]."""
    b = x.reshape(-1, QK).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(b.shape[0]), idx]  # the signed value of largest magnitude
    d = mx / -8.0
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d != 0)
    q = np.minimum(15, np.trunc(b * inv[:, None] + 8.5)).astype(np.uint8)
    out = np.empty((b.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.reshape(-1)


def encode(x, ty):
    if ty == "f32":
        return np.ascontiguousarray(x, dtype=np.float32).view(np.uint8).reshape(-1)
    return quantize_q8_0(x) if ty == "q8_0" else quantize_q4_0(x)


def nbytes_of(n_elements, ty):
    if ty == "f32":
        return 4 * n_elements
    return n_elements // QK * (34 if ty == "q8_0" else 18)


# ---- GGUF encoding ----

def gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def kv(key, ty, value):
    out = gguf_str(key) + struct.pack("<I", ty)
    if ty == T_STRING:
        return out + gguf_str(value)
    if ty == T_U32:
        return out + struct.pack("<I", value)
    if ty == T_F32:
        return out + struct.pack("<f", value)
    if ty == T_BOOL:
        return out + struct.pack("<?", value)
    raise ValueError(ty)


def kv_array(key, elem_ty, values):
    out = gguf_str(key) + struct.pack("<IIQ", T_ARRAY, elem_ty, len(values))
    if elem_ty == T_STRING:
        return out + b"".join(gguf_str(v) for v in values)
    if elem_ty == T_I32:
        return out + np.asarray(values, dtype="<i4").tobytes()
    raise ValueError(elem_ty)


def byte_level_chars():
    """The GPT-2 byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 upwards."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def make_vocab(n_vocab, seed):
    """Returns (tokens, token_types, merges). Types: 1 normal, 3 control, 5 unused."""
    rng = random.Random(seed)
    tokens = byte_level_chars()
    seen = set(tokens)
    merges = []
    while len(tokens) < FIRST_SPECIAL:
        a = tokens[rng.randrange(len(tokens))]
        b = tokens[rng.randrange(min(len(tokens), 512))]
        t = a + b
        if len(t) > 12 or t in seen:
            continue
        seen.add(t)
        tokens.append(t)
        merges.append(a + " " + b)
    types = [1] * len(tokens)
    for s in QWEN_SPECIALS:
        tokens.append(s)
        types.append(3)
    while len(tokens) < n_vocab:
        tokens.append("[PAD%d]" % len(tokens))
        types.append(5)
    return tokens, types, merges


def tensor_plan(cfg, wtype):
    """[(name, ne (ggml order: ne[0] innermost), type, init)] — init: 'w' random weight, 'one', 'bias'."""
    e, kvd, ff = cfg["n_embd"], cfg["n_head_kv"] * cfg["head_dim"], cfg["n_ff"]
    plan = [("token_embd.weight", (e, cfg["n_vocab"]), wtype, "w")]
    for i in range(cfg["n_layer"]):
        p = "blk.%d." % i
        plan += [
            (p + "attn_norm.weight", (e,), "f32", "one"),
            (p + "attn_q.weight", (e, cfg["n_head"] * cfg["head_dim"]), wtype, "w"),
            (p + "attn_q.bias", (cfg["n_head"] * cfg["head_dim"],), "f32", "bias"),
            (p + "attn_k.weight", (e, kvd), wtype, "w"),
            (p + "attn_k.bias", (kvd,), "f32", "bias"),
            (p + "attn_v.weight", (e, kvd), wtype, "w"),
            (p + "attn_v.bias", (kvd,), "f32", "bias"),
            (p + "attn_output.weight", (cfg["n_head"] * cfg["head_dim"], e), wtype, "w"),
            (p + "ffn_norm.weight", (e,), "f32", "one"),
            (p + "ffn_gate.weight", (e, ff), wtype, "w"),
            (p + "ffn_up.weight", (e, ff), wtype, "w"),
            (p + "ffn_down.weight", (ff, e), wtype, "w"),
        ]
    plan.append(("output_norm.weight", (e,), "f32", "one"))
    return plan


def pad_to(n, a=ALIGNMENT):
    return (n + a - 1) // a * a


def write_model(path, cfg, wtype, vocab, seed):
    tokens, types, merges = vocab
    a = "qwen2."
    meta = [
        kv("general.architecture", T_STRING, "qwen2"),
        kv("general.name", T_STRING, "qwen2.5-0.5b-shaped random (%s)" % wtype),
        kv("general.file_type", T_U32, FILE_TYPE[wtype]),
        kv("general.quantization_version", T_U32, 2),
        kv("general.alignment", T_U32, ALIGNMENT),
        kv(a + "block_count", T_U32, cfg["n_layer"]),
        kv(a + "context_length", T_U32, cfg["n_ctx_train"]),
        kv(a + "embedding_length", T_U32, cfg["n_embd"]),
        kv(a + "feed_forward_length", T_U32, cfg["n_ff"]),
        kv(a + "attention.head_count", T_U32, cfg["n_head"]),
        kv(a + "attention.head_count_kv", T_U32, cfg["n_head_kv"]),
        kv(a + "rope.freq_base", T_F32, cfg["rope_base"]),
        kv(a + "attention.layer_norm_rms_epsilon", T_F32, cfg["rms_eps"]),
        kv("tokenizer.ggml.model", T_STRING, "gpt2"),
        kv("tokenizer.ggml.pre", T_STRING, "qwen2"),
        kv_array("tokenizer.ggml.tokens", T_STRING, tokens),
        kv_array("tokenizer.ggml.token_type", T_I32, types),
        kv_array("tokenizer.ggml.merges", T_STRING, merges),
        kv("tokenizer.ggml.eos_token_id", T_U32, FIRST_SPECIAL + 2),
        kv("tokenizer.ggml.padding_token_id", T_U32, FIRST_SPECIAL),
        kv("tokenizer.ggml.bos_token_id", T_U32, FIRST_SPECIAL),
        kv("tokenizer.ggml.add_bos_token", T_BOOL, False),
    ]
    plan = tensor_plan(cfg, wtype)
    infos, offset = [], 0
    for name, ne, ty, _ in plan:
        n = int(np.prod(ne))
        infos.append(gguf_str(name) + struct.pack("<I", len(ne)) + struct.pack("<%dQ" % len(ne), *ne) +
                     struct.pack("<IQ", GGML_TYPE[ty], offset))
        offset = pad_to(offset + nbytes_of(n, ty))
    header = b"GGUF" + struct.pack("<IQQ", 3, len(plan), len(meta)) + b"".join(meta) + b"".join(infos)
    rng = np.random.default_rng(seed)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(b"\0" * (pad_to(len(header)) - len(header)))
        for name, ne, ty, init in plan:
            n = int(np.prod(ne))
            if init == "one":
                data = encode(np.ones(n, np.float32), ty)
                f.write(data.tobytes())
            elif init == "bias":
                f.write(encode(rng.standard_normal(n, dtype=np.float32) * 0.02, ty).tobytes())
            else:
                rows_per_chunk = max(1, (1 << 22) // ne[0])  # ~16 MiB of float32 per chunk
                for r0 in range(0, ne[1], rows_per_chunk):
                    r = min(rows_per_chunk, ne[1] - r0)
                    x = rng.standard_normal(r * ne[0], dtype=np.float32) * np.float32(0.02)
                    f.write(encode(x, ty).tobytes())
            written = nbytes_of(n, ty)
            f.write(b"\0" * (pad_to(written) - written))
    os.replace(tmp, path)
    return offset


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default="/work/ext/models")
    ap.add_argument("--types", default="q8_0,q4_0", help="comma list of q8_0, q4_0, f32")
    ap.add_argument("--n-layer", type=int, default=CONFIG["n_layer"], help="fewer layers for a quick smoke file")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cfg = dict(CONFIG, n_layer=args.n_layer)
    types = [t.strip().lower() for t in args.types.split(",") if t.strip()]
    for t in types:
        if t not in GGML_TYPE:
            sys.exit("make-random-model.py: unknown type '%s' (q8_0, q4_0, f32)" % t)
    os.makedirs(args.out_dir, exist_ok=True)
    t0 = time.time()
    vocab = make_vocab(cfg["n_vocab"], args.seed)
    print("vocab: %d tokens, %d merges (%.1f s)" % (len(vocab[0]), len(vocab[2]), time.time() - t0))
    for t in types:
        suffix = "" if cfg["n_layer"] == CONFIG["n_layer"] else "-%dl" % cfg["n_layer"]
        path = os.path.join(args.out_dir, "qwen2.5-0.5b-random-%s%s.gguf" % (t, suffix))
        t1 = time.time()
        data_bytes = write_model(path, cfg, t, vocab, args.seed)
        print("%s: %.1f MB of tensor data, %.1f s" % (path, data_bytes / 1e6, time.time() - t1))


if __name__ == "__main__":
    main()
