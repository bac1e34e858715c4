"""bert_ref.py — an independent PyTorch reference of the BERT encoder as a sentence embedder (the all-MiniLM-L6-v2 /
bge-small-en-v1.5 shape: Hugging Face BertModel + sentence-transformers pooling), and of BERT's WordPiece tokenizer
(Hugging Face's BertNormalizer + BertPreTokenizer + WordPiece, the fast tokenizer sentence-transformers use).
Written from the architecture's definition; no transformers import.

Model (post-LayerNorm, absolute positions, token types, GELU with erf), Hugging Face weight names:
  x = LayerNorm(word_embeddings[ids] + position_embeddings[0..T) + token_type_embeddings[0])
  per layer: a = softmax(q k^T / sqrt(hd) + mask) v (heads), x = LayerNorm(x + attention.output.dense(a));
             x = LayerNorm(x + output.dense(gelu(intermediate.dense(x))))
  pooling: CLS (row 0) or mean over the unmasked rows; then L2-normalised (F.normalize, eps 1e-12).
A padded batch uses an additive mask (-inf on padded keys), as Hugging Face's extended attention mask does.

Tokenizer: clean (drop NUL, U+FFFD, every C* but \\t \\n \\r; whitespace -> ' '), space out CJK ideographs, strip accents
(NFD, drop Mn) and lowercase (per character) when the vocabulary is uncased, split on whitespace and punctuation,
WordPiece (max 100 characters a word, longest match first, "##" continuations, a word with no split -> [UNK]).
"""
import math
import unicodedata

import torch

# ---- tokenizer


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def bert_words(text, lowercase=True, strip_accents=True):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        ws = ch in "\t\n\r" or _white_space(ch)
        if not ws and unicodedata.category(ch).startswith("C"):
            continue
        if ws:
            out.append(" ")
        elif _is_cjk(cp):
            out += [" ", ch, " "]
        else:
            out.append(ch)
    s = "".join(out)
    if strip_accents:
        s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
    if lowercase:
        s = "".join(c.lower() for c in s)
    words, cur = [], ""
    for ch in s:
        if ch == " " or _white_space(ch):
            if cur:
                words.append(cur)
            cur = ""
        elif _is_punct(ch):
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    return words


# The Unicode White_Space property (Rust's char::is_whitespace).
_WHITE_SPACE = set([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
                   + list(range(0x2000, 0x200B)))


def _white_space(ch):
    return ord(ch) in _WHITE_SPACE


def wordpiece(words, vocab, unk="[UNK]", max_chars=100):
    """vocab: {piece: id} in Hugging Face's spelling ("##" continuations)."""
    ids = []
    for w in words:
        if len(w) > max_chars:
            ids.append(vocab[unk])
            continue
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            found = None
            while end > start:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab:
                    found = vocab[sub]
                    break
                end -= 1
            if found is None:
                pieces = [vocab[unk]]
                break
            pieces.append(found)
            start = end
        ids += pieces
    return ids


def encode(text, vocab, lowercase=True):
    """[CLS] + WordPiece(text) + [SEP] (no special tokens parsed in the text)."""
    return [vocab["[CLS]"]] + wordpiece(bert_words(text, lowercase, lowercase), vocab) + [vocab["[SEP]"]]


# ---- model


def random_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    D, F, V, P, T = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"], \
        cfg["type_vocab_size"]

    def r(*shape, s=0.2):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * s

    W = {"embeddings.word_embeddings.weight": r(V, D, s=0.5), "embeddings.position_embeddings.weight": r(P, D, s=0.3),
         "embeddings.token_type_embeddings.weight": r(T, D, s=0.3),
         "embeddings.LayerNorm.weight": 1 + r(D, s=0.1), "embeddings.LayerNorm.bias": r(D, s=0.1)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, (o, n_in) in {"attention.self.query": (D, D), "attention.self.key": (D, D),
                                "attention.self.value": (D, D), "attention.output.dense": (D, D),
                                "intermediate.dense": (F, D), "output.dense": (D, F)}.items():
            W[p + name + ".weight"] = r(o, n_in, s=1.0 / math.sqrt(n_in))
            W[p + name + ".bias"] = r(o, s=0.1)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            W[p + name + ".weight"] = 1 + r(D, s=0.1)
            W[p + name + ".bias"] = r(D, s=0.1)
    return W


def _ln(x, W, p, eps):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], W[p + ".weight"], W[p + ".bias"], eps)


def _lin(x, W, p):
    return x @ W[p + ".weight"].T + W[p + ".bias"]


def forward(cfg, W, ids, mask):
    """ids, mask: [B, T] (mask 1 = token, 0 = padding). Returns the last hidden states [B, T, D] (float64)."""
    B, T = ids.shape
    D, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    hd = D // H
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][:T][None] + \
        W["embeddings.token_type_embeddings.weight"][0][None, None]
    x = _ln(x, W, "embeddings.LayerNorm", eps)
    add_mask = torch.zeros(B, 1, 1, T, dtype=x.dtype).masked_fill(mask[:, None, None, :] == 0, float("-inf"))
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def heads(t):
            return t.view(B, T, H, hd).transpose(1, 2)
        q, k, v = (heads(_lin(x, W, p + "attention.self." + n)) for n in ("query", "key", "value"))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + add_mask, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = _ln(x + _lin(a, W, p + "attention.output.dense"), W, p + "attention.output.LayerNorm", eps)
        u = torch.nn.functional.gelu(_lin(x, W, p + "intermediate.dense"))  # erf GELU
        x = _ln(x + _lin(u, W, p + "output.dense"), W, p + "output.LayerNorm", eps)
    return x


def pool(hidden, mask, mode, normalize=True):
    if mode == "cls":
        e = hidden[:, 0]
    elif mode == "mean":
        m = mask[..., None].to(hidden.dtype)
        e = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    else:
        raise ValueError(mode)
    return torch.nn.functional.normalize(e, p=2, dim=1, eps=1e-12) if normalize else e


def embed(cfg, W, seqs, mode, normalize=True):
    """seqs: token-id lists of different lengths, run as one padded batch. Returns [B, D] float64."""
    T = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), T, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return pool(forward(cfg, W, ids, mask), mask, mode, normalize)
