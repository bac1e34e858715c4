"""make_vlm_fixtures.py — a tiny random-weight SmolVLM language model whose hidden size (48) is the tiny vision tower's
projection (tests/fixtures/vision/tiny-mmproj-f32.gguf, made by make_vision_fixtures.py with the same weights as here),
with SmolVLM's control tokens in its vocabulary, and the whole model's reference output (smolvlm_ref.py) for two PNG
images and a question. tests/test-model-vlm.cpp loads both and compares.

Usage: /usr/bin/python3 tools/ref/make_vlm_fixtures.py [out_dir]   (default tests/fixtures/vision)
Output: tiny-vlm-f32.gguf (the LM) and tiny-vlm.ref.gguf with tensors `tokens` I32 [T] (the prompt), `logits` F32
[n_vocab] (the prompt's last position) and `greedy` I32 [8] (greedy continuation).
"""
import os
import sys
import tempfile

import numpy as np
import torch

import export
import ggufw
import make_fixtures
import make_vision_fixtures
import mmproj_gguf
import siglip_ref
import smolvlm_ref

HERE = os.path.dirname(os.path.abspath(__file__))
SPECIALS = (["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>", "<fake_token_around_image>",
             "<global-img>", "<image>"] + [f"<row_{r}_col_{c}>" for r in range(1, 5) for c in range(1, 5)])
# SmolLM2's shape in miniature (llama architecture, one KV head, tied embeddings), hidden = the tower's projection.
LM = dict(arch="llama", family="smollm2", hidden_size=48, intermediate_size=96, num_attention_heads=4,
          num_key_value_heads=1, head_dim=12, num_hidden_layers=2, rms_norm_eps=1e-5, rope_theta=100000.0,
          vocab_size=256 + len(SPECIALS), max_position_embeddings=1024, tie=True, specials=SPECIALS,
          bos="<|im_start|>", eos="<end_of_utterance>")
# The C++ test uses the same images and question (tests/test-model-vlm.cpp).
IMAGES = ["processor-small.png", "processor-tall.png"]
QUESTION = "What is in these pictures?"
N_GREEDY = 8


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../tests/fixtures/vision")
    vcfg = make_vision_fixtures.TINY
    Wv = siglip_ref.random_weights(vcfg, seed=20)  # make_vision_fixtures.py's tower
    with tempfile.TemporaryDirectory() as tmp:
        stored = mmproj_gguf.write(vcfg, Wv, os.path.join(tmp, "m.gguf"), matrix_dtype="f32")
        with open(os.path.join(tmp, "m.gguf"), "rb") as a, open(os.path.join(out, "tiny-mmproj-f32.gguf"), "rb") as b:
            assert a.read() == b.read(), "tiny-mmproj-f32.gguf differs: run make_vision_fixtures.py first"
    Wv = {k: torch.from_numpy(v) for k, v in stored.items()}

    W = make_fixtures.random_weights(LM, seed=2020)
    Wl = export.export(dict(LM, name="tiny-vlm"), W, "f32", os.path.join(out, "tiny-vlm-f32.gguf"))
    pieces = [bytes([b]).decode("latin-1") for b in range(256)] + SPECIALS  # ids only; bytes are never looked up

    parts, rows_all = [], []
    for name in IMAGES:
        rows, cols, e = smolvlm_ref.image_embeds(vcfg, Wv, os.path.join(out, name), 4 * vcfg["image_size"])
        n_tok = (vcfg["image_size"] // vcfg["patch_size"]) ** 2 // vcfg["scale_factor"] ** 2
        parts.append(("image", smolvlm_ref.proc.prompt(rows, cols, n_tok)))
        rows_all.append(e)
    parts.append(("text", QUESTION))
    text = smolvlm_ref.chat_prompt(parts)
    tokens = smolvlm_ref.tokenize(text, pieces)
    image_rows = torch.cat(rows_all)
    with torch.no_grad():
        last, greedy = smolvlm_ref.greedy(LM, Wl, tokens, image_rows, SPECIALS.index("<image>") + 256, N_GREEDY)
    r = ggufw.Writer()
    r.string("general.type", "sotto.reference")
    r.tensor("tokens", ggufw.T_I32, [len(tokens)], np.asarray(tokens, np.int32).tobytes())
    r.tensor("logits", ggufw.T_F32, [last.shape[0]], last.numpy().astype(np.float32).tobytes())
    r.tensor("greedy", ggufw.T_I32, [N_GREEDY], np.asarray(greedy, np.int32).tobytes())
    r.write(os.path.join(out, "tiny-vlm.ref.gguf"))
    print(f"tiny-vlm: {len(tokens)} prompt tokens ({image_rows.shape[0]} image rows), last logits std "
          f"{last.std().item():.3f}, greedy {greedy}")


if __name__ == "__main__":
    main()
