#!/usr/bin/python3
"""asr-confidence.py — how well the speech model's word confidence and the hallucination guards
(src/runtime/speech-confidence.h) separate right words from wrong ones, on the project's own test audio:
  * in-domain: whole held-out dictations (tools/train/asr.py's dictation seeds, never trained on) spoken by
    espeak-ng with their voices and speeds;
  * out-of-domain: sentences the data generator never writes (below), espeak-ng en-us: the model recalls
    training sentences instead (the failure issue 16 describes);
  * no speech: white noise, a hum, and espeak-ng speech played backwards (speech-like sound without words),
    where every word is made up.
Each recording goes through `sotto transcribe --json`; hypothesis words are aligned to the reference
(Levenshtein over normalised words) and labelled right or wrong (substituted or inserted). Prints the confidence
percentiles of right and wrong words, how many of each the engine marks uncertain, the phrase-level numbers
(mean confidence of phrases mostly right vs mostly wrong; words per second) and what the guards flagged.
Usage: /usr/bin/python3 tools/audio/asr-confidence.py build/sotto [--model M.gguf] [--n 20] [--json out.json]
Does not: judge the thresholds itself (docs/asr.md reports the numbers and the choice).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
import asr  # noqa: E402  (tools/train/asr.py: dictation(), espeak_16k())

# Dictation-like speech in words the training data does not use (the generator's templates are in
# tools/train/datagen.py): a legal, a finance, an HR and an everyday sentence per line.
OUT_OF_DOMAIN = [
    "The tenancy agreement was signed by both parties in the presence of a witness last spring.",
    "We reviewed the pension transfer and the client prefers to keep the existing scheme for now.",
    "Please arrange a meeting with the warehouse supervisor about the missing delivery notes.",
    "The weather turned cold on Tuesday so the garden party moved into the village hall.",
    "My daughter plays the violin in the school orchestra every Thursday afternoon.",
    "The landlord refuses to return the deposit because of a broken kitchen cupboard.",
    "Interest rates on the mortgage will rise by half a percent from the first of April.",
    "She described the manager as supportive but said the rota changes were never explained.",
    "The train to Edinburgh was delayed by forty minutes because of flooding near York.",
    "Our solicitor recommends mediation before anyone files a claim with the small claims court.",
    "He keeps bees on the allotment and sells the honey at the Saturday market.",
    "The quarterly accounts show a small loss after the new software licences were paid.",
]


def norm(w):
    return re.sub(r"[^a-z0-9%']", "", w.lower())


def align(hyp, ref):
    """For each hyp word: True when the alignment matches it to an equal reference word."""
    h, r = [norm(w) for w in hyp], [norm(w) for w in ref]
    n, m = len(h), len(r)
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (h[i - 1] != r[j - 1]))
    ok = [False] * n
    i, j = n, m
    while i > 0 and j > 0:
        if d[i, j] == d[i - 1, j - 1] + (h[i - 1] != r[j - 1]):
            ok[i - 1] = h[i - 1] == r[j - 1]
            i, j = i - 1, j - 1
        elif d[i, j] == d[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return ok


def write_wav(path, x):
    x = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(x.tobytes())
    return len(x) / 16000


def transcribe(sotto, model, path):
    r = subprocess.run([sotto, "transcribe", "-m", model, "-t", "1", "--json", path], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"sotto transcribe failed on {path}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def pct(v, qs=(5, 25, 50, 75, 95)):
    return {q: round(float(np.percentile(v, q)), 3) for q in qs} if len(v) else {}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("sotto")
    p.add_argument("--model", default="models/sotto-asr-q8_0.gguf")
    p.add_argument("--n", type=int, default=20, help="held-out dictations")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--espeak", default="espeak-ng")
    p.add_argument("--json")
    a = p.parse_args()
    tmp = tempfile.mkdtemp()

    items = []  # (set, reference text or None, path)
    for i in range(a.n):
        _, text, voice, speed, pitch = asr.dictation(asr.SEED_BASE["dictation"] + i)
        path = os.path.join(tmp, f"in-{i}.wav")
        write_wav(path, asr.espeak_16k(a.espeak, voice, speed, pitch, text))
        items.append(("in-domain", text, path))
    for v, (voice, speed, pitch) in enumerate([("en-us", 150, 50), ("en-gb-scotland+m2", 165, 40)]):
        for i, text in enumerate(OUT_OF_DOMAIN):
            path = os.path.join(tmp, f"out-{v}-{i}.wav")
            write_wav(path, asr.espeak_16k(a.espeak, voice, speed, pitch, text))
            items.append(("out-of-domain", text, path))
    rng = np.random.default_rng(1)
    t = np.arange(16000 * 4) / 16000
    rev = [asr.espeak_16k(a.espeak, "en-us", 150, 50, text)[::-1] for text in OUT_OF_DOMAIN[:6]]
    for name, x in [("white noise", rng.normal(0, 3000, 16000 * 4)),
                    ("hum", 4000 * np.sin(2 * np.pi * 120 * t) + rng.normal(0, 300, t.size))] + \
                   [(f"reversed speech {i}", x) for i, x in enumerate(rev)]:
        path = os.path.join(tmp, name.replace(" ", "-") + ".wav")
        write_wav(path, x)
        items.append(("no speech", "", path))

    with ThreadPoolExecutor(a.jobs) as pool:
        outs = list(pool.map(lambda it: transcribe(a.sotto, a.model, it[2]), items))

    res = {}
    for (kind, ref, _), out in zip(items, outs):
        r = res.setdefault(kind, {"right": [], "wrong": [], "right_marked": 0, "wrong_marked": 0, "phrases": [],
                                  "flags": {}, "examples": []})
        words = [w for s in out["segments"] for w in s["words"]]
        ok = align([w["text"] for w in words], ref.split()) if ref else [False] * len(words)
        for w, good in zip(words, ok):
            r["right" if good else "wrong"].append(w["confidence"])
            r["right_marked" if good else "wrong_marked"] += int(w["uncertain"])
        k = 0
        for s in out["segments"]:
            n = len(s["words"])
            good = sum(ok[k:k + n])
            k += n
            mean = float(np.mean([w["confidence"] for w in s["words"]])) if n else 1.0
            r["phrases"].append({"right_frac": good / n if n else 1.0, "mean_conf": round(mean, 3), "words": n,
                                 "wps": round(n / max(1e-9, s["end"] - s["start"]), 2), "text": s["text"],
                                 "flags": [f["kind"] for f in s["flags"]]})
            for f in s["flags"]:
                r["flags"][f["kind"]] = r["flags"].get(f["kind"], 0) + 1
        if len(r["examples"]) < 4:
            r["examples"].append({"ref": ref, "hyp": " ".join(s["text"] for s in out["segments"])})

    summary = {}
    for kind, r in res.items():
        good_ph = [x for x in r["phrases"] if x["right_frac"] >= 0.5]
        bad_ph = [x for x in r["phrases"] if x["right_frac"] < 0.5]
        s = summary[kind] = {
            "words_right": len(r["right"]), "words_wrong": len(r["wrong"]),
            "conf_right_pct": pct(r["right"]), "conf_wrong_pct": pct(r["wrong"]),
            "right_marked_uncertain": r["right_marked"], "wrong_marked_uncertain": r["wrong_marked"],
            "phrases_mostly_right": len(good_ph), "phrases_mostly_wrong": len(bad_ph),
            "phrase_mean_conf_mostly_right_pct": pct([x["mean_conf"] for x in good_ph]),
            "phrase_mean_conf_mostly_wrong_pct": pct([x["mean_conf"] for x in bad_ph]),
            "mostly_wrong_phrases_flagged": sum(1 for x in bad_ph if x["flags"]),
            "mostly_right_phrases_flagged_whole": sum(1 for x in good_ph if "low_phrase_confidence" in x["flags"]),
            "words_per_second_max": max([x["wps"] for x in r["phrases"]], default=0),
            # share of right / wrong words under each word threshold, of mostly right / wrong phrases under each
            # mean-confidence threshold
            "words_under": {t: [round(float(np.mean(np.array(r["right"]) < t)), 4) if r["right"] else None,
                                round(float(np.mean(np.array(r["wrong"]) < t)), 4) if r["wrong"] else None]
                            for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)},
            "phrases_under": {t: [sum(x["mean_conf"] < t for x in good_ph), sum(x["mean_conf"] < t for x in bad_ph)]
                              for t in (0.7, 0.9, 0.93, 0.95, 0.97)},
            "flags": r["flags"], "examples": r["examples"],
        }
        print(f"== {kind}: {s['words_right']} right words, {s['words_wrong']} wrong")
        print(f"   confidence percentiles (5/25/50/75/95) right: {s['conf_right_pct']}  wrong: {s['conf_wrong_pct']}")
        print(f"   marked uncertain: right {s['right_marked_uncertain']}/{s['words_right']}, "
              f"wrong {s['wrong_marked_uncertain']}/{s['words_wrong']}")
        print(f"   phrases mostly right {s['phrases_mostly_right']} (mean conf {s['phrase_mean_conf_mostly_right_pct']}), "
              f"mostly wrong {s['phrases_mostly_wrong']} (mean conf {s['phrase_mean_conf_mostly_wrong_pct']}, "
              f"{s['mostly_wrong_phrases_flagged']} flagged)")
        print(f"   right/wrong words under t: {s['words_under']}")
        print(f"   mostly right/wrong phrases with mean confidence under t: {s['phrases_under']}")
        print(f"   right phrases flagged whole: {s['mostly_right_phrases_flagged_whole']}; "
              f"max words/s {s['words_per_second_max']}; flags {s['flags']}")
        for e in s["examples"][:2]:
            print(f"   ref: {e['ref'][:150]}\n   hyp: {e['hyp'][:150]}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "phrases": {k: r["phrases"] for k, r in res.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
