"""facts.py — fact-level metrics of a generated note against its reference note (eval.py uses them).

Facts: the note's leaf values (strings, numbers, booleans, enum choices; not null) keyed by their field path
without list indices ("medications[].dose"); a string value that is a list written out ("heart rate 88, chest
clear", "advice; advice") is one fact per part (split at ", " and "; "). Values are normalised: lowercase,
punctuation other than inside numbers and dates dropped, whitespace collapsed. Matching is a multiset
intersection of (key, value) pairs.

  fact_scores(hyp, ref, transcript) -> {"tp", "n_hyp", "n_ref", "invented", "invented_paths",
      "abst": [(ref_is_null, hyp_is_null)]}
  - precision = tp / n_hyp, recall = tp / n_ref (summed over a test set);
  - invented: hypothesis facts that match no reference fact and have a word or number the transcript does not
    contain (a miscopied number, a made-up name; an unmatched fact whose words are all in the transcript is a
    precision error but not an invention); invented_paths: their JSON pointers (to ask the support check
    whether it flagged them);
  - abstention: per scalar field of the schema's top level and of list items present in both notes, whether
    the reference is null and whether the hypothesis is null.
"""
import re

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_PUNCT = re.compile(r"[^a-z0-9%./\- ]+")
_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?")


def norm(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v).lower()
    s = _PUNCT.sub(" ", s)
    s = re.sub(r"(?<!\d)[./\-]|[./\-](?!\d)", " ", s)
    return " ".join(s.split())


def _leaves(v, key="", ptr=""):
    """(key, pointer, value) of every non-null scalar."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _leaves(x, f"{key}.{k}" if key else k, f"{ptr}/{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _leaves(x, key + "[]", f"{ptr}/{i}")
    elif v is not None:
        yield key, ptr, v


def facts(note):
    """[(key, normalised value, pointer)] of a note (a non-object gives none)."""
    if not isinstance(note, dict):
        return []
    out = []
    for key, ptr, v in _leaves(note):
        parts = re.split(r", |; ", v) if isinstance(v, str) else [v]
        for p in parts:
            n = norm(p)
            if n:
                out.append((key, n, ptr))
    return out


def _scalars(v, s, ptr=""):
    """(pointer, value) of the scalar fields (not lists, not objects) of v, recursing into list items."""
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, dict):
                yield from _scalars(x, None, f"{ptr}/{k}")
            elif isinstance(x, list):
                for i, y in enumerate(x):
                    if isinstance(y, dict):
                        yield from _scalars(y, None, f"{ptr}/{k}/{i}")
            else:
                yield f"{ptr}/{k}", x


def transcript_words(transcript):
    t = SLASH_DATE.sub(lambda m: f"{int(m[1])} {MONTHS[int(m[2]) - 1] if 1 <= int(m[2]) <= 12 else m[2]} {m[3]}",
                       transcript)
    return set(_WORD.findall(t.lower()))


def _invented(value, have):
    d = ISO_DATE.match(value)
    if d and 1 <= int(d[2]) <= 12:
        value = f"{int(d[3])} {MONTHS[int(d[2]) - 1]} {d[1]}"
    num_words = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10"}
    for w in _WORD.findall(value):
        if w not in have and num_words.get(w) not in have and w not in ("true", "false"):
            return True
    return False


def fact_scores(hyp, ref, transcript):
    hf, rf = facts(hyp), facts(ref)
    pool = {}
    for k, v, _ in rf:
        pool[(k, v)] = pool.get((k, v), 0) + 1
    tp, unmatched = 0, []
    for k, v, p in hf:
        if pool.get((k, v), 0) > 0:
            pool[(k, v)] -= 1
            tp += 1
        else:
            unmatched.append((k, v, p))
    have = transcript_words(transcript)
    inv = [(k, v, p) for k, v, p in unmatched if _invented(v, have)]
    abst = []
    if not isinstance(hyp, dict):  # no note: every decision counts as wrong
        abst = [(rv is None, rv is not None) for _, rv in _scalars(ref, None)]
    else:
        hs = dict(_scalars(hyp, None))
        for ptr, rv in _scalars(ref, None):
            if ptr in hs:
                abst.append((rv is None, hs[ptr] is None))
    return {"tp": tp, "n_hyp": len(hf), "n_ref": len(rf), "invented": len(inv),
            "invented_paths": sorted({p for _, _, p in inv}), "abst": abst}


def summarise(rows):
    """Set-level fact metrics from fact_scores rows (None rows: no parsable note; their reference facts count
    as missed and their scalar fields as wrong abstention decisions)."""
    tp = sum(r["tp"] for r in rows)
    n_hyp = sum(r["n_hyp"] for r in rows)
    n_ref = sum(r["n_ref"] for r in rows)
    pairs = [a for r in rows for a in r["abst"]]
    null_ref = [h for rnull, h in pairs if rnull]
    said_ref = [h for rnull, h in pairs if not rnull]
    return {"fact_precision": tp / n_hyp if n_hyp else 0.0, "fact_recall": tp / n_ref if n_ref else 0.0,
            "abstention_acc": sum(rn == hn for rn, hn in pairs) / len(pairs) if pairs else 0.0,
            "null_recall": sum(null_ref) / len(null_ref) if null_ref else float("nan"),
            "false_null": sum(said_ref) / len(said_ref) if said_ref else float("nan"),
            "n_null_ref": len(null_ref)}
