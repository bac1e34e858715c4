"""make_whisper_tiny.py — one random-weight model with the real Whisper-tiny shape (d 384, 4 + 4 layers, 6 heads,
FFN 1536, 80 mels, 1500 audio / 448 text positions, vocab 51865 with the multilingual special ids), written twice
from the same weights: as Sotto GGUF (asr_gguf.export_whisper) and in whisper.cpp's legacy ggml format, so the two
engines can be timed on identical weights (tools/bench/asr-vs-whispercpp.sh). Benchmarks only: its text is nonsense.

Usage: /usr/bin/python3 tools/ref/make_whisper_tiny.py OUT.gguf OUT-ggml.bin [f16|f32]
whisper.cpp format (facts from its converter's description): int32 magic 0x67676d6c, 11 int32 hparams (n_vocab,
n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels,
f16), mel filters (int32 n_mel, int32 n_fft, float32 data), vocab (int32 count, then int32 length + bytes per token),
then per tensor: int32 n_dims, int32 name length, int32 type (0 f32, 1 f16), int32 dims innermost first, name, data.
"""
import os
import struct
import sys

import numpy as np

import asr_gguf
import whisper_ref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../audio"))
import mel_ref  # noqa: E402

TINY = dict(d_model=384, encoder_layers=4, decoder_layers=4, encoder_attention_heads=6, decoder_attention_heads=6,
            encoder_ffn_dim=1536, decoder_ffn_dim=1536, num_mel_bins=80, max_source_positions=1500,
            max_target_positions=448, vocab_size=51865)
EOT, SOT, EN, TRANSCRIBE, NOTIMESTAMPS = 50257, 50258, 50259, 50359, 50363


def vocab():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_tok = dict(zip(bs, map(chr, cs)))
    toks = [byte_tok[b] for b in range(256)] + [byte_tok[32] + "w%d" % i for i in range(EOT - 256)]
    special = {EOT: "<|endoftext|>", SOT: "<|startoftranscript|>", EN: "<|en|>", TRANSCRIBE: "<|transcribe|>",
               NOTIMESTAMPS: "<|notimestamps|>", 50358: "<|translate|>", 50360: "<|startoflm|>",
               50361: "<|startofprev|>", 50362: "<|nocaptions|>"}
    for i in range(EOT, TINY["vocab_size"]):
        if i in special:
            toks.append(special[i])
        elif i < 50358:
            toks.append("<|lang%d|>" % i)
        else:
            toks.append("<|%.2f|>" % ((i - 50364) * 0.02))
    types = [1] * EOT + [3] * (TINY["vocab_size"] - EOT)
    return dict(tokens=toks, types=types, merges=[], bos=SOT, eos=EOT)


def write_ggml(path, W, f16):
    c = TINY
    hf = {"encoder.conv1.weight": "model.encoder.conv1.weight", "encoder.conv1.bias": "model.encoder.conv1.bias",
          "encoder.conv2.weight": "model.encoder.conv2.weight", "encoder.conv2.bias": "model.encoder.conv2.bias",
          "encoder.positional_embedding": "model.encoder.embed_positions.weight",
          "encoder.ln_post.weight": "model.encoder.layer_norm.weight", "encoder.ln_post.bias": "model.encoder.layer_norm.bias",
          "decoder.token_embedding.weight": "model.decoder.embed_tokens.weight",
          "decoder.positional_embedding": "model.decoder.embed_positions.weight",
          "decoder.ln.weight": "model.decoder.layer_norm.weight", "decoder.ln.bias": "model.decoder.layer_norm.bias"}
    sub = {"attn_ln": "self_attn_layer_norm", "attn.query": "self_attn.q_proj", "attn.key": "self_attn.k_proj",
           "attn.value": "self_attn.v_proj", "attn.out": "self_attn.out_proj", "cross_attn_ln": "encoder_attn_layer_norm",
           "cross_attn.query": "encoder_attn.q_proj", "cross_attn.key": "encoder_attn.k_proj",
           "cross_attn.value": "encoder_attn.v_proj", "cross_attn.out": "encoder_attn.out_proj",
           "mlp_ln": "final_layer_norm", "mlp.0": "fc1", "mlp.2": "fc2"}
    for part, n in (("encoder", c["encoder_layers"]), ("decoder", c["decoder_layers"])):
        for i in range(n):
            for a, b in sub.items():
                if part == "encoder" and a.startswith("cross"):
                    continue
                for s in ("weight", "bias"):
                    if s == "bias" and a.endswith(".key"):
                        continue
                    hf[f"{part}.blocks.{i}.{a}.{s}"] = f"model.{part}.layers.{i}.{b}.{s}"
    with open(path, "wb") as f:
        f.write(struct.pack("<i", 0x67676D6C))
        f.write(struct.pack("<11i", c["vocab_size"], c["max_source_positions"], c["d_model"], c["encoder_attention_heads"],
                            c["encoder_layers"], c["max_target_positions"], c["d_model"], c["decoder_attention_heads"],
                            c["decoder_layers"], c["num_mel_bins"], 1 if f16 else 0))
        fb = mel_ref.filterbank(c["num_mel_bins"]).astype(np.float32)
        f.write(struct.pack("<ii", fb.shape[0], fb.shape[1]) + fb.tobytes())
        # whisper.cpp keeps token text as raw bytes and looks up " ", " -" and " '" by text.
        toks = [bytes([b]) for b in range(256)] + [b" -", b" '"]
        toks += [b" w%d" % i for i in range(EOT - len(toks))]
        f.write(struct.pack("<i", len(toks)))
        for b in toks:
            f.write(struct.pack("<i", len(b)) + b)
        for name, h in hf.items():
            data = W[h].numpy()
            if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
                data = data.reshape(-1, 1)
            small = data.ndim < 2 or name.endswith("conv1.bias") or name.endswith("conv2.bias") or "positional" in name
            half = f16 and not small
            data = data.astype(np.float16 if half else np.float32)
            nb = name.encode()
            f.write(struct.pack("<iii", data.ndim, len(nb), 1 if half else 0))
            f.write(struct.pack(f"<{data.ndim}i", *reversed(data.shape)))
            f.write(nb + data.tobytes())


def main():
    out_gguf, out_bin = sys.argv[1], sys.argv[2]
    dtype = sys.argv[3] if len(sys.argv) > 3 else "f16"
    W = whisper_ref.random_weights(TINY, 11)
    asr_gguf.export_whisper(dict(TINY, name="whisper-tiny-random", decoder_start_token_id=SOT), W, vocab(), out_gguf,
                            dtype)
    write_ggml(out_bin, W, dtype == "f16")
    print(f"wrote {out_gguf} and {out_bin} ({dtype})")


if __name__ == "__main__":
    main()
