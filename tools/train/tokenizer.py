"""tokenizer.py — a small byte-level BPE trained from scratch on the synthetic corpus, in the form the engine
reads from GGUF (tokenizer.ggml.model "gpt2", pre "gpt2", tokens, merges, token_type).

  - bytes map to printable characters with the GPT-2 byte mapping; ids 0..255 are the 256 byte tokens;
  - text is pre-split with the GPT-2 pattern ('s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|
    \\s+(?!\\S)|\\s+), here with Python's `re` classes (letters [^\\W\\d_], numbers \\d), exact for ASCII text;
  - training: repeatedly merge the most frequent adjacent pair over the pre-split word counts (ties broken by
    the pair's strings, so the result is deterministic); merge r is rank r, its result token id 256 + r;
  - special tokens (ChatML): <|endoftext|> (bos), <|im_start|>, <|im_end|> (eos / end of turn) come last,
    stored as control tokens (type 3) so the engine matches them in prompt text.

Usage: /usr/bin/python3 tools/train/tokenizer.py CORPUS.jsonl OUT.json [--merges N]
"""
import argparse
import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref"))
from export import gpt2_byte_map  # noqa: E402

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
PRESPLIT = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")
SPECIAL_SPLIT = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


BYTE = gpt2_byte_map()
UNBYTE = {c: b for b, c in BYTE.items()}


def _word(piece):
    return tuple(BYTE[b] for b in piece.encode("utf-8"))


def train(texts, n_merges):
    """Returns the list of merges [(left, right)] learned from `texts` (specials excluded)."""
    counts = collections.Counter()
    for t in texts:
        for part in SPECIAL_SPLIT.split(t):
            if part and part not in SPECIALS:
                counts.update(PRESPLIT.findall(part))
    words = {_word(w): c for w, c in counts.items()}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        nw = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] = nw.get(tuple(out), 0) + c
        words = nw
    return merges


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.rank = {m: r for r, m in enumerate(self.merges)}
        self.tokens = [BYTE[b] for b in range(256)]
        seen = set(self.tokens)
        for a, b in self.merges:
            if a + b not in seen:  # two merges can spell the same string; one token
                seen.add(a + b)
                self.tokens.append(a + b)
        self.n_normal = len(self.tokens)
        self.tokens += SPECIALS
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.bos, self.eos = self.id["<|endoftext|>"], self.id["<|im_end|>"]
        self.cache = {}

    @property
    def vocab_size(self):
        return len(self.tokens)

    def _bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        w = list(_word(piece))
        while len(w) > 1:
            r, i = min((self.rank.get((w[i], w[i + 1]), 1 << 30), i) for i in range(len(w) - 1))
            if r == 1 << 30:
                break
            w[i:i + 2] = [w[i] + w[i + 1]]
        ids = [self.id[s] for s in w]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for part in SPECIAL_SPLIT.split(text):
            if part in SPECIALS:
                out.append(self.id[part])
            elif part:
                for p in PRESPLIT.findall(part):
                    out += self._bpe(p)
        return out

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            t = self.tokens[i]
            data += t.encode() if i >= self.n_normal else bytes(UNBYTE[c] for c in t)
        return data.decode("utf-8", errors="replace")

    def save(self, path):
        with open(path, "w") as f:
            json.dump({"merges": [list(m) for m in self.merges]}, f)

    @staticmethod
    def load(path):
        with open(path) as f:
            return Tokenizer(json.load(f)["merges"])

    def add_to_gguf(self, g, vocab_size):
        """Writes the tokenizer metadata with a ggufw.Writer; pads the vocabulary to the model's vocab_size with
        unused tokens (type 5) so the embedding can have a rounder row count."""
        assert vocab_size >= self.vocab_size, (vocab_size, self.vocab_size)
        toks = self.tokens + [f"<|unused_{i}|>" for i in range(vocab_size - self.vocab_size)]
        types = [1] * self.n_normal + [3] * len(SPECIALS) + [5] * (vocab_size - self.vocab_size)
        g.string("tokenizer.ggml.model", "gpt2")
        g.string("tokenizer.ggml.pre", "gpt2")
        g.strings("tokenizer.ggml.tokens", toks)
        g.i32s("tokenizer.ggml.token_type", types)
        g.strings("tokenizer.ggml.merges", [f"{a} {b}" for a, b in self.merges])
        g.u32("tokenizer.ggml.bos_token_id", self.bos)
        g.u32("tokenizer.ggml.eos_token_id", self.eos)
        g.u32("tokenizer.ggml.eot_token_id", self.eos)
        g.boolean("tokenizer.ggml.add_bos_token", False)


def main():
    import datagen
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--merges", type=int, default=2000)
    a = ap.parse_args()
    with open(a.corpus) as f:
        texts = [datagen.train_text(json.loads(line)) for line in f]
    tok = Tokenizer(train(texts, a.merges))
    tok.save(a.out)
    print(f"tokenizer: {len(tok.merges)} merges, vocab {tok.vocab_size}")


if __name__ == "__main__":
    main()
