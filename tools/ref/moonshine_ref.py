"""moonshine_ref.py — an independent float64 PyTorch reference of Moonshine (UsefulSensors, arXiv 2410.15608), written
from the published architecture description and the Hugging Face MoonshineConfig field names (no transformers needed).

Weights are a dict of float64 tensors under Hugging Face names (model.encoder.*, model.decoder.*, proj_out.weight).
cfg keys (HF MoonshineConfig names): hidden_size, intermediate_size, encoder_num_hidden_layers,
decoder_num_hidden_layers, encoder_num_attention_heads, decoder_num_attention_heads, partial_rotary_factor,
rope_theta, vocab_size, tie_word_embeddings.

Architecture (all LayerNorms have no bias, eps 1e-5):
  stem:    conv1d(1->E, k127, s64, no bias) -> tanh -> GroupNorm(1 group, E, affine) -> conv1d(E->2E, k7, s3) -> gelu
           -> conv1d(2E->E, k3, s2) -> gelu                        (gelu = exact erf form)
  encoder: per layer x += attn(ln(x)) [no mask, RoPE]; x += fc2(gelu(fc1(ln(x)))); then a final ln
  decoder: embed; per layer x += self_attn(ln(x)) [causal, RoPE]; x += cross_attn(ln(x), enc) [no RoPE];
           x += fc2(silu(gate) * up) with (up, gate) = chunk(fc1(ln(x)), 2); final ln; logits = x E^T (tied)
  RoPE:    partial: the first rot = int(head_dim * partial_rotary_factor) dims of each head, rotated in adjacent
           pairs (2i, 2i+1) with inv_freq_i = theta^(-2i/rot); positions 0.. for the encoder frames and tokens.
  attention scale 1/sqrt(head_dim); no projection biases (attention_bias=False); MLP linears have biases.
"""
import math

import torch
import torch.nn.functional as F


def ln(x, w):
    return F.layer_norm(x, (x.shape[-1],), w, None, 1e-5)


def rope(x, pos, rot, theta):
    """x: [T, H, D]; rotates dims [0, rot) in adjacent pairs."""
    inv = theta ** (-torch.arange(0, rot, 2, dtype=torch.float64) / rot)
    ang = pos.to(torch.float64)[:, None] * inv[None, :]  # [T, rot/2]
    c, s = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    a, b = x[..., 0:rot:2], x[..., 1:rot:2]
    out = x.clone()
    out[..., 0:rot:2] = a * c - b * s
    out[..., 1:rot:2] = a * s + b * c
    return out


def attention(W, p, h, kv, n_head, causal, rot=0, theta=10000.0):
    T, E = h.shape
    S = kv.shape[0]
    hd = E // n_head
    q = (h @ W[p + "q_proj.weight"].T).view(T, n_head, hd)
    k = (kv @ W[p + "k_proj.weight"].T).view(S, n_head, hd)
    v = (kv @ W[p + "v_proj.weight"].T).view(S, n_head, hd)
    if rot:
        q = rope(q, torch.arange(T), rot, theta)
        k = rope(k, torch.arange(S), rot, theta)
    sc = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
    if causal:
        mask = torch.triu(torch.ones(T, S, dtype=torch.bool), diagonal=1)
        sc = sc.masked_fill(mask, float("-inf"))
    a = torch.einsum("hts,shd->thd", torch.softmax(sc, dim=-1), v).reshape(T, E)
    return a @ W[p + "o_proj.weight"].T


def rot_dims(cfg, n_head):
    hd = cfg["hidden_size"] // n_head
    return int(hd * cfg.get("partial_rotary_factor", 0.9))


def encode(cfg, W, audio):
    """audio: float64 [n_samples] at 16 kHz -> [n_frames, E]."""
    p = "model.encoder."
    x = audio.view(1, 1, -1)
    x = torch.tanh(F.conv1d(x, W[p + "conv1.weight"], None, stride=64))
    x = F.group_norm(x, 1, W[p + "groupnorm.weight"], W[p + "groupnorm.bias"], 1e-5)
    x = F.gelu(F.conv1d(x, W[p + "conv2.weight"], W[p + "conv2.bias"], stride=3))
    x = F.gelu(F.conv1d(x, W[p + "conv3.weight"], W[p + "conv3.bias"], stride=2))
    x = x[0].T.contiguous()
    nh = cfg["encoder_num_attention_heads"]
    rot = rot_dims(cfg, nh)
    for i in range(cfg["encoder_num_hidden_layers"]):
        q = f"{p}layers.{i}."
        h = ln(x, W[q + "input_layernorm.weight"])
        x = x + attention(W, q + "self_attn.", h, h, nh, False, rot, cfg["rope_theta"])
        h = ln(x, W[q + "post_attention_layernorm.weight"])
        h = F.gelu(h @ W[q + "mlp.fc1.weight"].T + W[q + "mlp.fc1.bias"])
        x = x + h @ W[q + "mlp.fc2.weight"].T + W[q + "mlp.fc2.bias"]
    return ln(x, W[p + "layer_norm.weight"])


