"""siglip_ref.py — the SmolVLM / Idefics3 vision tower in plain PyTorch, written from the published architecture
(SigLIP vision transformer as Idefics3VisionTransformer uses it; Idefics3Connector), with Hugging Face weight names.

  embeddings: Conv2d(3, D, kernel=P, stride=P) (bias) -> flatten to [N, D] (patches row-major) + position_embedding[0..N)
  layer:      x = x + out_proj(MHA(layer_norm1(x)))   (q/k/v/out Linear with bias, no mask, scale head_dim^-0.5)
              x = x + fc2(gelu_tanh(fc1(layer_norm2(x))))
  post_layernorm(x)
  connector:  pixel_shuffle(x, s) as Idefics3Connector writes it (view / permute / reshape), then
              modality_projection.proj (Linear D*s*s -> text hidden, no bias)
Independent of the C++ code; used by make_vision_fixtures.py. Float64 by default.
"""
import math

import torch
import torch.nn.functional as F


def layer_norm(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def encoder(cfg, W, pixels):
    """pixels: [3, S, S] -> [N, D] (after post_layernorm)."""
    D, P, nh, eps = cfg["hidden_size"], cfg["patch_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    x = F.conv2d(pixels[None], W["embeddings.patch_embedding.weight"], W["embeddings.patch_embedding.bias"], stride=P)
    x = x.flatten(2).transpose(1, 2)[0]  # [N, D]
    x = x + W["embeddings.position_embedding.weight"][: x.shape[0]]
    N, hd = x.shape[0], D // nh
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layers.{i}."
        h = layer_norm(x, W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], eps)

        def proj(name, t):
            return t @ W[p + f"self_attn.{name}.weight"].T + W[p + f"self_attn.{name}.bias"]

        q = proj("q_proj", h).view(N, nh, hd).transpose(0, 1)
        k = proj("k_proj", h).view(N, nh, hd).transpose(0, 1)
        v = proj("v_proj", h).view(N, nh, hd).transpose(0, 1)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd), dim=-1)
        a = (att @ v).transpose(0, 1).reshape(N, D)
        x = x + proj("out_proj", a)
        h = layer_norm(x, W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], eps)
        h = F.gelu(h @ W[p + "mlp.fc1.weight"].T + W[p + "mlp.fc1.bias"], approximate="tanh")
        x = x + h @ W[p + "mlp.fc2.weight"].T + W[p + "mlp.fc2.bias"]
    return layer_norm(x, W["post_layernorm.weight"], W["post_layernorm.bias"], eps)


def pixel_shuffle(x, s):
    """Idefics3Connector.pixel_shuffle on [B, seq, D] -> [B, seq / s^2, D * s^2]."""
    bsz, seq, d = x.size()
    h = w = int(seq ** 0.5)
    x = x.view(bsz, h, w, d)
    x = x.view(bsz, h, w // s, d * s)
    x = x.permute(0, 2, 1, 3)
    x = x.reshape(bsz, w // s, h // s, d * s * s)
    x = x.permute(0, 2, 1, 3)
    return x.reshape(bsz, seq // (s * s), d * s * s)


def connector(cfg, W, x):
    """x: [N, D] -> [N / s^2, text hidden]."""
    y = pixel_shuffle(x[None], cfg["scale_factor"])[0]
    return y @ W["connector.modality_projection.proj.weight"].T


def random_weights(cfg, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    D, FF, P = cfg["hidden_size"], cfg["intermediate_size"], cfg["patch_size"]
    N = (cfg["image_size"] // P) ** 2
    s, T = cfg["scale_factor"], cfg["text_hidden_size"]

    def r(*shape, scale=1.0):
        return torch.randn(*shape, generator=g, dtype=dtype) * scale

    W = {"embeddings.patch_embedding.weight": r(D, 3, P, P, scale=(3 * P * P) ** -0.5),
         "embeddings.patch_embedding.bias": r(D, scale=0.1),
         "embeddings.position_embedding.weight": r(N, D, scale=0.5),
         "post_layernorm.weight": 1 + r(D, scale=0.1), "post_layernorm.bias": r(D, scale=0.1),
         "connector.modality_projection.proj.weight": r(T, D * s * s, scale=(D * s * s) ** -0.5)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layers.{i}."
        for n in ("layer_norm1", "layer_norm2"):
            W[p + n + ".weight"] = 1 + r(D, scale=0.1)
            W[p + n + ".bias"] = r(D, scale=0.1)
        for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
            W[p + f"self_attn.{n}.weight"] = r(D, D, scale=D ** -0.5)
            W[p + f"self_attn.{n}.bias"] = r(D, scale=0.1)
        W[p + "mlp.fc1.weight"] = r(FF, D, scale=D ** -0.5)
        W[p + "mlp.fc1.bias"] = r(FF, scale=0.1)
        W[p + "mlp.fc2.weight"] = r(D, FF, scale=FF ** -0.5)
        W[p + "mlp.fc2.bias"] = r(D, scale=0.1)
    return W
