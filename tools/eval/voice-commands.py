#!/usr/bin/env python3
"""Command accuracy of `sotto listen --bias` on espeak-ng speech (docs/voice.md "Biased decoding").

In-set utterances are the command set's phrases with slot values drawn at random (numbers as words); out-of-set
ones are scribe-like sentences (samples/*.txt) and general sentences that are not commands. Tuning and held-out
splits are disjoint in voices AND sentences. Each utterance is one WAV run through `sotto listen --bias
--bias-margin 1e9` (so every complete constrained hypothesis is reported); the decision of voice::choose() is then
replayed here for each margin (the constrained text is matched with `sotto listen --text`). The margin is chosen on
the tuning split (most in-set commands right with 0 wrong actions on tuning) and reported on the held-out split.

  /usr/bin/python3 tools/eval/voice-commands.py build/sotto [--set web/voice/factory.json] [--n 40] [--seed 1]
"""
import argparse, json, os, random, re, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()

def words(v):
    if v < 20: return UNITS[v]
    if v < 100: return TENS[v // 10] + ("-" + UNITS[v % 10] if v % 10 else "")
    return UNITS[v // 100] + " hundred" + (" and " + words(v % 100) if v % 100 else "")

GENERAL = [
    "What is the weather like today?", "Can you pass me the salt?", "The meeting has moved to Thursday.",
    "I left my keys on the kitchen table.", "Remind me to call my sister tonight.", "The train was twenty minutes late.",
    "How far is it to the station?", "Let us get lunch after the shift.", "The printer on the second floor is jammed.",
    "My coffee went cold again.", "Who parked in the loading area?", "The forklift needs new tyres.",
    "Open the window, it is warm in here.", "Tell me a joke about robots.", "Play some music in the break room.",
    "The delivery arrives at noon.", "We ran out of gloves in the store room.", "Has anyone seen my safety glasses?",
    "The new hire starts on Monday.", "Check the stock of blue paint.", "I think the belt is making a noise.",
    "Write down the serial number for me.", "Send the report to the manager.", "What time does the canteen close?",
    "The line speed looks fine to me.", "Stop by my office later.", "Turn the page and read the next part.",
    "Start from the beginning, please.", "Set the table for six people.", "Clear skies are expected tomorrow.",
    "Log in with your badge number.", "Cancel my dentist appointment.", "Switch the radio to the news.",
    "Status of the order is still pending.", "The lights in the car park are broken.", "Halt, who goes there?",
]

def scribe_sentences():
    out = []
    for name in ("visit-soap.txt", "hr-interview.txt", "visit-soap-conversation.txt"):
        text = open(os.path.join(ROOT, "samples", name)).read()
        text = re.sub(r"^\w+: ", "", text, flags=re.M)
        for s in re.split(r"(?<=[.?!])\s+", text):
            s = s.strip()
            if 3 <= len(s.split()) <= 14: out.append(s)
    return sorted(set(out))

def in_set_sentences(cmdset, rng, n):
    out = set()
    cmds = cmdset["commands"]
    tries = 0
    while len(out) < n and tries < 100 * n:
        tries += 1
        c = rng.choice(cmds)
        say = rng.choice(c["say"])
        def val(m):
            s = c["slots"][m.group(1)]
            if "enum" in s: return rng.choice(s["enum"])
            lo, hi = int(-(-s["minimum"] // 1)), int(s["maximum"] // 1)
            return words(rng.randint(lo, hi))
        t = re.sub(r"\{(\w+)\}", val, say)
        out.add(t[0].upper() + t[1:] + ".")
    return sorted(out)

def listen_text(sotto, setp, lines):
    r = subprocess.run([sotto, "listen", "--commands", setp, "--text"], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, check=True)
    return [json.loads(l) for l in r.stdout.splitlines()]

def key(j):
    return None if j.get("command") is None else (j["command"], json.dumps(j.get("slots", {}), sort_keys=True))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sotto")
    ap.add_argument("--set", default=os.path.join(ROOT, "web/voice/factory.json"))
    ap.add_argument("--n", type=int, default=40, help="in-set sentences (half tuning, half held-out)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write every utterance's result here")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    cmdset = json.load(open(a.set))
    ins = in_set_sentences(cmdset, rng, a.n)
    outs = scribe_sentences() + GENERAL
    rng.shuffle(ins); rng.shuffle(outs)
    outs = outs[:a.n]
    splits = {
        "tuning": {"voices": ["en-us", "en+m3", "en+f2"], "in": ins[0::2], "out": outs[0::2]},
        "held-out": {"voices": ["en-gb", "en-us+f4", "en+m7"], "in": ins[1::2], "out": outs[1::2]},
    }
    # What the text itself means (the expected action) and whether an out-of-set sentence is one by accident.
    truth = {t: key(j) for t, j in zip(ins + outs, listen_text(a.sotto, a.set, ins + outs))}
    rows = []
    tmp = tempfile.mkdtemp(prefix="voice-eval-")
    for split, sp in splits.items():
        for kind in ("in", "out"):
            for i, t in enumerate(sp[kind]):
                voice = sp["voices"][i % len(sp["voices"])]
                speed = [150, 175, 200][(i // len(sp["voices"])) % 3]
                wav = os.path.join(tmp, "u.wav")
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", wav, t], check=True)
                r = subprocess.run([a.sotto, "listen", "--commands", a.set, "--bias", "--bias-margin", "1e9", "-t", "1",
                                    wav], capture_output=True, text=True, check=True)
                js = [json.loads(l) for l in r.stdout.splitlines()]
                rows.append({"split": split, "kind": kind, "text": t, "voice": voice, "speed": speed,
                             "expected": truth[t], "phrases": js})
    # The constrained texts as the matcher reads them.
    ctexts = sorted({p.get("command_text", "") for r in rows for p in r["phrases"]})
    cmatch = {t: key(j) for t, j in zip(ctexts, listen_text(a.sotto, a.set, ctexts))}

    def free_key(p):  # the action without --bias: the free text matched
        return cmatch.get(p.get("heard", p["text"])) if p.get("decoded") == "command" else key(p)

    def action(r, margin, bias=True):
        acts = []
        for p in r["phrases"]:
            heard = p.get("heard", p["text"])
            f = free_key(p) if p.get("decoded") == "command" else key(p)
            if f is None and bias and p.get("logprob_command") is not None and \
               p["logprob_command"] >= p["logprob_free"] - margin:
                f = cmatch.get(p.get("command_text", ""))
            acts.append(f)
        acts = [x for x in acts if x is not None]
        return acts[0] if len(acts) == 1 else (None if not acts else "several")

    def score(split, margin, bias=True):
        ok = wrong_in = wrong_out = n_in = n_out = 0
        for r in rows:
            if r["split"] != split: continue
            act = action(r, margin, bias)
            if r["kind"] == "in":
                n_in += 1
                ok += act == r["expected"]
                wrong_in += act is not None and act != r["expected"]
            else:
                n_out += 1
                wrong_out += act is not None and act != r["expected"]
        return ok, n_in, wrong_in, wrong_out, n_out

    margins = sorted({0.0} | {round(p["logprob_free"] - p["logprob_command"] + 1e-6, 6) for r in rows for p in r["phrases"]
                      if p.get("logprob_command") is not None})
    best = (0.0, score("tuning", 0.0))
    for m in margins:
        s = score("tuning", m)
        if s[2] == 0 and s[3] == 0 and s[0] > best[1][0]: best = (m, s)
    margin = best[0]
    lat = {"free": [], "bias": []}
    for r in rows:
        for p in r["phrases"]:
            lat["bias"].append(p["latency_ms"]); lat["free"].append(p["latency_ms"] - p["bias_ms"])
    def pct(v, q): v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
    print(f"margin chosen on tuning: {margin:.3f} (0 wrong actions on tuning)")
    print("| split | decoding | in-set right | in-set wrong action | out-of-set wrong action |")
    print("| --- | --- | --- | --- | --- |")
    for split in ("tuning", "held-out"):
        for name, bias in (("free", False), ("--bias", True)):
            ok, n_in, wi, wo, n_out = score(split, margin, bias)
            print(f"| {split} | {name} | {ok}/{n_in} ({100 * ok / max(1, n_in):.0f}%) | {wi}/{n_in} | {wo}/{n_out} |")
    print(f"latency (end of phrase -> action), free: p50 {pct(lat['free'], .5):.1f} ms p95 {pct(lat['free'], .95):.1f} ms; "
          f"with --bias: p50 {pct(lat['bias'], .5):.1f} ms p95 {pct(lat['bias'], .95):.1f} ms")
    close = sum(1 for r in rows if r["kind"] == "in" for p in r["phrases"] if cmatch.get(p.get("command_text", "")) == r["expected"])
    print(f"in-set utterances whose constrained hypothesis is the right command (any margin): {close}/"
          f"{sum(1 for r in rows if r['kind'] == 'in')}")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)

if __name__ == "__main__":
    main()
