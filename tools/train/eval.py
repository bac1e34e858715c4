"""eval.py — metrics of generated structured notes against the references, and generation through the torch
model or the engine (`sotto generate`, greedy).

  rouge(hyp, ref): ROUGE-1/2/L F1 over lowercase alphanumeric words (L from the longest common subsequence);
  schema_errors(value, schema): the JSON Schema subset the note templates use (independent of the engine's
      grammar: type, enum, const, string length and format date, bounds, items and counts, properties);
  hallucinated(note, transcript): the note's fact tokens absent from the transcript, fact tokens being numbers,
      capitalised words and words of 6+ letters in the note's values (so paraphrase glue is not counted).

Usage: /usr/bin/python3 tools/train/eval.py DATA.jsonl (--ckpt CKPT.pt --tokenizer TOK.json | --gguf M.gguf
       [--mode note|free] [--sotto build/sotto]) [--n 50] [--max-new 400] [--json OUT.json]
Prints per-domain and overall means: rouge1/2/L, schema-valid fraction, hallucinated facts per note.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORD = re.compile(r"[a-z0-9]+")
FACT = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+")


def _ngrams(w, n):
    return collections.Counter(tuple(w[i:i + n]) for i in range(len(w) - n + 1))


def _f1(overlap, n_hyp, n_ref):
    if overlap == 0 or n_hyp == 0 or n_ref == 0:
        return 0.0
    p, r = overlap / n_hyp, overlap / n_ref
    return 2 * p * r / (p + r)


def _lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge(hyp, ref):
    h, r = WORD.findall(hyp.lower()), WORD.findall(ref.lower())
    out = {}
    for n in (1, 2):
        hc, rc = _ngrams(h, n), _ngrams(r, n)
        out[f"rouge{n}"] = _f1(sum((hc & rc).values()), sum(hc.values()), sum(rc.values()))
    out["rougeL"] = _f1(_lcs(h, r), len(h), len(r))
    return out


def schema_errors(v, s, path="$"):
    """Errors of value v under schema s: the keywords the note templates use (type, enum, const, string length
    and format date, integer/number bounds, array items and counts, object properties/required/additional)."""
    t = s.get("type")
    ok = {"object": isinstance(v, dict), "array": isinstance(v, list), "string": isinstance(v, str),
          "integer": isinstance(v, int) and not isinstance(v, bool), "boolean": isinstance(v, bool),
          "number": isinstance(v, (int, float)) and not isinstance(v, bool), "null": v is None, None: True}[t]
    if not ok:
        return [f"{path}: expected {t}"]
    errs = []
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: not one of {s['enum']}")
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: not {s['const']!r}")
    if t == "string":
        if not s.get("minLength", 0) <= len(v) <= s.get("maxLength", len(v)):
            errs.append(f"{path}: length {len(v)} out of bounds")
        if s.get("format") == "date" and not _is_date(v):
            errs.append(f"{path}: not a date")
    if t in ("integer", "number"):
        if v < s.get("minimum", v) or v > s.get("maximum", v):
            errs.append(f"{path}: {v} out of bounds")
    if t == "array":
        if not s.get("minItems", 0) <= len(v) <= s.get("maxItems", len(v)):
            errs.append(f"{path}: {len(v)} items out of bounds")
        for i, x in enumerate(v):
            errs += schema_errors(x, s.get("items", {}), f"{path}[{i}]")
    if t == "object":
        props = s.get("properties", {})
        errs += [f"{path}: missing {k}" for k in s.get("required", []) if k not in v]
        for k, x in v.items():
            if k in props:
                errs += schema_errors(x, props[k], f"{path}.{k}")
            elif s.get("additionalProperties", True) is False:
                errs.append(f"{path}: unexpected {k}")
    return errs


def _is_date(v):
    import datetime
    try:
        return len(v) == 10 and datetime.date.fromisoformat(v) is not None
    except ValueError:
        return False


def _leaves(v, s):
    """The fact-bearing values of v: strings and numbers, except choices the schema `s` fixes (enum, const)."""
    s = s or {}
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _leaves(x, s.get("properties", {}).get(k))
    elif isinstance(v, list):
        for x in v:
            yield from _leaves(x, s.get("items"))
    elif not isinstance(v, bool) and v is not None and "enum" not in s and "const" not in s:
        yield str(v)


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def hallucinated(note, transcript, schema=None):
    """Fact tokens of the note's values that the transcript does not contain (values the schema fixes as enum
    or const are choices, not facts). An ISO date counts as its day, month name and year; the transcript's
    d/m/yyyy dates are read the same way."""
    transcript = SLASH_DATE.sub(lambda m: f"{int(m[1])} {MONTHS[int(m[2]) - 1] if 1 <= int(m[2]) <= 12 else m[2]} "
                                          f"{m[3]}", transcript)
    have = {t.lower() for t in FACT.findall(transcript)}
    out = []
    for leaf in _leaves(note, schema):
        d = ISO_DATE.match(leaf)
        if d and 1 <= int(d[2]) <= 12:
            leaf = f"{int(d[3])} {MONTHS[int(d[2]) - 1].capitalize()} {d[1]}"
        for t in FACT.findall(leaf):
            if (t[0].isdigit() or t[0].isupper() or len(t) >= 6) and t.lower() not in have:
                out.append(t)
    return out


def score(ex, text):
    """Metrics of one generated note text against the example's reference."""
    import datagen
    m = rouge(text, datagen.note_json(ex["note"]))
    try:
        note = json.loads(text)
    except ValueError:
        note = None
    m["json"] = float(note is not None)
    m["schema_valid"] = float(note is not None and not schema_errors(note, datagen.schema(ex["domain"])))
    m["hallucinated"] = float(len(hallucinated(note, ex["transcript"], datagen.schema(ex["domain"])))) if note is not None else 0.0
    return m


