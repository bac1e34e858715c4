#!/usr/bin/python3
"""mel_ref.py — independent reference for src/audio/mel.cpp (Whisper log-mel), NumPy + torch.stft.

Builds the Slaney mel filterbank from its definition (no librosa, nothing fetched), computes Whisper's
log-mel in float64 for a few synthetic signals and writes, per case, tests/fixtures/audio/mel-<case>.wav
(16-bit PCM input, shared by cases of one signal; the reference uses exactly the quantised samples) and mel-<case>.bin
(int32 n_mels, int32 n_frames, then float32 [n_mels, n_frames]).
Run: /usr/bin/python3 tools/audio/mel_ref.py [out_dir]
"""
import os
import struct
import sys

import numpy as np
import torch

SR, N_FFT, HOP = 16000, 400, 160


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), m * f_sp)


def filterbank(n_mels):
    fft_f = np.linspace(0, SR / 2, N_FFT // 2 + 1)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    w = np.zeros((n_mels, len(fft_f)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        w[i] = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return w


def log_mel(audio, n_mels):
    x = torch.from_numpy(audio.astype(np.float64))
    win = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64)
    st = torch.stft(x, N_FFT, HOP, window=win, center=True, pad_mode="reflect", return_complex=True)
    mag = st[..., :-1].abs() ** 2
    mel = torch.from_numpy(filterbank(n_mels)) @ mag
    lg = torch.clamp(mel, min=1e-10).log10()
    lg = torch.maximum(lg, lg.max() - 8.0)
    return ((lg + 4.0) / 4.0).numpy()


def write_wav16(path, q):
    data = q.astype("<i2").tobytes()
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)
    hdr += b"data" + struct.pack("<I", len(data))
    open(path, "wb").write(hdr + data)


def cases():
    rng = np.random.default_rng(1234)
    t = np.arange(16000) / SR
    chirp = 0.5 * np.sin(2 * np.pi * (100 * t + 0.5 * (7000 - 100) * t * t))
    t2 = np.arange(12000) / SR
    tones = 0.3 * np.sin(2 * np.pi * 440 * t2) + 0.2 * np.sin(2 * np.pi * 3150 * t2) + 0.05 * rng.standard_normal(len(t2))
    burst = np.zeros(4800)
    burst[1600:3200] = 0.4 * rng.standard_normal(1600)  # silence-burst-silence: exercises the max-8 clamp
    return [("chirp", "chirp", chirp, 80), ("tones", "tones", tones, 80), ("burst", "burst", burst, 80),
            ("chirp128", "chirp", chirp, 128)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/audio")
    os.makedirs(out, exist_ok=True)
    for name, wav, sig, n_mels in cases():
        q = np.clip(np.round(sig * 32767), -32768, 32767).astype(np.int16)
        write_wav16(os.path.join(out, f"mel-{wav}.wav"), q)
        m = log_mel(q.astype(np.float64) / 32768.0, n_mels)
        with open(os.path.join(out, f"mel-{name}.bin"), "wb") as f:
            f.write(struct.pack("<ii", m.shape[0], m.shape[1]))
            f.write(m.astype("<f4").tobytes())
        print(name, m.shape)


if __name__ == "__main__":
    main()
