"""speaker.py — the small speaker-embedding model (tools/ref/speaker_ref.py) for speaker labels: synthetic speakers,
training, GGUF export, held-out two-speaker conversations and their diarization error.

  synth:  N synthetic speakers (a seed each: espeak-ng voice and variant, pitch, speed, then a vocal-tract warp of
          the audio that moves formants and pitch together, and a spectral tilt), K clips each of 1-2 sentences of
          the dictation domain (tools/train/datagen.py); OUT/{audio.npy (int16), offsets.npy, speakers.npy}.
  train:  log-mel (Whisper's front end, tools/audio/mel_ref.py) crops of 0.8-3 s, additive-margin softmax over the
          training speakers on the L2-normalised embedding (the classifier is not exported), level shifts as gain
          augmentation; writes CKPT.pt and the f32 GGUF.
  convs:  held-out conversations: two speakers of the test seed range (never trained on) taking turns of the
          held-out text family, pauses of 0.15-0.9 s between turns (some shorter than the VAD's 0.4 s hangover),
          white noise at 30-45 dB SNR; OUT/convNNN.wav + OUT/truth.json (turns: start, end, speaker).
  eval:   runs `sotto transcribe --speakers 2 --json` on each conversation and reports the diarization error: the
          fraction of reference speech time whose label (under the best permutation of the two labels) is wrong,
          missed (no segment) or, as false alarm, speaker time outside the reference speech.

Usage (CPU; /usr/bin/python3, which has torch):
  python3 tools/train/speaker.py synth OUT --split train --speakers 320 --clips 6 [--jobs 2]
  python3 tools/train/speaker.py train --data OUT --out DIR [--steps 1500 --max-seconds 420]
  python3 tools/train/speaker.py convs CONV_DIR --n 20
  python3 tools/train/speaker.py eval CONV_DIR --sotto build/sotto --asr models/sotto-asr-q8_0.gguf
                                      --speaker-model models/sotto-speaker-f32.gguf
"""
import argparse
import io
import json
import math
import os
import random
import struct
import subprocess
import sys
import time
import wave

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
sys.path.insert(0, os.path.join(HERE, "..", "audio"))
import datagen  # noqa: E402
import mel_ref  # noqa: E402
import speaker_ref  # noqa: E402

LANGS = ["en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland"]
VARIANTS = ["", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4"]
SPEAKER_BASE = {"train": 0, "dev": 500_000, "test": 1_000_000}  # speaker seeds; conversations: dev and test only
CONV_BASE = {"test": 2_000_000, "dev": 3_000_000}  # text seeds of the conversations
# test: held-out speakers and the held-out text family (the reported numbers); dev: other unseen speakers and
# training texts of other seeds, for choosing thresholds without looking at the test set.
SR = 16000


# ---- synthetic speakers
def speaker(seed):
    """A synthetic speaker's parameters; deterministic in the seed."""
    r = random.Random(seed * 7919 + 17)
    return dict(voice=r.choice(LANGS) + r.choice(VARIANTS), pitch=r.randint(10, 90), speed=r.randint(120, 200),
                warp=round(r.uniform(0.86, 1.16), 4), tilt=round(r.uniform(-0.5, 0.8), 3))


def espeak_16k(voice, speed, pitch, text, warp=1.0):
    """espeak-ng -> float samples at 16 kHz / warp (FFT resampling: played at 16 kHz, formants and pitch x warp)."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", "--", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    n = int(round(len(x) * SR / rate / warp))
    spec = np.fft.rfft(x)[:n // 2 + 1]
    return np.fft.irfft(spec, n) * (n / len(x))


def render(spk, text):
    """One sentence by a speaker -> float64 samples (int16 scale), espeak-ng's silence at the ends trimmed."""
    x = espeak_16k(spk["voice"], spk["speed"], spk["pitch"], text, spk["warp"])
    y = x.copy()
    y[1:] -= spk["tilt"] * x[:-1]  # first-order tilt: > 0 brightens, < 0 darkens
    loud = np.flatnonzero(np.abs(y) > 64.0)
    y = y[loud[0]:loud[-1] + 1] if len(loud) else y[:0]
    rms = np.sqrt(np.mean(y * y)) if len(y) else 1.0
    return y * (3000.0 / max(rms, 1e-9))


def sentences(seed, family):
    g = datagen.Gen(seed, family)
    _, dict_s, conv = datagen.GEN[datagen.DOMAINS[seed % 4]](g, None)
    return dict_s, conv


def clip(args):
    """(speaker seed, clip seed) -> int16 samples of 1-2 sentences."""
    s_seed, c_seed = args
    r = random.Random(c_seed)
    dict_s, conv = sentences(c_seed, "train")
    pool = dict_s + [t for _, t in conv]
    i = r.randrange(len(pool))
    text = " ".join(pool[i:i + r.choice([1, 1, 2])])
    x = render(speaker(s_seed), text) * 10 ** (r.uniform(-10, 6) / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def cmd_synth(a):
    from multiprocessing import Pool
    base = SPEAKER_BASE[a.split]
    jobs = [(base + s, (base + s) * 1000 + c) for s in range(a.speakers) for c in range(a.clips)]
    t0 = time.time()
    with Pool(a.jobs) as p:
        clips = p.map(clip, jobs, chunksize=8)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "audio.npy"), np.concatenate(clips))
    np.save(os.path.join(a.out, "offsets.npy"), np.cumsum([0] + [len(c) for c in clips]).astype(np.int64))
    np.save(os.path.join(a.out, "speakers.npy"), np.array([s - base for s, _ in jobs], np.int64))
    print(f"synth {a.split}: {a.speakers} speakers x {a.clips} clips, "
          f"{sum(len(c) for c in clips) / SR / 3600:.2f} h, {time.time() - t0:.0f} s")


