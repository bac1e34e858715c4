"""make_real.py — the parity fixtures at the real model shapes (random weights): Llama-3.2-1B, Qwen2.5-0.5B,
SmolLM2-135M and Gemma-3-270M, for a machine with the memory and time for them (the GPU machine).
Writes OUT/NAME-TYPE.gguf and OUT/NAME-TYPE.ref.gguf in the same format as make_fixtures.py, so
`test-model-parity` style checks (or `sotto` itself) can compare against them.

Usage: /usr/bin/python3 tools/ref/make_real.py OUT_DIR [names...] [--types f32,q8_0] [--seq 32] [--device cuda]
"""
import argparse
import os

import numpy as np
import torch

import arch as ref
import export
import make_fixtures as mf

REAL = {
    "llama32-1b": dict(arch="llama", hidden_size=2048, intermediate_size=8192, num_attention_heads=32,
                       num_key_value_heads=8, head_dim=64, num_hidden_layers=16, vocab_size=128256,
                       rms_norm_eps=1e-5, rope_theta=500000.0, max_position_embeddings=131072, tie=True,
                       rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                         original_max_position_embeddings=8192)),
    "qwen25-0.5b": dict(arch="qwen2", hidden_size=896, intermediate_size=4864, num_attention_heads=14,
                        num_key_value_heads=2, head_dim=64, num_hidden_layers=24, vocab_size=151936,
                        rms_norm_eps=1e-6, rope_theta=1000000.0, max_position_embeddings=32768, tie=True, bias=True),
    "smollm2-135m": dict(arch="llama", family="smollm2", hidden_size=576, intermediate_size=1536,
                         num_attention_heads=9, num_key_value_heads=3, head_dim=64, num_hidden_layers=30,
                         vocab_size=49152, rms_norm_eps=1e-5, rope_theta=100000.0, max_position_embeddings=8192,
                         tie=True),
    "gemma3-270m": dict(arch="gemma3", hidden_size=640, intermediate_size=2048, num_attention_heads=4,
                        num_key_value_heads=1, head_dim=256, query_pre_attn_scalar=256, num_hidden_layers=18,
                        vocab_size=262144, rms_norm_eps=1e-6, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                        sliding_window=512, sliding_window_pattern=6, max_position_embeddings=32768, tie=True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("names", nargs="*", default=list(REAL))
    ap.add_argument("--types", default="f32")
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for k, name in enumerate(a.names):
        cfg = dict(REAL[name], name=name)
        W = mf.random_weights(cfg, 2000 + k)
        tokens = np.random.RandomState(k).randint(0, cfg["vocab_size"], size=a.seq).tolist()
        for t in a.types.split(","):
            # The fixture tokenizer is a byte vocabulary; real-size files carry none (vocab_size is the real one).
            stored = export.export(dict(cfg, no_tokenizer=True), W, t, os.path.join(a.out, f"{name}-{t}.gguf"))
            with torch.no_grad():
                logits = ref.forward(cfg, {n: w.to(a.device) for n, w in stored.items()}, tokens).cpu()
            mf.write_ref(os.path.join(a.out, f"{name}-{t}.ref.gguf"), tokens, logits)
            print(f"{name}-{t}: logits std {logits.std().item():.4f}", flush=True)


if __name__ == "__main__":
    main()
