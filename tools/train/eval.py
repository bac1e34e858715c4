"""eval.py — metrics of generated structured notes against the references, and generation through the torch
model or the engine (`sotto generate`, greedy).

  rouge(hyp, ref): ROUGE-1/2/L F1 over lowercase alphanumeric words (L from the longest common subsequence);
  schema_errors(value, schema): the JSON Schema subset the note templates use (independent of the engine's
      grammar: type, enum, const, string length and format date, bounds, items and counts, properties);
  hallucinated(note, transcript): the note's fact tokens absent from the transcript, fact tokens being numbers,
      capitalised words and words of 6+ letters in the note's values (so paraphrase glue is not counted);
  facts.py: fact-level precision and recall against the reference note, invented facts per note, abstention
      (null where the reference is null, a value where one was stated); with the engine, invented facts the
      support check flags (`sotto note --check`).

Usage: /usr/bin/python3 tools/train/eval.py DATA.jsonl (--ckpt CKPT.pt --tokenizer TOK.json | --gguf M.gguf
       [--mode note|free] [--sotto build/sotto] [--ctx 4096] [--check]) [--n 50] [--max-new 400]
       [--json OUT.json]
Prints per-domain and overall: rouge1/2/L, json (a complete, parsable note), schema-valid fraction, hallucinated
fact tokens per note, fact precision / recall, invented facts per note (and flagged by the check with --check),
abstention accuracy, null recall (reference null -> null) and false nulls (a stated fact -> null).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

import facts

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
    if "anyOf" in s:
        branches = [schema_errors(v, b, path) for b in s["anyOf"]]
        return [] if any(not e for e in branches) else [f"{path}: matches no anyOf branch ({branches[0][0]})"]
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if _type_ok(v, x)), None)
        if t is None:
            return [f"{path}: expected one of {s['type']}"]
    if not _type_ok(v, t):
        return [f"{path}: expected {t}"]
    if v is None:
        return [f"{path}: not one of {s['enum']}"] if "enum" in s and None not in s["enum"] else []
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
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append(f"{path}: does not match {s['pattern']}")
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


def _type_ok(v, t):
    return {"object": isinstance(v, dict), "array": isinstance(v, list), "string": isinstance(v, str),
            "integer": isinstance(v, int) and not isinstance(v, bool), "boolean": isinstance(v, bool),
            "number": isinstance(v, (int, float)) and not isinstance(v, bool), "null": v is None, None: True}[t]


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
    m["facts"] = facts.fact_scores(note, ex["note"], ex["transcript"])
    m["invented"] = float(m["facts"]["invented"])
    return m


def generate_engine(sotto, gguf, prompt, max_new):
    """Free (unconstrained) greedy generation by `sotto generate` on the prompt text."""
    r = subprocess.run([sotto, "generate", "-m", gguf, "-p", prompt, "-n", str(max_new), "--temp", "0", "-q",
                        "--seed", "1", "-t", "1"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sotto generate failed: {r.stderr.strip()}")
    return r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout


def note_engine(sotto, gguf, ex, max_new, ctx=4096, evidence=None):
    """The product path: `sotto note` (greedy, constrained by the template's schema) on the transcript, with the
    example's visit date when it has one; `evidence` "on"/"off" passes --evidence (None: the engine's default)."""
    visit = ["--visit-date", ex["visit_date"]] if ex.get("visit_date") else []
    visit += ["--evidence", evidence] if evidence else []
    r = subprocess.run([sotto, "note", "--transcript", "-", "--template", ex["domain"], "-m", gguf, "--format",
                        "json", "-q", "-t", "1", "--max-tokens", str(max_new), "--ctx-size", str(ctx)] + visit,
                       input=ex["transcript"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sotto note failed: {r.stderr.strip()}")
    return note_json_compact(r.stdout)


def flagged_paths(sotto, ex, note):
    """JSON pointers the support check (`sotto note --check`, with the template's schema) flags in the note."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        np, tp = os.path.join(d, "note.json"), os.path.join(d, "t.txt")
        with open(np, "w") as f:
            json.dump(note, f)
        with open(tp, "w") as f:
            f.write(ex["transcript"])
        r = subprocess.run([sotto, "note", "--check", np, "--transcript", tp, "--template", ex["domain"],
                            "--format", "json"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sotto note --check failed: {r.stderr.strip()}")
    return {s["path"] for s in json.loads(r.stdout)["support"] if s["flagged"]}


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


def evaluate(exs, gen, jobs=1, check=None):
    """Means per domain and overall of score(ex, gen(ex)) -> {group: {metric: mean}}, plus n and the set-level
    fact metrics (facts.summarise); check(ex, note) -> flagged pointers, to count flagged invented facts."""
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
        m = score(ex, text)
        fs = m.pop("facts")
        if check and fs["invented_paths"]:
            try:
                flagged = check(ex, json.loads(text))
            except (RuntimeError, ValueError) as e:
                print(f"error: {e}", file=sys.stderr)
                flagged = set()
            m["invented_flagged"] = float(sum(p in flagged for p in fs["invented_paths"]))
            m["invented_paths"] = float(len(fs["invented_paths"]))
        elif check:
            m["invented_flagged"] = m["invented_paths"] = 0.0
        for g in (ex["domain"], "all"):
            for k, v in m.items():
                per[g][k].append(v)
            per[g]["_facts"].append(fs)
    out = {}
    for d, ms in per.items():
        fl = ms.pop("_facts")
        out[d] = dict({k: sum(v) / len(v) for k, v in ms.items()}, **facts.summarise(fl), n=len(fl),
                      words=sum(len(e["transcript"].split()) for e in exs if d in ("all", e["domain"])) / len(fl))
    return out


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
    ap.add_argument("--ctx", type=int, default=4096, help="with --gguf --mode note: the engine's context size")
    ap.add_argument("--evidence", choices=["on", "off"], help="with --gguf --mode note: sotto note --evidence "
                    "(evidence-constrained decoding; default: the engine's default)")
    ap.add_argument("--check", action="store_true", help="with --gguf: count the invented facts the support "
                    "check flags (sotto note --check)")
    a = ap.parse_args()
    with open(a.data) as f:
        exs = [json.loads(line) for line in f][:a.n]
    if a.gguf and a.mode == "note":
        gen = lambda ex: note_engine(a.sotto, a.gguf, ex, a.max_new, a.ctx, a.evidence)  # noqa: E731
    elif a.gguf:
        gen = lambda ex: generate_engine(a.sotto, a.gguf, datagen.prompt_text(ex), a.max_new)  # noqa: E731
    else:
        import train
        model, tok = train.load_for_eval(a.ckpt, a.tokenizer)
        gen = lambda ex: tok.decode(greedy_torch(model, tok.encode(datagen.prompt_text(ex)), a.max_new,  # noqa
                                                 tok.eos))
    check = (lambda ex, note: flagged_paths(a.sotto, ex, note)) if a.check and a.gguf else None
    res = evaluate(exs, gen, a.jobs if a.gguf else 1, check)
    for d, ms in res.items():
        print(d.ljust(9), " ".join(f"{k} {v:.3f}" for k, v in ms.items() if k not in ("n", "n_null_ref")),
              f"(n={ms['n']})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