# ---- training
def mels_of(audio, off):
    return [torch.from_numpy(mel_ref.log_mel(audio[off[i]:off[i + 1]].astype(np.float64) / 32768.0, 80)
                             .astype(np.float32)) for i in range(len(off) - 1)]


def batch(mels, spk, idx, frames, gen):
    xs = []
    for i in idx:
        m = mels[i]
        if m.shape[1] < frames:
            m = torch.cat([m] * (frames // m.shape[1] + 1), 1)
        o = int(torch.randint(0, m.shape[1] - frames + 1, (1,), generator=gen))
        xs.append(m[:, o:o + frames])
    x = torch.stack(xs) + (torch.rand(len(idx), 1, 1, generator=gen) - 0.5) * 0.6  # +-12 dB level
    return x, torch.from_numpy(spk[idx])


def cmd_train(a):
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    audio = np.load(os.path.join(a.data, "audio.npy"))
    off = np.load(os.path.join(a.data, "offsets.npy"))
    spk = np.load(os.path.join(a.data, "speakers.npy"))
    t0 = time.time()
    mels = mels_of(audio, off)
    n_spk = int(spk.max()) + 1
    print(f"{len(mels)} clips of {n_spk} speakers, log-mel in {time.time() - t0:.0f} s", flush=True)
    # hold out one clip per speaker for a validation accuracy
    val = np.array([np.flatnonzero(spk == s)[-1] for s in range(n_spk)])
    tr = np.setdiff1d(np.arange(len(mels)), val)
    net = speaker_ref.SpeakerNet(80, (a.channels,) * 3, (5, 3, 3), (1, 2, 1), a.dim)
    cls = torch.nn.Parameter(torch.randn(n_spk, a.dim) * 0.1)
    opt = torch.optim.AdamW(list(net.parameters()) + [cls], lr=a.lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.time()
    step = 0
    for step in range(a.steps):
        lr = a.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * step / a.steps))
        for grp in opt.param_groups:
            grp["lr"] = lr
        idx = tr[torch.randint(0, len(tr), (a.batch,), generator=gen).numpy()]
        frames = int(torch.randint(80, 300, (1,), generator=gen))
        x, y = batch(mels, spk, idx, frames, gen)
        e = net(x)
        cos = e @ F.normalize(cls, dim=-1).T
        logits = a.scale * (cos - a.margin * F.one_hot(y, n_spk))
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == a.steps - 1:
            print(f"step {step} loss {loss.item():.3f} lr {lr:.2e} {time.time() - t0:.0f} s", flush=True)
        if time.time() - t0 > a.max_seconds:
            print(f"stopping at step {step}: --max-seconds", flush=True)
            break
    net.eval()
    with torch.no_grad():  # validation: held-out clip -> nearest class centre
        acc = np.mean([int((net(mels[i][None]) @ F.normalize(cls, dim=-1).T).argmax()) == spk[i] for i in val])
    print(f"trained {step + 1} steps in {time.time() - t0:.0f} s; held-out clip -> speaker accuracy {acc:.3f}")
    os.makedirs(a.out, exist_ok=True)
    torch.save(net.state_dict(), os.path.join(a.out, "speaker.pt"))
    speaker_ref.export(net, os.path.join(a.out, "sotto-speaker-f32.gguf"), "f32")
    print("wrote", os.path.join(a.out, "sotto-speaker-f32.gguf"))


# ---- held-out conversations
def write_wav16(path, q):
    data = q.astype("<i2").tobytes()
    hdr = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SR, SR * 2, 2, 16)
    hdr += b"data" + struct.pack("<I", len(data))
    with open(path, "wb") as f:
        f.write(hdr + data)


