"""whisper_ref.py — an independent float64 PyTorch reference of Whisper (Radford et al. 2022), written from the paper's
description and the Hugging Face WhisperConfig field names (d_model, encoder_layers, decoder_layers,
encoder_attention_heads, decoder_attention_heads, encoder_ffn_dim, decoder_ffn_dim, num_mel_bins,
max_source_positions, max_target_positions, vocab_size). Weights: Hugging Face names (model.encoder.*, model.decoder.*).

  encoder: x = gelu(conv1(mel; k3 p1)); x = gelu(conv2(x; k3 s2 p1)); x += sinusoidal positions (embed_positions);
           per layer x += attn(ln(x)) [no mask]; x += fc2(gelu(fc1(ln(x)))); final ln
  decoder: x = embed_tokens[ids] + embed_positions[pos] (learned); per layer x += self_attn(ln(x)) [causal];
           x += cross_attn(ln(x), enc); x += fc2(gelu(fc1(ln(x)))); final ln; logits = x embed_tokens^T
  LayerNorms have weight and bias (eps 1e-5); q, v, out projections have biases, k has none; gelu is exact (erf);
  scale 1/sqrt(head_dim). The encoder takes exactly 2 * max_source_positions mel frames (30 s for the real models).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


def ln(x, W, p):
    return F.layer_norm(x, (x.shape[-1],), W[p + ".weight"], W[p + ".bias"], 1e-5)


def lin(x, W, p, bias=True):
    y = x @ W[p + ".weight"].T
    return y + W[p + ".bias"] if bias else y


def attention(W, p, h, kv, n_head, causal):
    T, E = h.shape
    S = kv.shape[0]
    hd = E // n_head
    q = lin(h, W, p + "q_proj").view(T, n_head, hd)
    k = lin(kv, W, p + "k_proj", bias=False).view(S, n_head, hd)
    v = lin(kv, W, p + "v_proj").view(S, n_head, hd)
    sc = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
    if causal:
        sc = sc.masked_fill(torch.triu(torch.ones(T, S, dtype=torch.bool), diagonal=1), float("-inf"))
    a = torch.einsum("hts,shd->thd", torch.softmax(sc, dim=-1), v).reshape(T, E)
    return lin(a, W, p + "out_proj")


def sinusoids(length, channels):
    inc = math.log(10000) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float64))
    t = torch.arange(length, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


def encode(cfg, W, mel):
    """mel: float64 [n_mels, 2 * max_source_positions] -> [max_source_positions, d]."""
    p = "model.encoder."
    assert mel.shape[1] == 2 * cfg["max_source_positions"], mel.shape
    x = F.gelu(F.conv1d(mel[None], W[p + "conv1.weight"], W[p + "conv1.bias"], padding=1))
    x = F.gelu(F.conv1d(x, W[p + "conv2.weight"], W[p + "conv2.bias"], stride=2, padding=1))
    x = x[0].T + W[p + "embed_positions.weight"][: x.shape[2]]
    for i in range(cfg["encoder_layers"]):
        q = f"{p}layers.{i}."
        x = x + attention(W, q + "self_attn.", ln(x, W, q + "self_attn_layer_norm"), ln(x, W, q + "self_attn_layer_norm"),
                          cfg["encoder_attention_heads"], False)
        x = x + lin(F.gelu(lin(ln(x, W, q + "final_layer_norm"), W, q + "fc1")), W, q + "fc2")
    return ln(x, W, p + "layer_norm")


def decode(cfg, W, enc, tokens):
    p = "model.decoder."
    n = len(tokens)
    x = W[p + "embed_tokens.weight"][torch.tensor(tokens)] + W[p + "embed_positions.weight"][:n]
    for i in range(cfg["decoder_layers"]):
        q = f"{p}layers.{i}."
        h = ln(x, W, q + "self_attn_layer_norm")
        x = x + attention(W, q + "self_attn.", h, h, cfg["decoder_attention_heads"], True)
        x = x + attention(W, q + "encoder_attn.", ln(x, W, q + "encoder_attn_layer_norm"), enc,
                          cfg["decoder_attention_heads"], False)
        x = x + lin(F.gelu(lin(ln(x, W, q + "final_layer_norm"), W, q + "fc1")), W, q + "fc2")
    return ln(x, W, p + "layer_norm") @ W[p + "embed_tokens.weight"].T


def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    d, V, M = cfg["d_model"], cfg["vocab_size"], cfg["num_mel_bins"]

    def r(*shape, fan=None):
        return torch.randn(*shape, generator=g, dtype=torch.float64) / math.sqrt(fan or shape[-1])

    def b(n):
        return 0.1 * torch.randn(n, generator=g, dtype=torch.float64)

    W = {}

    def norm(p, n):
        W[p + ".weight"] = 1.0 + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)
        W[p + ".bias"] = b(n)

    def attn(p):
        for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
            W[p + n + ".weight"] = r(d, d)
            if n != "k_proj":
                W[p + n + ".bias"] = b(d)

    def mlp(p, ff):
        W[p + "fc1.weight"], W[p + "fc1.bias"] = r(ff, d), b(ff)
        W[p + "fc2.weight"], W[p + "fc2.bias"] = r(d, ff), b(d)

    p = "model.encoder."
    W[p + "conv1.weight"], W[p + "conv1.bias"] = r(d, M, 3, fan=3 * M), b(d)
    W[p + "conv2.weight"], W[p + "conv2.bias"] = r(d, d, 3, fan=3 * d), b(d)
    W[p + "embed_positions.weight"] = sinusoids(cfg["max_source_positions"], d)
    for i in range(cfg["encoder_layers"]):
        q = f"{p}layers.{i}."
        norm(q + "self_attn_layer_norm", d)
        attn(q + "self_attn.")
        norm(q + "final_layer_norm", d)
        mlp(q, cfg["encoder_ffn_dim"])
    norm(p + "layer_norm", d)
    p = "model.decoder."
    W[p + "embed_tokens.weight"] = torch.randn(V, d, generator=g, dtype=torch.float64)
    W[p + "embed_positions.weight"] = 0.5 * torch.randn(cfg["max_target_positions"], d, generator=g, dtype=torch.float64)
    for i in range(cfg["decoder_layers"]):
        q = f"{p}layers.{i}."
        norm(q + "self_attn_layer_norm", d)
        attn(q + "self_attn.")
        norm(q + "encoder_attn_layer_norm", d)
        attn(q + "encoder_attn.")
        norm(q + "final_layer_norm", d)
        mlp(q, cfg["decoder_ffn_dim"])
    norm(p + "layer_norm", d)
    return W
