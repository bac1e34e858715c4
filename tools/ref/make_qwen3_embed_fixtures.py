"""make_qwen3_embed_fixtures.py — a tiny random-weight decoder-based embedder (Qwen3-Embedding-0.6B's shape in
miniature: the qwen3 architecture, per-head q/k RMSNorm, GQA, tied embeddings, last-token pooling, L2 normalisation)
as GGUF with llama.cpp's keys (qwen3.*, qwen3.pooling_type 3 = last, tokenizer.ggml.add_eos_token true), and the
reference embeddings of arch.py (float64, on exactly the stored weights). tests/test-model-qwen3-embed.cpp compares.

Usage: /usr/bin/python3 tools/ref/make_qwen3_embed_fixtures.py [out_dir]   (default tests/fixtures/embed)
Output per type T in f32, q8_0: qwen3-embed-T.gguf and qwen3-embed-T.ref.gguf with metadata `texts` (strings, ASCII:
the fixture's byte-level vocabulary has no merges, so a text's ids are its bytes' tokens) and tensors `tokens` I32
(each text's ids + <|endoftext|>, one after another), `offsets` I32 [n + 1], `embd` F32 [D, n] (last token's final-normed
hidden state, L2-normalised), `logits` F32 [V, n] (the last token's logits: the decoder as a language model).
"""
import os
import sys

import numpy as np
import torch

import arch as ref
import export
import ggufw
import make_fixtures

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|r0|>", "<|r1|>", "<|r2|>", "<|r3|>", "<|r4|>"]
CFG = dict(make_fixtures.BASE, arch="qwen3", name="tiny-qwen3-embed", num_hidden_layers=2, num_attention_heads=4,
           num_key_value_heads=2, head_dim=16, tie=True, rope_theta=1000000.0, rms_norm_eps=1e-6,
           specials=SPECIALS, bos="<|endoftext|>", eos="<|endoftext|>", pooling_type=3, add_eos=True)
TEXTS = ["hello world", "Instruct: Given a question, retrieve passages that answer it\nQuery:what lowers blood pressure?",
         "a", "The patient was seen for chest pain; BP 120/80."]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/embed")
    os.makedirs(out, exist_ok=True)
    W = make_fixtures.random_weights(CFG, seed=33)
    g = torch.Generator().manual_seed(34)
    for i in range(CFG["num_hidden_layers"]):
        for n in ("q_norm", "k_norm"):
            W[f"model.layers.{i}.self_attn.{n}.weight"] = 1 + torch.randn(CFG["head_dim"], generator=g, dtype=torch.float64) * 0.1
    byte_tok = export.gpt2_byte_map()
    vocab = {byte_tok[b]: b for b in range(256)}
    eot = 256 + SPECIALS.index("<|endoftext|>")
    seqs = [[vocab[byte_tok[b]] for b in t.encode()] + [eot] for t in TEXTS]
    for dtype in ("f32", "q8_0"):
        stored = export.export(CFG, W, dtype, os.path.join(out, f"qwen3-embed-{dtype}.gguf"))
        embd, logits = [], []
        for s in seqs:
            h = ref.forward(CFG, stored, s, hidden=True)[-1]
            embd.append(torch.nn.functional.normalize(h, dim=0).numpy())
            logits.append(ref.forward(CFG, stored, s)[-1].numpy())
        r = ggufw.Writer()
        r.strings("texts", TEXTS)
        flat = np.array([i for s in seqs for i in s], np.int32)
        offs = np.cumsum([0] + [len(s) for s in seqs]).astype(np.int32)
        r.tensor("tokens", ggufw.T_I32, [len(flat)], flat.tobytes())
        r.tensor("offsets", ggufw.T_I32, [len(offs)], offs.tobytes())
        r.tensor("embd", ggufw.T_F32, [CFG["hidden_size"], len(seqs)], np.array(embd, np.float32).tobytes())
        r.tensor("logits", ggufw.T_F32, [CFG["vocab_size"], len(seqs)], np.array(logits, np.float32).tobytes())
        r.write(os.path.join(out, f"qwen3-embed-{dtype}.ref.gguf"))
        print(f"qwen3-embed-{dtype}: {len(seqs)} texts, lengths {[len(s) for s in seqs]}")


if __name__ == "__main__":
    main()
