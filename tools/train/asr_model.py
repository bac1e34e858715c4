"""asr_model.py — a batched, trainable Moonshine (the architecture of tools/ref/moonshine_ref.py and docs/asr.md) whose
state_dict keys are the Hugging Face names the GGUF exporter (tools/ref/asr_gguf.py) takes.

Batches are right-padded: audio [B, N] with lengths [B]; the conv stem runs on the padded batch, the GroupNorm
statistics and every attention over encoder frames use only each example's valid frames (those computed from its
own samples), so a padded example gives the encoder output and logits of the same example alone — the engine
transcribes each phrase alone. Checked against moonshine_ref in tools/train/test_train.py.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def n_frames(n):
    """Encoder frames of n samples (the stem has no padding), as in docs/asr.md; tensor or int."""
    a = (n - 127) // 64 + 1
    b = (a - 7) // 3 + 1
    return (b - 3) // 2 + 1


class Norm(nn.Module):  # LayerNorm without bias (Moonshine)
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, None, 1e-5)


class Attn(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(e, e, bias=False) for _ in range(4))


def _rope(x, rot, theta):
    """x: [B, H, T, D]; rotates dims [0, rot) in adjacent pairs (2i, 2i+1) by position t."""
    T = x.shape[2]
    inv = theta ** (-torch.arange(0, rot, 2, dtype=torch.float64, device=x.device) / rot)
    ang = torch.arange(T, dtype=torch.float64, device=x.device)[:, None] * inv[None, :]
    c, s = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    a, b = x[..., 0:rot:2], x[..., 1:rot:2]
    r = torch.stack([a * c - b * s, a * s + b * c], -1).flatten(-2)
    return torch.cat([r, x[..., rot:]], -1)


def _attend(m, h, kv, nh, key_mask, causal, rot, theta):
    """h [B, T, E] attends to kv [B, S, E]; key_mask [B, S] True = valid (or None)."""
    B, T, E = h.shape
    S, hd = kv.shape[1], E // nh
    q = m.q_proj(h).view(B, T, nh, hd).transpose(1, 2)
    k = m.k_proj(kv).view(B, S, nh, hd).transpose(1, 2)
    v = m.v_proj(kv).view(B, S, nh, hd).transpose(1, 2)
    if rot:
        q, k = _rope(q, rot, theta), _rope(k, rot, theta)
    sc = (q @ k.transpose(-1, -2)) / math.sqrt(hd)  # [B, H, T, S]
    if key_mask is not None:
        sc = sc.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    if causal:
        sc = sc.masked_fill(torch.ones(T, S, dtype=torch.bool, device=h.device).triu(1), float("-inf"))
    o = (torch.softmax(sc, -1) @ v).transpose(1, 2).reshape(B, T, E)
    return m.o_proj(o)


class Mlp(nn.Module):
    def __init__(self, e, i, gated):
        super().__init__()
        self.fc1 = nn.Linear(e, 2 * i if gated else i)
        self.fc2 = nn.Linear(i, e)


class EncLayer(nn.Module):
    def __init__(self, e, i):
        super().__init__()
        self.input_layernorm, self.self_attn = Norm(e), Attn(e)
        self.post_attention_layernorm, self.mlp = Norm(e), Mlp(e, i, False)


class DecLayer(nn.Module):
    def __init__(self, e, i):
        super().__init__()
        self.input_layernorm, self.self_attn = Norm(e), Attn(e)
        self.post_attention_layernorm, self.encoder_attn = Norm(e), Attn(e)
        self.final_layernorm, self.mlp = Norm(e), Mlp(e, i, True)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        e, i = c["hidden_size"], c["intermediate_size"]
        self.conv1 = nn.Conv1d(1, e, 127, 64, bias=False)
        self.groupnorm = nn.GroupNorm(1, e)
        self.conv2 = nn.Conv1d(e, 2 * e, 7, 3)
        self.conv3 = nn.Conv1d(2 * e, e, 3, 2)
        self.layers = nn.ModuleList([EncLayer(e, i) for _ in range(c["encoder_num_hidden_layers"])])
        self.layer_norm = Norm(e)


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        e, i = c["hidden_size"], c["intermediate_size"]
        self.embed_tokens = nn.Embedding(c["vocab_size"], e)
        self.layers = nn.ModuleList([DecLayer(e, i) for _ in range(c["decoder_num_hidden_layers"])])
        self.norm = Norm(e)


class Inner(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder, self.decoder = Encoder(c), Decoder(c)


class Moonshine(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)  # tied output (tie_word_embeddings)

    def _rot(self, nh):
        return int(self.cfg["hidden_size"] // nh * self.cfg.get("partial_rotary_factor", 0.9))

    def encode(self, audio, lengths):
        """audio [B, N] (16 kHz), lengths [B] -> enc [B, T, E], valid [B, T] (bool)."""
        c, enc = self.cfg, self.model.encoder
        x = torch.tanh(enc.conv1(audio[:, None, :]))  # [B, E, T1]
        # GroupNorm(1 group) over each example's valid stem frames only
        n1 = (lengths - 127) // 64 + 1
        m1 = (torch.arange(x.shape[2], device=x.device)[None, :] < n1[:, None]).to(x.dtype)[:, None, :]
        cnt = m1.sum((1, 2), keepdim=True) * x.shape[1]
        mean = (x * m1).sum((1, 2), keepdim=True) / cnt
        var = (((x - mean) * m1) ** 2).sum((1, 2), keepdim=True) / cnt
        x = (x - mean) / torch.sqrt(var + 1e-5)
        x = x * enc.groupnorm.weight[None, :, None] + enc.groupnorm.bias[None, :, None]
        x = F.gelu(enc.conv2(x))
        x = F.gelu(enc.conv3(x)).transpose(1, 2)  # [B, T, E]
        valid = torch.arange(x.shape[1], device=x.device)[None, :] < n_frames(lengths)[:, None]
        nh = c["encoder_num_attention_heads"]
        for L in enc.layers:
            h = L.input_layernorm(x)
            x = x + _attend(L.self_attn, h, h, nh, valid, False, self._rot(nh), c.get("rope_theta", 10000.0))
            h = L.post_attention_layernorm(x)
            x = x + L.mlp.fc2(F.gelu(L.mlp.fc1(h)))
        return enc.layer_norm(x), valid

    def decode(self, enc, valid, tokens):
        """tokens [B, L] -> logits [B, L, V] (teacher forcing)."""
        c, dec = self.cfg, self.model.decoder
        nh = c["decoder_num_attention_heads"]
        x = dec.embed_tokens(tokens)
        for L in dec.layers:
            h = L.input_layernorm(x)
            x = x + _attend(L.self_attn, h, h, nh, None, True, self._rot(nh), c.get("rope_theta", 10000.0))
            h = L.post_attention_layernorm(x)
            x = x + _attend(L.encoder_attn, h, enc, nh, valid, False, 0, 0.0)
            up, gate = L.mlp.fc1(L.final_layernorm(x)).chunk(2, -1)
            x = x + L.mlp.fc2(F.silu(gate) * up)
        return dec.norm(x) @ dec.embed_tokens.weight.T

    def forward(self, audio, lengths, tokens):
        enc, valid = self.encode(audio, lengths)
        return self.decode(enc, valid, tokens)

    def weights(self):
        """HF-named float64 tensors for tools/ref (asr_gguf.export_moonshine, moonshine_ref)."""
        return {k: v.detach().double().cpu() for k, v in self.state_dict().items()}
