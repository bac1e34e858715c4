"""smolvlm_ref.py — the whole SmolVLM (Idefics3 family) forward in plain PyTorch, float64, written from the published
model (Idefics3Model.inputs_merger, SmolVLMProcessor, the SmolVLM chat template) and independent of the C++ code:

  images   -> idefics3_processor.process (Pillow Lanczos, tiles row-major + global) -> pixel values (x/255 - mean)/std
           -> siglip_ref.encoder + siglip_ref.connector per tile                   -> [tiles * seq_len, text hidden]
  text     -> "<|im_start|>User" + (":" if the turn starts with an image else ": ") + the turn, each image written as
              idefics3_processor.prompt(rows, cols, seq_len), + "<end_of_utterance>\\nAssistant:"
           -> tokens (byte-level vocabulary without merges: one token per byte; control tokens matched whole)
  LM       -> arch.forward (Llama / SmolLM2) on the token embeddings with the image rows scattered, in order, at the
              positions whose token is <image> (inputs_merger)
Used by make_vlm_fixtures.py.
"""
import numpy as np
import torch
from PIL import Image

import arch
import idefics3_processor as proc
import siglip_ref


def chat_prompt(parts, system=""):
    """parts: list of ("image", layout text) or ("text", str) in the user turn's order."""
    s = "<|im_start|>"
    if system:
        s += "System: " + system + "<end_of_utterance>\n"
    s += "User" + (":" if parts and parts[0][0] == "image" else ": ")
    s += "".join(t for _, t in parts)
    return s + "<end_of_utterance>\nAssistant:"


def tokenize(text, pieces):
    """Control tokens (ids >= 256 of the fixture vocabulary) as whole tokens, every other byte its own token."""
    specials = sorted(((p, i) for i, p in enumerate(pieces) if i >= 256), key=lambda x: -len(x[0]))
    ids, i = [], 0
    while i < len(text):
        for p, tid in specials:
            if text.startswith(p, i):
                ids.append(tid)
                i += len(p)
                break
        else:
            ids.extend(text[i].encode("utf-8"))
            i += 1
    return ids


def image_embeds(vcfg, Wv, path, longest_edge):
    """One image file -> (rows, cols, [tiles * seq_len, text hidden])."""
    tile = vcfg["image_size"]
    rows, cols, tiles = proc.process(Image.open(path).convert("RGB"), longest_edge, tile)
    out = []
    for t in tiles:
        px = torch.from_numpy(np.ascontiguousarray(t.transpose(2, 0, 1)).astype(np.float64))
        px = (px / 255.0 - 0.5) / 0.5  # SmolVLM's mean and std (0.5)
        out.append(siglip_ref.connector(vcfg, Wv, siglip_ref.encoder(vcfg, Wv, px)))
    return rows, cols, torch.cat(out)


def forward(lm_cfg, W, tokens, image_rows, image_id):
    """Logits [T, vocab]: token embeddings with image_rows placed at the <image> positions, in order."""
    t = torch.tensor(tokens)
    x = W["model.embed_tokens.weight"][t].clone()
    pos = (t == image_id).nonzero().flatten()
    assert len(pos) == image_rows.shape[0], (len(pos), image_rows.shape)
    x[pos] = image_rows.to(x)
    return arch.forward(lm_cfg, W, tokens, embeds=x)


def greedy(lm_cfg, W, tokens, image_rows, image_id, n):
    """n greedy tokens (the whole sequence is run again for each; generated tokens take their token embeddings)."""
    seq, out, first = list(tokens), [], None
    for _ in range(n):
        logits = forward(lm_cfg, W, seq, image_rows, image_id)
        if first is None:
            first = logits[-1]
        nxt = int(torch.argmax(logits[-1]))
        out.append(nxt)
        seq.append(nxt)
    return first, out
