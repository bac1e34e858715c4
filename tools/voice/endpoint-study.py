#!/usr/bin/python3
"""endpoint-study.py — does a small learned endpointer pay? Can the sound before a pause tell the end of a phrase
from a hesitation inside it, on espeak-ng speech, for voices and sentences held out from training?

Phrases: command-like sentences made from templates (none of web/voice/factory.json's) and sentences of the GPL-3
text Debian ships (/usr/share/common-licenses/GPL-3), each spoken with an SSML break of 150-380 ms at a random word
boundary in its middle (a hesitation) and followed by silence (its end). Training voices en-us, en+f3, en+m3;
held-out voices en-gb, en+m7, en-us+f4 (the bench's held-out two among them), and the sentences split in two, so the
held-out numbers are on voices and sentences training never saw.
Per pause (found by an energy VAD as the engine's: 10 ms frames, 9 dB over a floor), features of the speech before it:
energy of the last 50/100/200 ms against the phrase's median speech frame, its slope, the length of the last voiced
run, F0 (autocorrelation, 60-400 Hz) of the last 100 ms against the phrase's median F0 and its slope over the last
200 ms; with --with-length also the phrase's length so far (a confound here: the hesitations sit mid-phrase). A logistic model (torch, CPU) is trained on the training split; reported: ROC AUC
on the held-out split, and the share of ends it takes there at the threshold that takes no hesitation in training
(a false cut each one it takes).
Results: docs/voice.md ("A learned endpointer: measured, not built").
Usage: /usr/bin/python3 tools/voice/endpoint-study.py [--n 120] [--seed 1] [--with-length]
"""
import argparse, os, random, re, subprocess, tempfile, wave

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument('--n', type=int, default=120, help='sentences per kind (templates, prose)')
ap.add_argument('--seed', type=int, default=1)
ap.add_argument("--with-length", action="store_true", help="also the phrase length so far (a confound: hesitations sit mid-phrase)")
args = ap.parse_args()
rng = random.Random(args.seed)

# Command-like sentences from templates (not the factory set's phrases).
verbs = ['open', 'close', 'raise', 'lower', 'check', 'reset', 'start', 'stop', 'pause', 'resume', 'lock', 'unlock']
things = ['the valve on tank', 'the conveyor in bay', 'the press on line', 'the door of room', 'the fan in zone',
          'the pump at station', 'the oven number', 'the crane in hall']
nums = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve']
tails = ['', ' now', ' please', ' for ten minutes', ' until the shift ends', ' and log it']
cmds = sorted({f'{rng.choice(verbs).capitalize()} {rng.choice(things)} {rng.choice(nums)}{rng.choice(tails)}.'
               for _ in range(4 * args.n)})
rng.shuffle(cmds)
text = open('/usr/share/common-licenses/GPL-3', encoding='utf-8').read()
prose = [re.sub(r'\s+', ' ', s).strip() for s in re.split(r'(?<=[.;:])\s', text)]
prose = [s for s in prose if 5 <= len(s.split()) <= 16 and re.fullmatch(r"[A-Za-z ,.;:'-]+", s)]
prose = sorted(set(prose))
rng.shuffle(prose)
sents = cmds[:args.n] + prose[:args.n]
rng.shuffle(sents)
half = len(sents) // 2
split_of = {s: ('train' if i < half else 'test') for i, s in enumerate(sents)}
voices = {'train': [('en-us', 150), ('en+f3', 170), ('en+m3', 160)], 'test': [('en-gb', 140), ('en+m7', 160), ('en-us+f4', 175)]}

SR = 16000
F = SR // 100

def speak(ssml, v, speed, path):
    subprocess.run(['espeak-ng', '-m', '-v', v, '-s', str(speed), '-w', path, ssml], check=True, capture_output=True)
    with wave.open(path) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64) / 32768
        sr = w.getframerate()
    n = int(len(x) * SR / sr)  # linear resample to 16 kHz (features only)
    return np.interp(np.arange(n) * sr / SR, np.arange(len(x)), x)

def f0(frame):  # autocorrelation pitch of a 40 ms window; 0 when unvoiced
    frame = frame - frame.mean()
    e = float(frame @ frame)
    if e < 1e-6:
        return 0.0
    ac = np.correlate(frame, frame, 'full')[len(frame) - 1:]
    lo, hi = SR // 400, SR // 60
    k = lo + int(np.argmax(ac[lo:hi]))
    return SR / k if ac[k] > 0.45 * ac[0] else 0.0

def pauses(x):
    """(speech frames' dB, speech mask, the pauses: (last speech frame, pause frames))"""
    nfr = len(x) // F
    db = np.array([10 * np.log10(np.mean(x[i * F:(i + 1) * F] ** 2) + 1e-12) for i in range(nfr)])
    floor = max(db.min(), -75)
    sp = db > floor + 9
    out, i = [], 0
    last = -1
    while i < nfr:
        if sp[i]:
            last = i
            i += 1
            continue
        j = i
        while j < nfr and not sp[j]:
            j += 1
        if last >= 0 and (j - i) >= 15:
            out.append((last, j - i))
        i = j
    return db, sp, out

