"""speaker_ref.py — the speaker-embedding model in PyTorch (the reference for src/models/speaker.cpp, and the model
tools/train/speaker.py trains), with its GGUF export and import.

Architecture (general.architecture = "sotto-speaker"):
  input   log-mel [n_mels, T] of 16 kHz audio (src/audio/mel.h: Whisper's front end; tools/audio/mel_ref.py)
  convs   for i < block_count: Conv1d(C_i -> C_{i+1}, kernel K_i, stride S_i, zero padding K_i // 2) + bias, then
          exact (erf) GELU; C_0 = n_mels
  pool    over time: mean and standard deviation sqrt(mean((h - mean)^2) + pool_eps) of each channel -> [2 C]
          (means first, then deviations)
  embd    Linear(2 C -> D) + bias, then divided by its L2 norm (+ 1e-12 under the root; never zero)
GGUF: metadata speaker.n_mels, speaker.block_count, speaker.conv_strides (int array), speaker.embedding_length,
speaker.pool_eps; tensors conv.N.weight {K * C_in, C_out} (PyTorch's [C_out, C_in, K] stored [C_out][K][C_in], the
layout of Backend::conv1d), conv.N.bias {C_out}, embd.weight {2 C, D}, embd.bias {D}; f32 (or f16 matrices).
"""
import numpy as np
import torch
import torch.nn.functional as F

import ggufw

ARCH = "sotto-speaker"


class SpeakerNet(torch.nn.Module):
    def __init__(self, n_mels=80, channels=(128, 128, 128), kernels=(5, 3, 3), strides=(1, 2, 1), dim=64,
                 pool_eps=1e-5):
        super().__init__()
        self.n_mels, self.strides, self.pool_eps = n_mels, list(strides), pool_eps
        ins = [n_mels] + list(channels[:-1])
        self.convs = torch.nn.ModuleList(torch.nn.Conv1d(i, o, k, stride=s, padding=k // 2)
                                         for i, o, k, s in zip(ins, channels, kernels, strides))
        self.embd = torch.nn.Linear(2 * channels[-1], dim)

    def pooled(self, mel):
        """mel [B, n_mels, T] -> [B, 2 C] (the statistics pooling)."""
        h = mel
        for c in self.convs:
            h = F.gelu(c(h))
        mu = h.mean(-1)
        sd = torch.sqrt(((h - mu[..., None]) ** 2).mean(-1) + self.pool_eps)
        return torch.cat([mu, sd], -1)

    def forward(self, mel):
        """mel [B, n_mels, T] -> L2-normalised embeddings [B, D]."""
        e = self.embd(self.pooled(mel))
        return e / torch.sqrt((e * e).sum(-1, keepdim=True) + 1e-12)


def export(net, path, dtype="f32", name="sotto-speaker"):
    """Writes the model as GGUF; returns the weights as stored (f16 matrices rounded) in a state dict."""
    g = ggufw.Writer()
    g.string("general.architecture", ARCH)
    g.string("general.name", name)
    g.u32("speaker.n_mels", net.n_mels)
    g.u32("speaker.block_count", len(net.convs))
    g.add("speaker.conv_strides", ggufw.ARRAY, (ggufw.U32, [int(s) for s in net.strides]))
    g.u32("speaker.embedding_length", net.embd.out_features)
    g.f32("speaker.pool_eps", net.pool_eps)
    stored = {}

    def mat(tname, w):  # w: [rows, n] with n innermost
        w = w.detach().double().numpy()
        if dtype == "f16":
            h = w.astype(np.float16)
            g.tensor(tname, ggufw.T_F16, [w.shape[1], w.shape[0]], h.tobytes())
            return torch.from_numpy(h.astype(np.float64))
        g.tensor(tname, ggufw.T_F32, [w.shape[1], w.shape[0]], w.astype(np.float32).tobytes())
        return torch.from_numpy(w.astype(np.float32).astype(np.float64))

    def vec(tname, v):
        v = v.detach().double().numpy().astype(np.float32)
        g.tensor(tname, ggufw.T_F32, [len(v)], v.tobytes())
        return torch.from_numpy(v.astype(np.float64))

    for i, c in enumerate(net.convs):
        co, ci, k = c.weight.shape
        w = mat(f"conv.{i}.weight", c.weight.permute(0, 2, 1).reshape(co, k * ci))
        stored[f"convs.{i}.weight"] = w.reshape(co, k, ci).permute(0, 2, 1).contiguous()
        stored[f"convs.{i}.bias"] = vec(f"conv.{i}.bias", c.bias)
    stored["embd.weight"] = mat("embd.weight", net.embd.weight)
    stored["embd.bias"] = vec("embd.bias", net.embd.bias)
    g.write(path)
    return stored


def load(path):
    """A float64 SpeakerNet with the weights of a GGUF file written by export()."""
    kv, t = ggufw.read(path)
    assert kv["general.architecture"] == ARCH, path

    def arr(tname):
        dt, ne, raw = t[tname]
        a = np.frombuffer(raw, np.float16 if dt == ggufw.T_F16 else np.float32).astype(np.float64)
        return torch.from_numpy(a.reshape(list(reversed(ne))).copy())

    n = kv["speaker.block_count"]
    ws = [arr(f"conv.{i}.weight") for i in range(n)]
    chans = [w.shape[0] for w in ws]
    kernels = [w.shape[1] // (kv["speaker.n_mels"] if i == 0 else chans[i - 1]) for i, w in enumerate(ws)]
    net = SpeakerNet(kv["speaker.n_mels"], chans, kernels, kv["speaker.conv_strides"], kv["speaker.embedding_length"],
                     kv["speaker.pool_eps"]).double()
    with torch.no_grad():
        for i, (c, w) in enumerate(zip(net.convs, ws)):
            co, ci, k = c.weight.shape
            c.weight.copy_(w.reshape(co, k, ci).permute(0, 2, 1))
            c.bias.copy_(arr(f"conv.{i}.bias"))
        net.embd.weight.copy_(arr("embd.weight"))
        net.embd.bias.copy_(arr("embd.bias"))
    return net
