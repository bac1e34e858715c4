"""interop_llamacpp.py — checks that GGUF files written by another implementation load and run correctly:
llama.cpp's `llama-quantize --pure` re-quantizes our f32 fixtures (Q8_0, Q4_0, Q4_K with llama.cpp's own
quantizers), this script dequantizes what llama.cpp wrote with the NumPy twin (quants.py), maps it back to
Hugging Face names (undoing the llama Q/K permutation and Gemma's 1 + w), runs the PyTorch reference on those
weights and writes NAME.ref.gguf next to each file. Then:

  SOTTO_PARITY_DIR=OUT build/test-model-parity

compares the engine on llama.cpp's files. llama.cpp is built outside the repository.
Usage: /usr/bin/python3 tools/ref/interop_llamacpp.py LLAMA_QUANTIZE OUT_DIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

import arch as ref
import export
import ggufw
import make_fixtures as mf
import quants

DQ = {ggufw.T_F32: lambda raw, n: np.frombuffer(raw, np.float32, count=n).copy(),
      ggufw.T_F16: lambda raw, n: np.frombuffer(raw, np.float16, count=n).astype(np.float32),
      ggufw.T_Q8_0: quants.dq8_0, ggufw.T_Q4_0: quants.dq4_0, ggufw.T_Q4_K: quants.dq4_k}
QTYPE = {"q8_0": "Q8_0", "q4_0": "Q4_0", "q4_k": "Q4_K_S"}


def unpermute_rows(w, n_head):
    rows, cols = w.shape
    hd = rows // n_head
    return w.reshape(n_head, hd // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def weights_from_gguf(cfg, tensors):
    """The HF-named float64 weights a GGUF file holds (the inverse of export.export's naming)."""
    gemma, perm = cfg["arch"] == "gemma3", cfg["arch"] == "llama"
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]

    def get(name, shift=0.0, heads=0):
        dt, ne, raw = tensors[name]
        n = int(np.prod(ne))
        w = DQ[dt](raw, n).reshape(list(reversed(ne)))
        if heads:
            w = unpermute_rows(w, heads)
        return torch.from_numpy(w.astype(np.float64) - shift)

    one = 1.0 if gemma else 0.0
    W = {"model.embed_tokens.weight": get("token_embd.weight"), "model.norm.weight": get("output_norm.weight", one)}
    if "output.weight" in tensors:
        W["lm_head.weight"] = get("output.weight")
    for i in range(cfg["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        W[p + "input_layernorm.weight"] = get(b + "attn_norm.weight", one)
        W[p + "self_attn.q_proj.weight"] = get(b + "attn_q.weight", heads=nh if perm else 0)
        W[p + "self_attn.k_proj.weight"] = get(b + "attn_k.weight", heads=nkv if perm else 0)
        W[p + "self_attn.v_proj.weight"] = get(b + "attn_v.weight")
        W[p + "self_attn.o_proj.weight"] = get(b + "attn_output.weight")
        for n in "qkv":
            if b + f"attn_{n}.bias" in tensors:
                W[p + f"self_attn.{n}_proj.bias"] = get(b + f"attn_{n}.bias")
        if gemma:
            W[p + "self_attn.q_norm.weight"] = get(b + "attn_q_norm.weight", one)
            W[p + "self_attn.k_norm.weight"] = get(b + "attn_k_norm.weight", one)
            W[p + "post_attention_layernorm.weight"] = get(b + "post_attention_norm.weight", one)
            W[p + "pre_feedforward_layernorm.weight"] = get(b + "ffn_norm.weight", one)
            W[p + "post_feedforward_layernorm.weight"] = get(b + "post_ffw_norm.weight", one)
        else:
            W[p + "post_attention_layernorm.weight"] = get(b + "ffn_norm.weight")
        W[p + "mlp.gate_proj.weight"] = get(b + "ffn_gate.weight")
        W[p + "mlp.up_proj.weight"] = get(b + "ffn_up.weight")
        W[p + "mlp.down_proj.weight"] = get(b + "ffn_down.weight")
    return W


def main():
    quantize, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    cases = {"llama32": ["q8_0", "q4_0"], "qwen25": ["q8_0", "q4_0"], "gemma3": ["q8_0", "q4_0"],
             "qwen25-k": ["q4_k", "q8_0"]}
    for k, (name, cfg) in enumerate(mf.CONFIGS.items()):
        if name not in cases:
            continue
        W = mf.random_weights(cfg, 1000 + k)
        tokens = np.random.RandomState(k).randint(0, cfg["vocab_size"], size=mf.SEQ).tolist()
        src = os.path.join(out, f"{name}-f32-src.gguf")
        export.export(dict(cfg, name=name), W, "f32", src)
        for t in cases[name]:
            dst = os.path.join(out, f"{name}-llamacpp-{t}.gguf")
            subprocess.run([quantize, "--pure", src, dst, QTYPE[t]], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            _, tensors = ggufw.read(dst)
            with torch.no_grad():
                logits = ref.forward(cfg, weights_from_gguf(cfg, tensors), tokens)
            mf.write_ref(dst[:-5] + ".ref.gguf", tokens, logits)
            types = sorted({dt for dt, _, _ in tensors.values()})
            print(f"{os.path.basename(dst)}: tensor types {types}, logits std {logits.std().item():.3f}")
        os.remove(src)


if __name__ == "__main__":
    main()