def conversation(i, split="test", max_turns=10, gaps=(0.15, 0.9)):
    """(samples int16, turns [(start s, end s, speaker 0/1)], speaker params) of conversation i of a split."""
    r = random.Random(CONV_BASE[split] + i)
    a_seed = SPEAKER_BASE[split] + r.randrange(100_000)
    b_seed = a_seed + 1 + r.randrange(100_000)
    spks = [speaker(a_seed), speaker(b_seed)]
    _, conv = sentences(CONV_BASE[split] + i, "heldout" if split == "test" else "train")
    conv = conv[:max_turns]
    parts, turns, t = [np.zeros(int(r.uniform(0.2, 0.6) * SR))], [], 0
    t = len(parts[0])
    prev = None
    for role, text in conv:
        who = 0 if role == "pro" else 1
        if prev is not None:
            gap = r.uniform(*gaps) if who != prev else r.uniform(0.3, 0.8)
            parts.append(np.zeros(int(gap * SR)))
            t += len(parts[-1])
        x = render(spks[who], text) * (10 ** (r.uniform(-4, 4) / 20))
        turns.append((t / SR, (t + len(x)) / SR, who))
        parts.append(x)
        t += len(x)
        prev = who
    parts.append(np.zeros(int(0.5 * SR)))
    y = np.concatenate(parts)
    y += np.random.RandomState(i).randn(len(y)) * 3000.0 * 10 ** (-r.uniform(30, 45) / 20)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16), turns, spks


def cmd_convs(a):
    os.makedirs(a.out, exist_ok=True)
    truth = {}
    for i in range(a.n):
        q, turns, spks = conversation(i, a.split, gaps=(a.min_gap, a.max_gap))
        name = f"conv{i:03d}.wav"
        write_wav16(os.path.join(a.out, name), q)
        truth[name] = dict(turns=turns, speakers=spks)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    print(f"{a.n} conversations, {sum(t['turns'][-1][1] for t in truth.values()):.0f} s of audio")


