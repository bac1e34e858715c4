"""model.py — a training-friendly torch module (any float dtype, batched [B, T]) with the same math as the
reference decoders of tools/ref/arch.py (llama, qwen2 with QKV bias, gemma3), plus LoRA adapters.

Parameter names are the Hugging Face ones (state_dict() keys equal arch.py's weight-dict keys), so a state
dict goes straight to arch.forward and to tools/ref/export.py. Checked by tools/train/test_model.py: logits
equal arch.forward's on the same weights (float64, tolerance 1e-9 relative).

LoRA: LoraLinear wraps a frozen nn.Linear [out, in] with A [r, in] (random), B [out, r] (zeros) and scale
alpha / r: y = x W^T + b + scale * (x A^T) B^T; merge() folds scale * B A into W.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
import arch as ref  # noqa: E402

# Fused attention where this torch has it with a scale argument (2.1 and later; Debian 12's 1.13 has not):
# SOTTO_EAGER_ATTENTION=1 turns it off. test_train.py's parity tests check whichever path this torch takes.
_SDPA = (hasattr(F, "scaled_dot_product_attention") and tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 1)
         and os.environ.get("SOTTO_EAGER_ATTENTION") != "1")

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class RmsNorm(nn.Module):
    def __init__(self, n, eps, gemma):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n) if gemma else torch.ones(n))
        self.eps, self.gemma = eps, gemma

    def forward(self, x):
        y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return y * (1.0 + self.weight) if self.gemma else y * self.weight


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, nh, nkv, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        bias = cfg["arch"] == "qwen2"
        self.q_proj = nn.Linear(h, nh * hd, bias=bias)
        self.k_proj = nn.Linear(h, nkv * hd, bias=bias)
        self.v_proj = nn.Linear(h, nkv * hd, bias=bias)
        self.o_proj = nn.Linear(nh * hd, h, bias=False)
        if cfg["arch"] == "gemma3":
            self.q_norm = RmsNorm(hd, cfg["rms_norm_eps"], True)
            self.k_norm = RmsNorm(hd, cfg["rms_norm_eps"], True)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, f = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(h, f, bias=False)
        self.up_proj = nn.Linear(h, f, bias=False)
        self.down_proj = nn.Linear(f, h, bias=False)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        g, eps, h = cfg["arch"] == "gemma3", cfg["rms_norm_eps"], cfg["hidden_size"]
        self.self_attn, self.mlp = Attention(cfg), Mlp(cfg)
        self.input_layernorm = RmsNorm(h, eps, g)
        self.post_attention_layernorm = RmsNorm(h, eps, g)
        if g:
            self.pre_feedforward_layernorm = RmsNorm(h, eps, g)
            self.post_feedforward_layernorm = RmsNorm(h, eps, g)


class Inner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"], cfg["arch"] == "gemma3")


def _rope(x, cos, sin):
    # x: [B, H, T, hd]; cos, sin: [T, n_rot]; rotate_half over the first n_rot dims
    n_rot = cos.shape[-1]
    xr, xp = x[..., :n_rot], x[..., n_rot:]
    h = n_rot // 2
    rot = torch.cat([-xr[..., h:], xr[..., :h]], -1)
    return torch.cat([xr * cos + rot * sin, xp], -1)


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        if not cfg.get("tie", True):
            self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        self.apply(self._init)

    def _init(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    def _cos_sin(self, T, base, sliding, dtype, dev):
        cfg = self.cfg
        freqs = ref.inv_freq(cfg, base).to(dev)  # float64 [n_rot / 2]
        lin = 1.0 if (sliding or not cfg.get("rope_linear")) else cfg["rope_linear"]
        ang = (torch.arange(T, device=dev, dtype=torch.float64)[:, None] / lin) * freqs[None, :]
        ang = torch.cat([ang, ang], -1)  # [T, n_rot]
        return ang.cos().to(dtype), ang.sin().to(dtype)

    def forward(self, tokens):
        """tokens: [B, T] int64 -> logits [B, T, vocab]."""
        cfg = self.cfg
        gemma = cfg["arch"] == "gemma3"
        nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        B, T = tokens.shape
        x = self.model.embed_tokens(tokens)  # [B, T, h]
        dev, dt = x.device, x.dtype
        if gemma:
            x = x * math.sqrt(cfg["hidden_size"])
        scale = cfg.get("query_pre_attn_scalar", hd) ** -0.5
        pos = torch.arange(T, device=dev)
        causal = pos[None, :] > pos[:, None]  # [T, T] True = masked
        rope_cache = {}
        for i, L in enumerate(self.model.layers):
            sliding = gemma and (i + 1) % cfg["sliding_window_pattern"] != 0
            base = cfg["rope_local_base_freq"] if sliding else cfg["rope_theta"]
            if sliding not in rope_cache:
                rope_cache[sliding] = self._cos_sin(T, base, sliding, dt, dev)
            cos, sin = rope_cache[sliding]
            a = L.self_attn
            h = L.input_layernorm(x)
            q = a.q_proj(h).view(B, T, nh, hd)
            k = a.k_proj(h).view(B, T, nkv, hd)
            v = a.v_proj(h).view(B, T, nkv, hd)
            if gemma:
                q, k = a.q_norm(q), a.k_norm(k)
            q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, T, hd]
            q, k = _rope(q, cos, sin), _rope(k, cos, sin)
            rep = nh // nkv
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
            if _SDPA and not sliding:
                # torch >= 2.1 (the GPU machine): the fused causal kernel, without the [B, H, T, T] scores in memory.
                o = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
            else:
                s = (q @ k.transpose(-1, -2)) * scale  # [B, H, T, T]
                mask = causal
                if sliding:
                    mask = mask | (pos[:, None] - pos[None, :] >= cfg["sliding_window"])
                s = s.masked_fill(mask, float("-inf"))
                o = torch.softmax(s, -1) @ v
            o = o.transpose(1, 2).reshape(B, T, nh * hd)
            o = a.o_proj(o)
            if gemma:
                x = x + L.post_attention_layernorm(o)
                h = L.pre_feedforward_layernorm(x)
            else:
                x = x + o
                h = L.post_attention_layernorm(x)
            m = L.mlp
            g = m.gate_proj(h)
            act = F.gelu(g, approximate="tanh") if gemma else F.silu(g)
            f = m.down_proj(act * m.up_proj(h))
            if gemma:
                f = L.post_feedforward_layernorm(f)
            x = x + f
        x = self.model.norm(x)
        head = self.lm_head.weight if hasattr(self, "lm_head") else self.model.embed_tokens.weight
        return x @ head.T

    def weights(self):
        """HF-named dict of detached tensors (LoRA merged first if present), as arch.py / export.py take them."""
        return {k: v.detach().clone() for k, v in self.state_dict().items()}


def from_weights(cfg, W, dtype=torch.float32):
    """A Decoder holding the HF-named weight dict W (e.g. a checkpoint or arch.py fixture weights)."""
    m = Decoder(dict(cfg, tie="lm_head.weight" not in W)).to(dtype)
    missing, unexpected = m.load_state_dict({k: v.to(dtype) for k, v in W.items()}, strict=False)
    if missing or unexpected:
        raise ValueError(f"weights do not match the config: missing {missing[:4]}, unexpected {unexpected[:4]}")
    return m


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, rank, alpha):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features, dtype=base.weight.dtype) / math.sqrt(base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank, dtype=base.weight.dtype))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + ((x @ self.lora_a.T) @ self.lora_b.T) * self.scale

    def merged(self):
        with torch.no_grad():
            self.base.weight += self.scale * (self.lora_b @ self.lora_a)
        return self.base


def add_lora(model, rank=8, alpha=16.0, targets=LORA_TARGETS):
    """Freezes every base parameter and wraps the target projections; returns the adapter parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    params = []
    for L in model.model.layers:
        for parent in (L.self_attn, L.mlp):
            for name in targets:
                lin = getattr(parent, name, None)
                if isinstance(lin, nn.Linear):
                    w = LoraLinear(lin, rank, alpha)
                    setattr(parent, name, w)
                    params += [w.lora_a, w.lora_b]
    return params


def merge_lora(model):
    """Folds every adapter into its base weight and removes the wrappers (state dict back to HF names)."""
    for L in model.model.layers:
        for parent in (L.self_attn, L.mlp):
            for name in LORA_TARGETS:
                lin = getattr(parent, name, None)
                if isinstance(lin, LoraLinear):
                    setattr(parent, name, lin.merged())
    return model
