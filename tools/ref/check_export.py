"""check_export.py — checks the committed model fixtures against Hugging Face conventions, independently of
export.py's own code paths: regenerates the seeded HF-named weights (make_fixtures.random_weights) and reads
the GGUF files back with ggufw.read.

Checks: (1) llama: un-permuting attn_q/attn_k gives the HF rows, and adjacent-pair RoPE applied to the
permuted projection equals HF rotate_half RoPE on the original one (so the permutation is the right one, not
merely invertible); (2) tied models have no output.weight, untied ones hold lm_head; (3) Gemma norms are
stored as 1 + w; (4) rope_freqs.weight equals the llama3 scaling factors recomputed here from the config;
(5) the reference logits file has tokens I32 [n_tok] and logits F32 [n_vocab, n_tok].
Run: /usr/bin/python3 tools/ref/check_export.py   (exits non-zero on the first failure)
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ggufw  # noqa: E402
import make_fixtures as mf  # noqa: E402

DIR = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "models")


def f32(t):
    dt, ne, raw = t
    assert dt == ggufw.T_F32, dt
    return np.frombuffer(raw, np.float32).reshape(list(reversed(ne)))


def rope_pairs(x, pos, theta):  # adjacent pairs (2i, 2i+1), as the engine does for arch llama
    d = x.shape[-1]
    inv = theta ** (-np.arange(0, d, 2) / d)
    c, s = np.cos(pos * inv), np.sin(pos * inv)
    y = x.copy()
    y[..., 0::2] = x[..., 0::2] * c - x[..., 1::2] * s
    y[..., 1::2] = x[..., 0::2] * s + x[..., 1::2] * c
    return y


def rope_half(x, pos, theta):  # HF rotate_half
    d = x.shape[-1]
    inv = theta ** (-np.arange(0, d, 2) / d)
    c, s = np.cos(pos * np.concatenate([inv, inv])), np.sin(pos * np.concatenate([inv, inv]))
    rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], axis=-1)
    return x * c + rot * s


def llama3_factors(cfg):  # from the published llama3 rope_scaling definition
    rs, d = cfg["rope_scaling"], cfg["head_dim"]
    lo_wl = rs["original_max_position_embeddings"] / rs["low_freq_factor"]
    hi_wl = rs["original_max_position_embeddings"] / rs["high_freq_factor"]
    out = []
    for i in range(0, d, 2):
        wl = 2 * math.pi * cfg["rope_theta"] ** (i / d)
        if wl < hi_wl:
            out.append(1.0)
        elif wl > lo_wl:
            out.append(rs["factor"])
        else:
            sm = (rs["original_max_position_embeddings"] / wl - rs["low_freq_factor"]) / (
                rs["high_freq_factor"] - rs["low_freq_factor"])
            out.append(1.0 / ((1 - sm) / rs["factor"] + sm))
    return np.array(out)


def main():
    for k, (name, cfg) in enumerate(mf.CONFIGS.items()):
        W = {n: w.float().numpy() for n, w in mf.random_weights(cfg, 1000 + k).items()}
        kv, T = ggufw.read(os.path.join(DIR, f"{name}-f32.gguf")) if "f32" in mf.TYPES[name] else \
            ggufw.read(os.path.join(DIR, f"{name}-{mf.TYPES[name][0]}.gguf"))
        a = cfg["arch"]
        assert kv["general.architecture"] == a
        assert kv[f"{a}.block_count"] == cfg["num_hidden_layers"]
        assert ("output.weight" in T) == (not cfg.get("tie")), name
        if "f32" not in mf.TYPES[name]:
            print(f"{name}: metadata and tying ok (no f32 file; weights not compared)")
            continue
        if not cfg.get("tie"):
            assert np.array_equal(f32(T["output.weight"]), W["lm_head.weight"])
        hd, nh = cfg["head_dim"], cfg["num_attention_heads"]
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}.self_attn."
            q_file, q_hf = f32(T[f"blk.{i}.attn_q.weight"]), W[p + "q_proj.weight"]
            if a == "llama":
                un = q_file.reshape(nh, hd // 2, 2, -1).transpose(0, 2, 1, 3).reshape(q_file.shape)
                assert np.array_equal(un, q_hf), f"{name} blk.{i}.attn_q un-permute"
                x = np.random.default_rng(i).standard_normal(q_hf.shape[1])
                for pos in (0, 3, 17):
                    a_pairs = rope_pairs((q_file @ x).reshape(nh, hd), pos, cfg["rope_theta"])
                    a_half = rope_half((q_hf @ x).reshape(nh, hd), pos, cfg["rope_theta"])
                    # same dot products between any two heads' vectors <=> same attention scores
                    assert np.allclose(a_pairs @ a_pairs.T, a_half @ a_half.T, atol=1e-9)
                    un_a = a_pairs.reshape(nh, hd // 2, 2).transpose(0, 2, 1).reshape(nh, hd)
                    assert np.allclose(un_a, a_half, atol=1e-9), f"{name}: permuted RoPE != rotate_half"
            else:
                assert np.array_equal(q_file, q_hf), f"{name} blk.{i}.attn_q should not be permuted"
            if a == "gemma3":
                got = f32(T[f"blk.{i}.attn_q_norm.weight"])
                assert np.allclose(got, W[p + "q_norm.weight"] + 1.0, atol=1e-6), f"{name}: gemma norm not 1+w"
                got = f32(T[f"blk.{i}.ffn_norm.weight"])
                want = W[f"model.layers.{i}.pre_feedforward_layernorm.weight"] + 1.0
                assert np.allclose(got, want, atol=1e-6), f"{name}: ffn_norm must be the pre-FFN norm"
        if cfg.get("rope_scaling"):
            got = f32(T["rope_freqs.weight"])
            want = llama3_factors(cfg)
            assert np.allclose(got, want, rtol=1e-6), (got, want)
            assert (want == 1).any() and (want == cfg["rope_scaling"]["factor"]).any() and \
                ((want > 1) & (want < cfg["rope_scaling"]["factor"])).any(), "not all three llama3 regimes"
        kvr, R = ggufw.read(os.path.join(DIR, f"{name}-f32.ref.gguf"))
        assert R["tokens"][0] == ggufw.T_I32 and R["logits"][1] == [cfg["vocab_size"], mf.SEQ]
        print(f"{name}: conventions ok")
    print("all export checks passed")


if __name__ == "__main__":
    main()
