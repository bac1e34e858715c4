"""make_asr_real.py — parity fixtures at the real sizes (Moonshine tiny and base, Whisper tiny; random weights, f16
and f32), for tests/test-asr-parity.cpp with SOTTO_ASR_PARITY_DIR pointing at the output directory:

  /usr/bin/python3 tools/ref/make_asr_real.py /tmp/asr-real
  SOTTO_ASR_PARITY_DIR=/tmp/asr-real build/test-asr-parity

Same method as make_asr_fixtures.py (float64 reference on exactly the stored weights); Moonshine gets 5 s of audio,
Whisper its full 30 s window. Needs ~2 GB of RAM and a few minutes of CPU; nothing here needs a GPU.
"""
import os
import sys

import numpy as np
import torch

import asr_gguf
import make_asr_fixtures as fx
import make_asr_tiny
import make_whisper_tiny
import moonshine_ref
import whisper_ref


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for shape in ("tiny", "base"):
        cfg = dict(make_asr_tiny.SHAPES[shape], partial_rotary_factor=0.9, rope_theta=10000.0, vocab_size=32768,
                   tie_word_embeddings=True)
        W = moonshine_ref.random_weights(cfg, 50 + len(shape))
        for dtype in ("f32", "f16"):
            name = f"moonshine-{shape}-{dtype}"
            stored = asr_gguf.export_moonshine(dict(cfg, name=name), W, make_asr_tiny.vocab(32768),
                                               os.path.join(out, name + ".gguf"), dtype)
            audio = fx.test_audio(80000, 3)
            tokens = [1] + np.random.RandomState(4).randint(3, 32768, size=15).tolist()
            with torch.no_grad():
                enc = moonshine_ref.encode(cfg, stored, torch.from_numpy(audio.astype(np.float64)))
                logits = moonshine_ref.decode(cfg, stored, enc, tokens)
            fx.write_ref(os.path.join(out, name + ".ref.gguf"), audio, enc, tokens, logits)
            print(f"{name}: {enc.shape[0]} frames, logits std {logits.std().item():.3f}", flush=True)
    cfg = make_whisper_tiny.TINY
    W = whisper_ref.random_weights(cfg, 12)
    for dtype in ("f32", "f16"):
        name = f"whisper-tiny-{dtype}"
        stored = asr_gguf.export_whisper(dict(cfg, name=name, decoder_start_token_id=make_whisper_tiny.SOT), W,
                                         make_whisper_tiny.vocab(), os.path.join(out, name + ".gguf"), dtype)
        audio = np.zeros(480000, np.float32)
        audio[:64000] = fx.test_audio(64000, 6)
        mel = fx.mel_ref.log_mel(audio.astype(np.float64), 80)[:, :3000].astype(np.float32)
        tokens = [make_whisper_tiny.SOT, make_whisper_tiny.EN, make_whisper_tiny.TRANSCRIBE,
                  make_whisper_tiny.NOTIMESTAMPS] + np.random.RandomState(5).randint(0, 50257, size=12).tolist()
        with torch.no_grad():
            enc = whisper_ref.encode(cfg, stored, torch.from_numpy(mel.astype(np.float64)))
            logits = whisper_ref.decode(cfg, stored, enc, tokens)
        fx.write_ref(os.path.join(out, name + ".ref.gguf"), mel.T.reshape(-1), enc, tokens, logits)
        print(f"{name}: logits std {logits.std().item():.3f}", flush=True)


if __name__ == "__main__":
    main()