def generate_engine(sotto, gguf, prompt, max_new):
    """Free (unconstrained) greedy generation by `sotto generate` on the prompt text."""
    r = subprocess.run([sotto, "generate", "-m", gguf, "-p", prompt, "-n", str(max_new), "--temp", "0", "-q",
                        "--seed", "1", "-t", "1"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sotto generate failed: {r.stderr.strip()}")
    return r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout


def note_engine(sotto, gguf, ex, max_new):
    """The product path: `sotto note` (greedy, constrained by the template's schema) on the transcript."""
    r = subprocess.run([sotto, "note", "--transcript", "-", "--template", ex["domain"], "-m", gguf, "--format",
                        "json", "-q", "-t", "1", "--max-tokens", str(max_new)], input=ex["transcript"], capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sotto note failed: {r.stderr.strip()}")
    return note_json_compact(r.stdout)


def note_json_compact(text):
    """The JSON text re-serialised like the references (for ROUGE on equal footing); unchanged if invalid."""
    import datagen
    try:
        return datagen.note_json(json.loads(text))
    except ValueError:
        return text


def greedy_torch(model, ids, max_new, stop):
    """Greedy continuation of `ids` with the torch Decoder (full recompute per token); stops at `stop`."""
    import torch
    out = list(ids)
    with torch.no_grad():
        for _ in range(max_new):
            nxt = int(model(torch.tensor([out]))[0, -1].argmax())
            if nxt == stop:
                break
            out.append(nxt)
    return out[len(ids):]


def evaluate(exs, gen, jobs=1):
    """Means per domain and overall of score(ex, gen(ex)) -> {group: {metric: mean}}, plus n."""
    from concurrent.futures import ThreadPoolExecutor
    def safe(ex):  # an engine failure scores as an invalid note and is reported, not fatal to the run
        try:
            return gen(ex)
        except RuntimeError as e:
            print(f"error: {e}", file=sys.stderr)
            return ""
    with ThreadPoolExecutor(jobs) as pool:
        texts = list(pool.map(safe, exs))
    per = collections.defaultdict(lambda: collections.defaultdict(list))
    for ex, text in zip(exs, texts):
        for k, v in score(ex, text).items():
            per[ex["domain"]][k].append(v)
            per["all"][k].append(v)
    return {d: dict({k: sum(v) / len(v) for k, v in ms.items()}, n=len(ms["json"])) for d, ms in per.items()}


def main():
    sys.path.insert(0, HERE)
    import datagen
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--ckpt")
    ap.add_argument("--tokenizer")
    ap.add_argument("--gguf")
    ap.add_argument("--mode", default="note", choices=["note", "free"],
                    help="with --gguf: the product path (sotto note, schema-constrained) or free generation")
    ap.add_argument("--sotto", default="build/sotto")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--max-new", type=int, default=400)
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--jobs", type=int, default=1, help="engine processes at a time")
    a = ap.parse_args()
    with open(a.data) as f:
        exs = [json.loads(line) for line in f][:a.n]
    if a.gguf and a.mode == "note":
        gen = lambda ex: note_engine(a.sotto, a.gguf, ex, a.max_new)  # noqa: E731
    elif a.gguf:
        gen = lambda ex: generate_engine(a.sotto, a.gguf, datagen.prompt_text(ex), a.max_new)  # noqa: E731
    else:
        import train
        model, tok = train.load_for_eval(a.ckpt, a.tokenizer)
        gen = lambda ex: tok.decode(greedy_torch(model, tok.encode(datagen.prompt_text(ex)), a.max_new,  # noqa
                                                 tok.eos))
    res = evaluate(exs, gen, a.jobs if a.gguf else 1)
    for d, ms in res.items():
        print(d.ljust(9), " ".join(f"{k} {v:.3f}" for k, v in ms.items() if k != "n"), f"(n={ms['n']})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
