"""make_speaker_fixture.py — tiny random-weight speaker-embedding models as GGUF (speaker_ref.export) with reference
embeddings computed in float64 by speaker_ref.SpeakerNet on exactly the stored weights. tests/test-speaker.cpp loads
both and compares.

Usage: /usr/bin/python3 tools/ref/make_speaker_fixture.py [out_dir]   (default tests/fixtures/speaker)
Output per fixture NAME: NAME.gguf and NAME.ref.gguf with tensors
  audio F32 [n_samples]     16 kHz input (a gliding two-tone chord with noise)
  mel   F32 [n_mels, T]     its log-mel (tools/audio/mel_ref.py, float64 rounded to f32), n_mels innermost
  emb   F32 [D]             the embedding of that mel
"""
import os
import sys

import numpy as np
import torch

import ggufw
import speaker_ref

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../audio"))
import mel_ref  # noqa: E402

FIXTURES = {  # name: (channels, kernels, strides, dim, dtype, samples)
    "speaker-f32": ((16, 16, 12), (5, 3, 3), (1, 2, 1), 8, "f32", 21137),
    "speaker-f16": ((12, 10), (3, 5), (2, 1), 6, "f16", 9001),
}


def test_audio(n, seed):
    rng = np.random.RandomState(seed)
    t = np.arange(n) / 16000.0
    x = 0.2 * np.sin(2 * np.pi * (180 + 40 * t) * t) + 0.1 * np.sin(2 * np.pi * 1250 * t) * (t > 0.3)
    return (x + 0.01 * rng.randn(n)).astype(np.float32)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/speaker")
    os.makedirs(out, exist_ok=True)
    for k, (name, (chans, kernels, strides, dim, dtype, n)) in enumerate(FIXTURES.items()):
        torch.manual_seed(100 + k)
        net = speaker_ref.SpeakerNet(80, chans, kernels, strides, dim)
        path = os.path.join(out, name + ".gguf")
        speaker_ref.export(net, path, dtype, name)
        ref = speaker_ref.load(path)  # float64, exactly the stored weights
        audio = test_audio(n, k)
        mel = mel_ref.log_mel(audio.astype(np.float64), 80).astype(np.float32)  # [n_mels, T]
        with torch.no_grad():
            emb = ref(torch.from_numpy(mel.astype(np.float64))[None])[0].numpy()
        g = ggufw.Writer()
        g.string("general.type", "sotto.reference")
        g.tensor("audio", ggufw.T_F32, [n], audio.tobytes())
        g.tensor("mel", ggufw.T_F32, [mel.shape[0], mel.shape[1]], np.ascontiguousarray(mel.T).tobytes())
        g.tensor("emb", ggufw.T_F32, [dim], emb.astype(np.float32).tobytes())
        g.write(os.path.join(out, name + ".ref.gguf"))
        print(f"{name}: {mel.shape[1]} frames, emb {np.round(emb[:4], 4)}")


if __name__ == "__main__":
    main()