def features(x, db, sp, last):
    speech = db[:last + 1][sp[:last + 1]]
    med = np.median(speech)
    tail = lambda ms: db[max(0, last + 1 - ms // 10):last + 1].mean() - med
    t = np.arange(20)
    seg = db[max(0, last - 19):last + 1]
    slope = np.polyfit(t[:len(seg)], seg, 1)[0] if len(seg) > 2 else 0.0
    hop = [f0(x[max(0, (k - 3)) * F:(k + 1) * F]) for k in range(max(0, last - 60), last + 1)]
    hop = np.array(hop)
    voiced = hop[hop > 0]
    fmed = np.median(voiced) if len(voiced) else 0.0
    last_v = hop[-10:][hop[-10:] > 0]
    f_end = np.log(last_v.mean() / fmed) if len(last_v) and fmed > 0 else 0.0
    v20 = hop[-20:]
    idx = np.nonzero(v20 > 0)[0]
    f_slope = np.polyfit(idx, np.log(v20[idx]), 1)[0] * 10 if len(idx) > 3 else 0.0
    run = 0
    for v in hop[::-1]:
        if v <= 0:
            break
        run += 1
    return [tail(50), tail(100), tail(200), slope, run / 10, f_end, f_slope] + ([(last + 1) / 100] if args.with_length else [])

rows = {'train': [], 'test': []}
with tempfile.TemporaryDirectory() as tmp:
    p = os.path.join(tmp, 'p.wav')
    for s in sents:
        sp_ = split_of[s]
        w = s.split()
        for v, speed in voices[sp_]:
            k = rng.randint(max(1, len(w) // 3), max(1, 2 * len(w) // 3))
            brk = rng.randint(150, 380)
            ssml = f'{" ".join(w[:k])} <break time="{brk}ms"/> {" ".join(w[k:])} <break time="800ms"/>'
            x = np.concatenate([speak(ssml, v, speed, p), np.zeros(SR // 2)])  # espeak-ng may trim the final break
            db, sp, ps = pauses(x)
            end = int(np.nonzero(sp)[0].max())  # the phrase's last speech frame: the pause after it is its end
            for last, n in ps:
                rows[sp_].append((features(x, db, sp, last), 1.0 if last == end else 0.0))

def xy(r):
    return torch.tensor([a for a, _ in r], dtype=torch.float32), torch.tensor([b for _, b in r])

xtr, ytr = xy(rows['train'])
xte, yte = xy(rows['test'])
mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
lin = torch.nn.Linear(xtr.shape[1], 1)
opt = torch.optim.LBFGS(lin.parameters(), max_iter=200)
def closure():
    opt.zero_grad()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(lin((xtr - mu) / sd).squeeze(1), ytr) + 1e-3 * lin.weight.pow(2).sum()
    loss.backward()
    return loss
opt.step(closure)
with torch.no_grad():
    ptr = torch.sigmoid(lin((xtr - mu) / sd).squeeze(1))
    pte = torch.sigmoid(lin((xte - mu) / sd).squeeze(1))

def auc(p, y):
    pos, neg = p[y == 1], p[y == 0]
    return float((pos[:, None] > neg[None, :]).float().mean() + 0.5 * (pos[:, None] == neg[None, :]).float().mean())

th = float(ptr[ytr == 0].max())  # no hesitation taken in training
print(f'pauses: train {len(ytr)} ({int(ytr.sum())} ends), held-out {len(yte)} ({int(yte.sum())} ends)')
print(f'ROC AUC: train {auc(ptr, ytr):.3f}, held-out {auc(pte, yte):.3f}')
print(f'threshold {th:.3f} (no hesitation taken in training): held-out ends taken {int((pte[yte == 1] > th).sum())}/{int(yte.sum())}, '
      f'hesitations taken (false cuts) {int((pte[yte == 0] > th).sum())}/{int((yte == 0).sum())}')
for q in (0.5, 0.8, 0.9):
    t = float(torch.quantile(ptr[ytr == 1], 1 - q))
    print(f'threshold taking {q:.0%} of training ends ({t:.3f}): held-out ends {int((pte[yte == 1] > t).sum())}/{int(yte.sum())}, '
          f'false cuts {int((pte[yte == 0] > t).sum())}/{int((yte == 0).sum())}')
names = ['e50', 'e100', 'e200', 'slope', 'voiced_run', 'f0_end', 'f0_slope', 'len']
print('weights (standardised):', ', '.join(f'{n} {w:+.2f}' for n, w in zip(names, lin.weight[0].tolist())))
