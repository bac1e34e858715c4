"""make_asr_tiny.py — a random-weight Moonshine with the real tiny (or base) dimensions, for benchmarks (its text is
nonsense; its cost is that of the real model, except that random weights rarely emit eos, so every phrase decodes up
to the 6.5 tokens/s cap: an upper bound on decode time).

Usage: /usr/bin/python3 tools/ref/make_asr_tiny.py OUT.gguf [tiny|base] [f32|f16]
Tiny: hidden 288, ffn 1152, 6 + 6 layers, 8 heads (head_dim 36, 32 rotated), vocab 32768 (HF MoonshineConfig defaults).
Base: hidden 416, ffn 1664, 8 + 8 layers, 8 heads (head_dim 52, 46 rotated).
"""
import sys

import asr_gguf
import moonshine_ref as ref

SHAPES = {
    "tiny": dict(hidden_size=288, intermediate_size=1152, encoder_num_hidden_layers=6, decoder_num_hidden_layers=6,
                 encoder_num_attention_heads=8, decoder_num_attention_heads=8),
    "base": dict(hidden_size=416, intermediate_size=1664, encoder_num_hidden_layers=8, decoder_num_hidden_layers=8,
                 encoder_num_attention_heads=8, decoder_num_attention_heads=8),
}


def vocab(n):
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    tokens += ["\u2581w%d" % i for i in range(n - len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (n - 259)
    return dict(tokens=tokens, types=types, scores=[0.0] * 259 + [-float(i) for i in range(n - 259)], bos=1, eos=2,
                unk=0)


def main():
    out = sys.argv[1]
    shape = sys.argv[2] if len(sys.argv) > 2 else "tiny"
    dtype = sys.argv[3] if len(sys.argv) > 3 else "f32"
    cfg = dict(SHAPES[shape], partial_rotary_factor=0.9, rope_theta=10000.0, vocab_size=32768, tie_word_embeddings=True,
               name=f"moonshine-{shape}-random")
    W = ref.random_weights(cfg, 7)
    asr_gguf.export_moonshine(cfg, W, vocab(32768), out, dtype)
    print(f"wrote {out} ({shape}, {dtype})")


if __name__ == "__main__":
    main()
