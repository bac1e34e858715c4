"""make_vision_fixtures.py — a tiny random-weight SmolVLM vision tower as an mmproj GGUF (f32, f16 and q8_0 matrices), with
the reference encoder and connector outputs computed by siglip_ref.py on exactly the stored weights. The C++ test
tests/test-vision-parity.cpp loads both and compares.

Usage: /usr/bin/python3 tools/ref/make_vision_fixtures.py [out_dir]   (default tests/fixtures/vision)
Output per type T: tiny-mmproj-T.gguf and tiny-mmproj-T.ref.gguf with tensors `pixels` F32 [S, S, 3] (ne; the pixel
values [3][S][S]), `encoded` F32 [D, N] (after post_layernorm) and `embeds` F32 [T, N / s^2].
"""
import os
import sys

import numpy as np
import torch

import ggufw
import mmproj_gguf
import siglip_ref

# SmolVLM-256M's vision shape in miniature: 8 x 8 patches (image 64, patch 8), pixel shuffle 4 -> 2 x 2 tokens.
TINY = dict(image_size=64, patch_size=8, hidden_size=32, intermediate_size=80, num_hidden_layers=2,
            num_attention_heads=4, layer_norm_eps=1e-6, scale_factor=4, text_hidden_size=48)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/vision")
    os.makedirs(out, exist_ok=True)
    cfg = TINY
    W = siglip_ref.random_weights(cfg, seed=20)
    g = torch.Generator().manual_seed(7)
    S = cfg["image_size"]
    pixels = (torch.rand(3, S, S, generator=g, dtype=torch.float64) * 2 - 1).float().double()  # in [-1, 1]
    for t in ("f32", "f16", "q8_0"):
        path = os.path.join(out, f"tiny-mmproj-{t}.gguf")
        stored = mmproj_gguf.write(cfg, W, path, matrix_dtype=t)
        Ws = {k: torch.from_numpy(v) for k, v in stored.items()}
        enc = siglip_ref.encoder(cfg, Ws, pixels)
        emb = siglip_ref.connector(cfg, Ws, enc)
        r = ggufw.Writer()
        r.tensor("pixels", ggufw.T_F32, [S, S, 3], pixels.numpy().astype(np.float32).tobytes())
        r.tensor("encoded", ggufw.T_F32, [enc.shape[1], enc.shape[0]], enc.numpy().astype(np.float32).tobytes())
        r.tensor("embeds", ggufw.T_F32, [emb.shape[1], emb.shape[0]], emb.numpy().astype(np.float32).tobytes())
        r.write(os.path.join(out, f"tiny-mmproj-{t}.ref.gguf"))
        print(f"tiny-mmproj-{t}: encoded std {enc.std().item():.3f}, embeds {list(emb.shape)} std {emb.std().item():.3f}")


if __name__ == "__main__":
    main()
