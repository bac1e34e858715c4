"""datagen_stats.py — how diverse datagen.py's training family is, and how much of the held-out family's phrasing
it covers. Measured on the generated text only (transcript and reference note), so it runs unchanged on any
version of the generator (--src: a folder holding another datagen.py and its lists).

  - skeletons: each transcript sentence that holds a fact of its note, with every fact value found in it replaced
    by its field's slot (`<medications[].dose>`), digits by '#', the speaker label dropped, lowercased; distinct
    skeletons per field over the training examples (fillers and false starts are switched off for this count,
    so that it counts wordings, not where an "um" fell);
  - 4-grams: distinct word 4-grams per 1,000 words over the training transcripts as generated (with fillers),
    and over their skeletons (values replaced: the phrasing alone, not the made-up names);
  - seen frames: of the held-out test examples' facts found in their transcript, the share whose frame (the 3
    words before and the 3 after, within the sentence, other values as slots) occurs around the same field
    anywhere in training; "left": the 3 words before alone;
  - lengths: words of the medium conversations; with --tok, tokens of datagen.train_text (prompt and note) of
    every training example against the 1,024-token training sequence.
A value is found when it, or each of its parts (split at ", ", "; ", " and "), occurs in the sentence word for word;
dates (ISO in the note, spoken in the transcript) are not matched: a spoken date is the word "datex" in a skeleton.

Usage: /usr/bin/python3 tools/train/datagen_stats.py [--n 5000] [--n-heldout 1000] [--src DIR] [--tok TOK.json]
       [--json OUT.json]
"""
import argparse
import collections
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_SENT = re.compile(r"(?<=[.?!])\s+|\n")
_TOK = re.compile(r"<[^>]+>|[a-z0-9]+(?:[.,/][0-9]+)*%?|'[a-z]+")
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9 .'-]{0,30}:\s")
_M = "(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_DATE = re.compile(rf"\bthe \d{{1,2}}(?:st|nd|rd|th) of {_M} \d{{4}}|\b{_M} \d{{1,2}}, \d{{4}}|\b\d{{1,2}} {_M} \d{{4}}|"
                   r"\b\d{1,2}/\d{1,2}/\d{4}", re.I)


def words(s):
    return _TOK.findall(s.lower())


def leaf_values(v, key=""):
    """(field, value words) of every non-null leaf; strings also as their parts."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaf_values(x, f"{key}.{k}" if key else k)
    elif isinstance(v, list):
        for x in v:
            yield from leaf_values(x, key + "[]")
    elif isinstance(v, str) and not re.match(r"^\d{4}-\d\d-\d\d$", v):
        parts = {v} | set(re.split(r", |; ", v))
        parts |= {q for p in list(parts) for q in p.split(" and ")}
        for p in parts:
            w = words(p)
            if w:
                yield key, w
    elif isinstance(v, int) and not isinstance(v, bool):
        yield key, [str(v)]


def skeletonise(ex):
    """[(fields in the sentence, skeleton words)] of the transcript's sentences that hold a fact."""
    vals = sorted(set((k, tuple(w)) for k, w in leaf_values(ex["note"])), key=lambda kv: -len(kv[1]))
    out = []
    for sent in _SENT.split(ex["transcript"]):
        sent = _DATE.sub("datex", _LABEL.sub("", sent.strip()))
        w = words(sent)
        fields = []
        for k, v in vals:
            n, i = len(v), 0
            while i + n <= len(w):
                if tuple(w[i:i + n]) == v:
                    w[i:i + n] = [f"<{k}>"]
                    fields.append(k)
                i += 1
        if fields:
            out.append((fields, [re.sub(r"\d", "#", x) for x in w]))
    return out


def frames(skel, k=3):
    """(field, left words, right words) of every slot of a skeleton."""
    fields, w = skel
    pad = ["<s>"] * k + w + ["</s>"] * k
    for i, x in enumerate(pad):
        if x.startswith("<") and x.endswith(">") and x not in ("<s>", "</s>"):
            yield x[1:-1], tuple(pad[i - k:i]), tuple(pad[i + 1:i + 1 + k])


def fourgrams(seqs):
    grams, n = set(), 0
    for w in seqs:
        n += len(w)
        grams.update(zip(w, w[1:], w[2:], w[3:]))
    return 1000 * len(grams) / max(n, 1)


def measure(dg, n, n_held, tok=None):
    t0 = time.time()
    raw = dg.split("train", n, "mixed", "mixed")
    secs = time.time() - t0
    real_disfluent = dg.disfluent
    dg.disfluent = lambda r, text, rate: text  # wordings, not filler positions
    try:
        clean = dg.split("train", n, "mixed", "mixed")
        held = dg.split("test-heldout", n_held, "mixed", "mixed")
    finally:
        dg.disfluent = real_disfluent
    per_field = collections.defaultdict(set)
    seen_frame, seen_left = set(), set()
    skel_words = []
    for ex in clean:
        for s in skeletonise(ex):
            skel_words.append(s[1])
            for f in s[0]:
                per_field[f].add(" ".join(s[1]))
            for f, left, right in frames(s):
                seen_frame.add((f, left, right))
                seen_left.add((f, left))
    found = hit_frame = hit_left = n_facts = 0
    for ex in held:
        n_facts += sum(1 for _ in leaf_values(ex["note"]))
        for s in skeletonise(ex):
            for f, left, right in frames(s):
                found += 1
                hit_frame += (f, left, right) in seen_frame
                hit_left += (f, left) in seen_left
    counts = {f: len(v) for f, v in sorted(per_field.items())}
    med = [e["words"] for e in raw if e["length"] == "medium" and e["style"] == "conversation"]
    med.sort()
    out = {"n": n, "seconds_to_generate": round(secs, 2),
           "skeletons_per_field": counts,
           "skeletons_median_field": sorted(counts.values())[len(counts) // 2] if counts else 0,
           "skeletons_min_field": min(counts.values()) if counts else 0,
           "fourgrams_per_1000_words": round(fourgrams(words(e["transcript"]) for e in raw), 1),
           "skeleton_fourgrams_per_1000_words": round(fourgrams(skel_words), 1),
           "heldout_n": n_held, "heldout_frames": found,
           "heldout_frames_seen": round(hit_frame / max(found, 1), 3),
           "heldout_left_seen": round(hit_left / max(found, 1), 3),
           "medium_conversation_words": {"n": len(med), "median": med[len(med) // 2] if med else 0,
                                         "p99": med[int(len(med) * 0.99)] if med else 0,
                                         "max": med[-1] if med else 0}}
    if tok:
        lens = sorted(len(tok.encode(dg.train_text(e))) for e in raw)
        out["train_text_tokens"] = {"median": lens[len(lens) // 2], "p99": lens[int(len(lens) * 0.99)],
                                    "max": lens[-1], "over_1024": sum(x > 1024 for x in lens)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--n-heldout", type=int, default=1000)
    ap.add_argument("--src", default=HERE, help="folder of the datagen.py to measure")
    ap.add_argument("--tok", help="a tokenizer.py JSON: token lengths of the training texts")
    ap.add_argument("--json", help="write the numbers here too")
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.src))
    import datagen as dg
    tok = None
    if a.tok:
        sys.path.insert(0, HERE)  # this tree's tokenizer, whatever --src is
        import tokenizer
        tok = tokenizer.Tokenizer.load(a.tok)
    res = measure(dg, a.n, a.n_heldout, tok)
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
