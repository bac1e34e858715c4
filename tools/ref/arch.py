"""arch.py — PyTorch reference decoders (float64), written from the published model definitions:
Llama (Llama 3.2 with "llama3" RoPE scaling; SmolLM2 uses the same architecture), Qwen2 (QKV bias) and
Gemma 3 text (QK-norm, (1 + w) RMSNorm weights, pre and post norms, GELU-tanh gated FFN, embedding scaled by
sqrt(hidden), 5 sliding-window layers per global layer with their own RoPE base).

Weights live in a plain dict with Hugging Face parameter names (model.layers.N.self_attn.q_proj.weight, ...),
so the same dict can come from a real checkpoint. RoPE uses the Hugging Face rotate_half layout.
"""
import math

import torch
import torch.nn.functional as F


def rms_norm(x, w, eps, gemma=False):
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * (1.0 + w) if gemma else y * w


def inv_freq(cfg, base):
    hd = cfg["head_dim"]
    n_rot = int(hd * cfg.get("partial_rotary_factor", 1.0))
    f = 1.0 / (base ** (torch.arange(0, n_rot, 2, dtype=torch.float64) / n_rot))  # on the CPU; moved by rope()
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type") == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        out = []
        for fr in f.tolist():
            wl = 2 * math.pi / fr
            if wl < hi_wl:
                out.append(fr)
            elif wl > lo_wl:
                out.append(fr / factor)
            else:
                s = (old / wl - lo) / (hi - lo)
                out.append((1 - s) * fr / factor + s * fr)
        f = torch.tensor(out, dtype=torch.float64)
    if cfg.get("rope_freq_factors") is not None:  # divisors as a GGUF stores them (rope_freqs.weight)
        f = f / torch.tensor(cfg["rope_freq_factors"], dtype=torch.float64)
    return f


def llama3_rope_factors(cfg):
    """The per-frequency divisors stored in GGUF as rope_freqs.weight: original / scaled frequency."""
    return (inv_freq(dict(cfg, rope_scaling=None), cfg["rope_theta"]) / inv_freq(cfg, cfg["rope_theta"])).float()


def rope(x, pos, freqs, linear=1.0):
    # x: [T, H, hd]; rotate_half over the first n_rot dims
    n_rot = 2 * freqs.shape[0]
    ang = (pos[:, None].double() / linear) * freqs.to(pos.device)[None, :]  # [T, n_rot/2]
    cos = torch.cat([ang.cos(), ang.cos()], -1)[:, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], -1)[:, None, :]
    xr, xp = x[..., :n_rot], x[..., n_rot:]
    h = n_rot // 2
    rot = torch.cat([-xr[..., h:], xr[..., :h]], -1)
    return torch.cat([xr * cos + rot * sin, xp], -1)


def forward(cfg, W, tokens, embeds=None, hidden=False):
    """Logits [T, vocab] for a token sequence from position 0 (float64). embeds: optional [T, hidden] input rows
    used instead of the token embeddings (a vision-language model's prompt with the image features scattered in;
    not scaled by Gemma's sqrt(hidden), which applies to token embeddings only). hidden: return the final-normed
    hidden states [T, hidden_size] instead (what an embedding model such as Qwen3-Embedding pools)."""
    arch = cfg["arch"]
    gemma = arch == "gemma3"
    eps = cfg["rms_norm_eps"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    T = len(tokens)
    dev = W["model.embed_tokens.weight"].device
    pos = torch.arange(T, device=dev)
    x = W["model.embed_tokens.weight"][torch.tensor(tokens, device=dev)]
    if gemma:
        x = x * math.sqrt(cfg["hidden_size"])
    if embeds is not None:
        x = embeds.to(x)
    scale = cfg.get("query_pre_attn_scalar", hd) ** -0.5
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sliding = gemma and (i + 1) % cfg["sliding_window_pattern"] != 0
        base = cfg["rope_local_base_freq"] if sliding else cfg["rope_theta"]
        freqs = inv_freq(cfg, base)
        lin = 1.0 if (sliding or not cfg.get("rope_linear")) else cfg["rope_linear"]

        h = rms_norm(x, W[p + "input_layernorm.weight"], eps, gemma)

        def proj(name):
            y = h @ W[p + f"self_attn.{name}.weight"].T
            b = W.get(p + f"self_attn.{name}.bias")
            return y + b if b is not None else y

        q = proj("q_proj").view(T, nh, hd)
        k = proj("k_proj").view(T, nkv, hd)
        v = proj("v_proj").view(T, nkv, hd)
        if gemma or arch == "qwen3":  # per-head RMSNorm of q and k before RoPE (Gemma: 1 + w)
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps, gemma)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps, gemma)
        q, k = rope(q, pos, freqs, lin), rope(k, pos, freqs, lin)
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) * scale
        mask = pos[None, :] > pos[:, None]
        if sliding:
            mask = mask | (pos[:, None] - pos[None, :] >= cfg["sliding_window"])
        s = s.masked_fill(mask[None], float("-inf"))
        a = torch.einsum("hts,shd->thd", torch.softmax(s, -1), v).reshape(T, nh * hd)
        a = a @ W[p + "self_attn.o_proj.weight"].T
        if gemma:
            a = rms_norm(a, W[p + "post_attention_layernorm.weight"], eps, True)
            x = x + a
            h = rms_norm(x, W[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            x = x + a
            h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = h @ W[p + "mlp.gate_proj.weight"].T
        u = h @ W[p + "mlp.up_proj.weight"].T
        act = F.gelu(g, approximate="tanh") if gemma else F.silu(g)
        f = (act * u) @ W[p + "mlp.down_proj.weight"].T
        if gemma:
            f = rms_norm(f, W[p + "post_feedforward_layernorm.weight"], eps, True)
        x = x + f
    x = rms_norm(x, W["model.norm.weight"], eps, gemma)
    if hidden:
        return x
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return x @ head.T
