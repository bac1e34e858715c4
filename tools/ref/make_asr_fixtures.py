"""make_asr_fixtures.py — shrunk random-weight Moonshine models as GGUF, with reference encoder output and decoder logits
from the float64 PyTorch reference (moonshine_ref.py) run on exactly the stored weights. tests/test-asr-parity.cpp
loads both and compares.

Usage: /usr/bin/python3 tools/ref/make_asr_fixtures.py [out_dir]   (default tests/fixtures/asr)
Output per fixture NAME: NAME.gguf (model) and NAME.ref.gguf with tensors
  audio  F32 [n_samples]        16 kHz input (a chord with vibrato and noise: deterministic, not silence); for Whisper
                                the log-mel input instead, as [n_mels, n_frames] with n_mels innermost
  enc    F32 [E, n_frames]      encoder output
  tokens I32 [n_tok]            decoder input (starts with the decoder start token)
  logits F32 [n_vocab, n_tok]   logits of every position
"""
import os
import sys

import numpy as np
import torch

import asr_gguf
import ggufw
import moonshine_ref as ref
import whisper_ref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../audio"))
import mel_ref  # noqa: E402  (Whisper's log-mel in torch, from the audio front end's reference)

WORDS = ["\u2581the", "\u2581a", "\u2581patient", "\u2581pain", "\u2581hello", "\u2581world", "\u2581is", "ing", "ed",
         "\u2581to", "\u2581and", "s", "\u2581"]


def spm_vocab():
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + WORDS
    types = [2, 3, 3] + [6] * 256 + [1] * len(WORDS)
    scores = [0.0] * 259 + [-float(i) for i in range(len(WORDS))]
    return dict(tokens=tokens, types=types, scores=scores, bos=1, eos=2, unk=0)


SHRUNK = dict(hidden_size=48, intermediate_size=96, encoder_num_hidden_layers=2, decoder_num_hidden_layers=2,
              encoder_num_attention_heads=4, decoder_num_attention_heads=4, partial_rotary_factor=0.9,
              rope_theta=10000.0, vocab_size=3 + 256 + len(WORDS), tie_word_embeddings=True)

FIXTURES = {
    "moonshine-f32": (dict(SHRUNK), "f32"),
    "moonshine-f16-untied": (dict(SHRUNK, tie_word_embeddings=False, encoder_num_attention_heads=3), "f16"),
}


WHISPER_SPECIALS = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|transcribe|>", "<|notimestamps|>"]


def byte_level_vocab():
    """GPT-2 byte-to-unicode pieces for the 256 bytes, a few merged words, then Whisper's special tokens."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_tok = {b: chr(c) for b, c in zip(bs, cs)}
    tokens = [byte_tok[b] for b in range(256)]
    sp = byte_tok[32]
    merges = [f"{sp} t", "h e", f"{sp}t he"]
    tokens += [sp + "t", "he", sp + "the"]
    first_special = len(tokens)
    tokens += WHISPER_SPECIALS
    types = [1] * first_special + [3] * len(WHISPER_SPECIALS)
    return dict(tokens=tokens, types=types, merges=merges, bos=first_special + 1, eos=first_special)


WHISPER = dict(d_model=48, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=3,
               encoder_ffn_dim=96, decoder_ffn_dim=80, num_mel_bins=80, max_source_positions=40,
               max_target_positions=24, vocab_size=264)

WHISPER_FIXTURES = {"whisper-f32": "f32", "whisper-f16": "f16"}


def test_audio(n, seed):
    rng = np.random.RandomState(seed)
    t = np.arange(n) / 16000.0
    x = 0.1 * np.sin(2 * np.pi * 220 * t + 3 * np.sin(2 * np.pi * 5 * t)) + 0.05 * np.sin(2 * np.pi * 330 * t)
    return (x + 0.02 * rng.randn(n)).astype(np.float32)


def write_ref(path, audio, enc, tokens, logits):
    g = ggufw.Writer()
    g.string("general.type", "sotto.reference")
    g.tensor("audio", ggufw.T_F32, [len(audio)], audio.astype(np.float32).tobytes())
    e = enc.numpy().astype(np.float32)
    g.tensor("enc", ggufw.T_F32, [e.shape[1], e.shape[0]], e.tobytes())
    g.tensor("tokens", ggufw.T_I32, [len(tokens)], np.asarray(tokens, np.int32).tobytes())
    lg = logits.numpy().astype(np.float32)
    g.tensor("logits", ggufw.T_F32, [lg.shape[1], lg.shape[0]], lg.tobytes())
    g.write(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/asr")
    os.makedirs(out, exist_ok=True)
    for k, (name, (cfg, dtype)) in enumerate(FIXTURES.items()):
        W = ref.random_weights(cfg, 2000 + k)
        stored = asr_gguf.export_moonshine(dict(cfg, name=name), W, spm_vocab(), os.path.join(out, name + ".gguf"), dtype)
        audio = test_audio(21000 + 1000 * k, k)  # 1.3 s / 1.4 s: lengths that leave remainders at every stride
        rng = np.random.RandomState(10 + k)
        tokens = [1] + rng.randint(3, cfg["vocab_size"], size=9).tolist()
        with torch.no_grad():
            enc = ref.encode(cfg, stored, torch.from_numpy(audio.astype(np.float64)))
            logits = ref.decode(cfg, stored, enc, tokens)
        write_ref(os.path.join(out, name + ".ref.gguf"), audio, enc, tokens, logits)
        print(f"{name}: {enc.shape[0]} frames, enc std {enc.std().item():.3f}, logits std {logits.std().item():.3f}")
    # Whisper: the encoder takes exactly 2 * max_source_positions mel frames (the real models: 3000 = 30 s).
    for k, (name, dtype) in enumerate(WHISPER_FIXTURES.items()):
        cfg = dict(WHISPER)
        W = whisper_ref.random_weights(cfg, 4000 + k)
        tok = byte_level_vocab()
        stored = asr_gguf.export_whisper(dict(cfg, name=name), W, tok, os.path.join(out, name + ".gguf"), dtype)
        n_frames = 2 * cfg["max_source_positions"]
        audio = test_audio(n_frames * 160, 20 + k)
        mel = mel_ref.log_mel(audio.astype(np.float64), cfg["num_mel_bins"])[:, :n_frames]
        mel = mel.astype(np.float32)
        rng = np.random.RandomState(30 + k)
        tokens = [tok["bos"], tok["bos"] + 1, tok["bos"] + 2, tok["bos"] + 3] + rng.randint(0, 259, size=6).tolist()
        with torch.no_grad():
            enc = whisper_ref.encode(cfg, stored, torch.from_numpy(mel.astype(np.float64)))
            logits = whisper_ref.decode(cfg, stored, enc, tokens)
        write_ref(os.path.join(out, name + ".ref.gguf"), mel.T.reshape(-1), enc, tokens, logits)
        print(f"{name}: {enc.shape[0]} frames, enc std {enc.std().item():.3f}, logits std {logits.std().item():.3f}")


if __name__ == "__main__":
    main()