def decode(cfg, W, enc, tokens):
    """Logits [n_tokens, vocab] of a whole token sequence (teacher forcing) given encoder output enc."""
    p = "model.decoder."
    x = W[p + "embed_tokens.weight"][torch.tensor(tokens)]
    nh = cfg["decoder_num_attention_heads"]
    rot = rot_dims(cfg, nh)
    I = cfg["intermediate_size"]
    for i in range(cfg["decoder_num_hidden_layers"]):
        q = f"{p}layers.{i}."
        h = ln(x, W[q + "input_layernorm.weight"])
        x = x + attention(W, q + "self_attn.", h, h, nh, True, rot, cfg["rope_theta"])
        h = ln(x, W[q + "post_attention_layernorm.weight"])
        x = x + attention(W, q + "encoder_attn.", h, enc, nh, False)
        h = ln(x, W[q + "final_layernorm.weight"])
        f = h @ W[q + "mlp.fc1.weight"].T + W[q + "mlp.fc1.bias"]
        up, gate = f[:, :I], f[:, I:]
        x = x + (F.silu(gate) * up) @ W[q + "mlp.fc2.weight"].T + W[q + "mlp.fc2.bias"]
    x = ln(x, W[p + "norm.weight"])
    out = W.get("proj_out.weight") if not cfg.get("tie_word_embeddings", True) else None
    return x @ (out if out is not None else W[p + "embed_tokens.weight"]).T


def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    E, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]

    def r(*shape, s=None):
        fan = shape[-1] if s is None else s
        return torch.randn(*shape, generator=g, dtype=torch.float64) / math.sqrt(fan)

    def norm(n):
        return 1.0 + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)

    def bias(n):
        return 0.1 * torch.randn(n, generator=g, dtype=torch.float64)

    W = {}
    p = "model.encoder."
    W[p + "conv1.weight"] = r(E, 1, 127, s=127) * 8.0  # audio is ~0.1 rms: keep tanh off saturation, not linear
    W[p + "groupnorm.weight"] = norm(E)
    W[p + "groupnorm.bias"] = bias(E)
    W[p + "conv2.weight"] = r(2 * E, E, 7, s=7 * E)
    W[p + "conv2.bias"] = bias(2 * E)
    W[p + "conv3.weight"] = r(E, 2 * E, 3, s=6 * E)
    W[p + "conv3.bias"] = bias(E)
    W[p + "layer_norm.weight"] = norm(E)

    def attn(q):
        for n in "qkvo":
            W[q + f"{n}_proj.weight"] = r(E, E)

    for i in range(cfg["encoder_num_hidden_layers"]):
        q = f"{p}layers.{i}."
        W[q + "input_layernorm.weight"] = norm(E)
        W[q + "post_attention_layernorm.weight"] = norm(E)
        attn(q + "self_attn.")
        W[q + "mlp.fc1.weight"], W[q + "mlp.fc1.bias"] = r(I, E), bias(I)
        W[q + "mlp.fc2.weight"], W[q + "mlp.fc2.bias"] = r(E, I), bias(E)
    p = "model.decoder."
    W[p + "embed_tokens.weight"] = torch.randn(V, E, generator=g, dtype=torch.float64)
    W[p + "norm.weight"] = norm(E)
    for i in range(cfg["decoder_num_hidden_layers"]):
        q = f"{p}layers.{i}."
        for n in ("input_layernorm", "post_attention_layernorm", "final_layernorm"):
            W[q + n + ".weight"] = norm(E)
        attn(q + "self_attn.")
        attn(q + "encoder_attn.")
        W[q + "mlp.fc1.weight"], W[q + "mlp.fc1.bias"] = r(2 * I, E), bias(2 * I)
        W[q + "mlp.fc2.weight"], W[q + "mlp.fc2.bias"] = r(E, I), bias(E)
    if not cfg.get("tie_word_embeddings", True):
        W["proj_out.weight"] = r(V, E)
    return W