def diarization_error(ref_turns, hyp, step=0.01, collar=0.0):
    """(error, confusion, missed, false alarm) as fractions of reference speech time, on a 10 ms grid; the
    hypothesis labels are mapped to the reference's by the best permutation. collar: seconds each side of every
    reference turn boundary that are not scored (the usual 0.25 s forgives boundary placement, not labels)."""
    end = max([e for _, e, _ in ref_turns] + [e for _, e, _ in hyp]) + step
    n = int(end / step) + 1
    ref = np.full(n, -1)
    for s, e, k in ref_turns:
        ref[int(round(s / step)):int(round(e / step))] = k
    labels = sorted({k for _, _, k in hyp})
    best = None
    import itertools
    for perm in itertools.permutations(range(max(2, len(labels)))):
        m = {lab: perm[j] if j < len(perm) else 99 for j, lab in enumerate(labels)}
        h = np.full(n, -1)
        for s, e, k in hyp:
            h[int(round(s / step)):int(round(e / step))] = m[k]
        speech = ref >= 0
        scored = np.ones(n, bool)
        c = int(round(collar / step))
        for s, e, _ in ref_turns:
            for b in (int(round(s / step)), int(round(e / step))):
                scored[max(0, b - c):b + c] = False
        if collar > 0:
            speech = speech & scored
            h = np.where(scored, h, -1)
        conf = np.sum(speech & (h >= 0) & (h != ref))
        miss = np.sum(speech & (h < 0))
        fa = np.sum(~speech & (h >= 0))
        tot = max(1, (ref >= 0).sum())
        cand = ((conf + miss + fa) / tot, conf / tot, miss / tot, fa / tot)
        if best is None or cand[0] < best[0]:
            best = cand
    return best


def cmd_eval(a):
    with open(os.path.join(a.convs, "truth.json")) as f:
        truth = json.load(f)
    rows, found = [], []
    for name, t in sorted(truth.items()):
        cmd = [a.sotto, "transcribe", "-m", a.asr, os.path.join(a.convs, name), "--speakers"] + \
              ([a.speakers] if a.speakers else []) + ["--json", "--speaker-model", a.speaker_model] + a.extra.split()
        out = json.loads(subprocess.run(cmd, capture_output=True, check=True, text=True).stdout)
        hyp = [(s["start"], s["end"], s["speaker"]) for s in out["segments"]]
        ref = [tuple(x) for x in t["turns"]]
        rows.append((name,) + diarization_error(ref, hyp) + (sum(e - s for s, e, _ in ref),)
                    + diarization_error(ref, hyp, collar=0.25))
        print(f"{name}: error {rows[-1][1]:.3f} (confusion {rows[-1][2]:.3f}, missed {rows[-1][3]:.3f}, "
              f"false alarm {rows[-1][4]:.3f}), {len(hyp)} segments, {len(ref)} turns, "
              f"{len({k for _, _, k in hyp})} speakers", flush=True)
        found.append(len({k for _, _, k in hyp}))
    w = np.array([r[5] for r in rows])
    tot = lambda j: float(np.sum(w * np.array([r[j] for r in rows])) / w.sum())  # noqa: E731
    print(f"overall ({len(rows)} conversations, {w.sum():.0f} s of speech): diarization error {tot(1):.3f} "
          f"(confusion {tot(2):.3f}, missed {tot(3):.3f}, false alarm {tot(4):.3f}); with a 0.25 s collar "
          f"{tot(6):.3f} (confusion {tot(7):.3f}, missed {tot(8):.3f}, false alarm {tot(9):.3f}); two speakers found "
          f"in {found.count(2)} of {len(found)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("synth")
    p.add_argument("out")
    p.add_argument("--split", choices=list(SPEAKER_BASE), default="train")
    p.add_argument("--speakers", type=int, default=320)
    p.add_argument("--clips", type=int, default=6)
    p.add_argument("--jobs", type=int, default=2)
    p = sub.add_parser("train")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--channels", type=int, default=128)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--margin", type=float, default=0.2)
    p.add_argument("--scale", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=420)
    p = sub.add_parser("convs")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--split", choices=list(CONV_BASE), default="test")
    p.add_argument("--min-gap", type=float, default=0.15, help="shortest pause between two speakers' turns (s)")
    p.add_argument("--max-gap", type=float, default=0.9, help="longest (s)")
    p = sub.add_parser("eval")
    p.add_argument("convs")
    p.add_argument("--sotto", required=True)
    p.add_argument("--asr", required=True)
    p.add_argument("--speaker-model", required=True)
    p.add_argument("--speakers", default="2", help="the count passed to --speakers ('' to let it find the number)")
    p.add_argument("--extra", default="", help="more sotto transcribe options (space-separated)")
    a = ap.parse_args(argv)
    {"synth": cmd_synth, "train": cmd_train, "convs": cmd_convs, "eval": cmd_eval}[a.cmd](a)


if __name__ == "__main__":
    main()
