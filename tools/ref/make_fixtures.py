"""make_fixtures.py — tiny random-weight models of every supported architecture, as GGUF files in every
weight type, with reference logits computed by the PyTorch reference (arch.py) on exactly the stored
(dequantized) weights. The C++ parity test (tests/test-model-parity.cpp) loads both and compares.

Usage: /usr/bin/python3 tools/ref/make_fixtures.py [out_dir]   (default tests/fixtures/models)
Output per model NAME and type T: NAME-T.gguf (the model) and NAME-T.ref.gguf (tensors `tokens` I32 [n_tok]
and `logits` F32 [n_vocab, n_tok], logits of every position).
"""
import os
import sys

import numpy as np
import torch

import arch as ref
import export
import ggufw

SEQ = 24

BASE = dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
            rms_norm_eps=1e-5, rope_theta=10000.0, vocab_size=264, max_position_embeddings=256)

CONFIGS = {
    # Llama 3.2 shape in miniature, with llama3 RoPE scaling active in all three of its regimes.
    "llama32": dict(BASE, arch="llama", num_hidden_layers=2, tie=False, rope_theta=10000.0,
                    rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                      original_max_position_embeddings=64)),
    # SmolLM2: llama architecture, no scaling, 1 KV head, tied.
    "smollm2": dict(BASE, arch="llama", family="smollm2", num_hidden_layers=2, num_key_value_heads=1, tie=True,
                    rope_theta=100000.0),
    # Qwen2.5: QKV bias, tied, neox RoPE (llama32 above has a separate output.weight).
    "qwen25": dict(BASE, arch="qwen2", num_hidden_layers=2, tie=True, bias=True, rope_theta=1000000.0,
                   rms_norm_eps=1e-6),
    # Gemma 3: 7 layers (layer 5 global), window 4 < SEQ, q_dim (128) != hidden (64) as in the real 270M.
    "gemma3": dict(BASE, arch="gemma3", num_hidden_layers=7, num_attention_heads=4, num_key_value_heads=1,
                   head_dim=32, query_pre_attn_scalar=32, vocab_size=262, tie=True, rope_theta=1000000.0,
                   rope_local_base_freq=10000.0, sliding_window=4, sliding_window_pattern=6, rms_norm_eps=1e-6),
    # Q4_K needs rows that are multiples of 256.
    "qwen25-k": dict(BASE, arch="qwen2", hidden_size=256, intermediate_size=256, num_attention_heads=4,
                     num_key_value_heads=2, head_dim=64, num_hidden_layers=2, tie=True, bias=True,
                     rope_theta=1000000.0, rms_norm_eps=1e-6),
}
TYPES = {"llama32": ["f32", "f16", "bf16", "q8_0", "q4_0"], "smollm2": ["f32", "q8_0"],
         "qwen25": ["f32", "f16", "q8_0", "q4_0"], "gemma3": ["f32", "bf16", "q8_0", "q4_0"],
         "qwen25-k": ["q4_k", "q8_0"]}


def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    e, ff, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    gemma = cfg["arch"] == "gemma3"

    def lin(o, i):
        return torch.randn(o, i, generator=g, dtype=torch.float64) / i ** 0.5

    def norm(n):  # Gemma weights are offsets from 1
        return torch.randn(n, generator=g, dtype=torch.float64) * 0.1 + (0.0 if gemma else 1.0)

    W = {"model.embed_tokens.weight": torch.randn(V, e, generator=g, dtype=torch.float64) * (e ** -0.5 if gemma else 1.0),
         "model.norm.weight": norm(e)}
    if not cfg.get("tie"):
        W["lm_head.weight"] = lin(V, e)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        W[p + "input_layernorm.weight"] = norm(e)
        W[p + "self_attn.q_proj.weight"] = lin(nh * hd, e)
        W[p + "self_attn.k_proj.weight"] = lin(nkv * hd, e)
        W[p + "self_attn.v_proj.weight"] = lin(nkv * hd, e)
        W[p + "self_attn.o_proj.weight"] = lin(e, nh * hd)
        if cfg.get("bias"):
            for n, d in (("q", nh * hd), ("k", nkv * hd), ("v", nkv * hd)):
                W[p + f"self_attn.{n}_proj.bias"] = torch.randn(d, generator=g, dtype=torch.float64) * 0.5
        W[p + "post_attention_layernorm.weight"] = norm(e)
        if gemma:
            W[p + "self_attn.q_norm.weight"] = norm(hd)
            W[p + "self_attn.k_norm.weight"] = norm(hd)
            W[p + "pre_feedforward_layernorm.weight"] = norm(e)
            W[p + "post_feedforward_layernorm.weight"] = norm(e)
        W[p + "mlp.gate_proj.weight"] = lin(ff, e)
        W[p + "mlp.up_proj.weight"] = lin(ff, e)
        W[p + "mlp.down_proj.weight"] = lin(e, ff)
    return W


def write_ref(path, tokens, logits):
    g = ggufw.Writer()
    g.string("general.type", "sotto.reference")
    g.tensor("tokens", ggufw.T_I32, [len(tokens)], np.asarray(tokens, np.int32).tobytes())
    lg = logits.float().numpy().astype(np.float32)
    g.tensor("logits", ggufw.T_F32, [lg.shape[1], lg.shape[0]], lg.tobytes())
    g.write(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/models")
    os.makedirs(out, exist_ok=True)
    for k, (name, cfg) in enumerate(CONFIGS.items()):
        W = random_weights(cfg, 1000 + k)
        rng = np.random.RandomState(k)
        tokens = rng.randint(0, cfg["vocab_size"], size=SEQ).tolist()
        for t in TYPES[name]:
            stored = export.export(dict(cfg, name=name), W, t, os.path.join(out, f"{name}-{t}.gguf"))
            with torch.no_grad():
                logits = ref.forward(cfg, stored, tokens)
            write_ref(os.path.join(out, f"{name}-{t}.ref.gguf"), tokens, logits)
            print(f"{name}-{t}: logits std {logits.std().item():.3f}")


if __name__ == "__main__":
    main()
