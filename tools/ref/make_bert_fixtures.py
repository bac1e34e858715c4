"""make_bert_fixtures.py — a tiny random-weight BERT embedding model (the all-MiniLM / bge shape in miniature) as GGUF
with llama.cpp's keys, tensor names and "phantom space" WordPiece vocabulary, the reference embeddings of bert_ref.py
on exactly the stored weights, and WordPiece reference encodings of hostile texts for an uncased and a cased
vocabulary. tests/test-model-bert.cpp and tests/test-tokenizer-wordpiece.cpp compare the engine with these files.

Usage: /usr/bin/python3 tools/ref/make_bert_fixtures.py [out_dir]   (default tests/fixtures/embed)
       /usr/bin/python3 tools/ref/make_bert_fixtures.py --minilm OUT.gguf [f32|f16|q8_0]
         (all-MiniLM-L6-v2's shape with random weights, for speed only: d 384, ff 1536, 6 layers, 12 heads,
          context 512, 30522 tokens: the test vocabulary padded with [unusedN]; tools/bench/embed-throughput.sh)
Output:
  bert-T.gguf (T in f32, f16, q8_0: the matrices and token_embd in T; norms, biases, position and type tables f32)
  bert-T.ref.gguf: metadata `texts` (strings); tensors `tokens` I32 (all texts' ids, [CLS] ... [SEP], one after
    another), `offsets` I32 [n + 1], `cls`, `mean` F32 [D, n] (L2-normalised), `cls_raw` F32 [D, n] (not normalised),
    from one padded batch of all texts in float64
  wordpiece-uncased.gguf, wordpiece-cased.gguf: a vocabulary (tokenizer.ggml.*) and metadata `texts`, tensors
    `tokens` / `offsets` as above: the reference encoding of each text (no special tokens parsed in the text)
"""
import os
import random
import sys

import numpy as np
import torch

import bert_ref
import ggufw
import quants

CFG = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
           max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "patient", "was", "seen", "for", "blood", "pressure", "hyper", "##tension", "un", "##want", "##ed",
         "##s", "##ing", "##ly", "run", "##ner", "running", "doctor", "dr", "smith", "##son", "cafe", "naive", "resume",
         "note", "##book", "hospital", "a", "an", "and", "is", "of", "to", "in", "no", "yes", "pain", "chest", "mg",
         "daily", "twice", "aspirin", "take", "##en", "hello", "world", "##ll", "##o", "test", "##er", "cancer",
         "heart", "rate", "bp", "120", "80", "##0", "##5", "1", "2", "3"]
PUNCT = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["\u2014", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u00bf",
                                                   "\u00a1", "\u3002", "\u3001", "\u2026"]
OTHER = ["\u4e2d", "\u56fd", "\u4eba", "\u65e5", "\u672c", "\u8a9e", "\u03b1", "\u03b2", "\u03c3", "\u03c2",
         "\u0430", "\u0431", "\u0432", "\u00df", "\u00e6", "\u00f8", "\u0131", "##\u03c3", "##\u03c2", "##\u00df"]


def vocab(cased):
    v = list(SPECIALS)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    if cased:
        letters += [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    v += letters + ["##" + c for c in letters] + [str(d) for d in range(10)] + ["##" + str(d) for d in range(10)]
    v += PUNCT + OTHER
    for w in WORDS + (["The", "Patient", "Smith", "Dr", "##S", "##ING", "Caf\u00e9", "na\u00efve"] if cased else []):
        if w not in v:
            v.append(w)
    return v


def phantom(tok, is_control):
    """llama.cpp's converter: control tokens as they are, continuations without ##, word starts after U+2581."""
    if is_control:
        return tok
    return tok[2:] if tok.startswith("##") else "\u2581" + tok


def write_vocab(g, v):
    g.string("tokenizer.ggml.model", "bert")
    g.string("tokenizer.ggml.pre", "default")
    g.strings("tokenizer.ggml.tokens", [phantom(t, t in SPECIALS) for t in v])
    g.i32s("tokenizer.ggml.token_type", [3 if t in SPECIALS else 1 for t in v])
    g.u32("tokenizer.ggml.unknown_token_id", v.index("[UNK]"))
    g.u32("tokenizer.ggml.seperator_token_id", v.index("[SEP]"))
    g.u32("tokenizer.ggml.padding_token_id", v.index("[PAD]"))
    g.u32("tokenizer.ggml.cls_token_id", v.index("[CLS]"))
    g.u32("tokenizer.ggml.mask_token_id", v.index("[MASK]"))
    g.u32("tokenizer.ggml.token_type_count", CFG["type_vocab_size"])


def put_ids(g, seqs):
    flat = [i for s in seqs for i in s]
    offs = np.cumsum([0] + [len(s) for s in seqs]).astype(np.int32)
    g.tensor("tokens", ggufw.T_I32, [max(1, len(flat))], np.array(flat or [0], np.int32).tobytes())
    g.tensor("offsets", ggufw.T_I32, [len(offs)], offs.tobytes())


HF_TO_GGUF = {"attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
              "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
              "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm"}
TOP = {"embeddings.word_embeddings.weight": "token_embd.weight",
       "embeddings.position_embeddings.weight": "position_embd.weight",
       "embeddings.token_type_embeddings.weight": "token_types.weight",
       "embeddings.LayerNorm.weight": "token_embd_norm.weight", "embeddings.LayerNorm.bias": "token_embd_norm.bias"}


def gguf_name(hf):
    if hf in TOP:
        return TOP[hf]
    rest = hf[len("encoder.layer."):]
    i, rest = rest.split(".", 1)
    mod, kind = rest.rsplit(".", 1)
    return f"blk.{i}.{HF_TO_GGUF[mod]}.{kind}"


def write_model(path, W, v, dtype, pooling, name="tiny-bert-test"):
    g = ggufw.Writer()
    g.string("general.architecture", "bert")
    g.string("general.name", name)
    g.u32("bert.block_count", CFG["num_hidden_layers"])
    g.u32("bert.context_length", CFG["max_position_embeddings"])
    g.u32("bert.embedding_length", CFG["hidden_size"])
    g.u32("bert.feed_forward_length", CFG["intermediate_size"])
    g.u32("bert.attention.head_count", CFG["num_attention_heads"])
    g.f32("bert.attention.layer_norm_epsilon", CFG["layer_norm_eps"])
    g.boolean("bert.attention.causal", False)
    g.u32("bert.pooling_type", pooling)
    write_vocab(g, v)
    stored = {}
    tid = {"f32": ggufw.T_F32, "f16": ggufw.T_F16, "q8_0": ggufw.T_Q8_0}[dtype]
    for hf, t in W.items():
        a = t.numpy()
        name = gguf_name(hf)
        matrix = a.ndim == 2 and name not in ("position_embd.weight", "token_types.weight")
        raw, dq = quants.encode(a.astype(np.float32), dtype if matrix else "f32")
        g.tensor(name, tid if matrix else ggufw.T_F32, list(reversed(a.shape)), raw)
        stored[hf] = torch.from_numpy(dq.astype(np.float64))
    g.write(path)
    return stored


def model_texts():
    return ["", "hello world", "The patient was seen for blood pressure: 120/80, hypertension!",
            "Take aspirin 80 mg daily. Dr Smithson's notebook (running) \u2014 caf\u00e9, na\u00efve r\u00e9sum\u00e9.",
            "\u4e2d\u56fd\u4eba \u65e5\u672c\u8a9e \u03b1\u03b2 chest pain", " ".join(["heart rate and pain"] * 14)]


def hostile_texts(seed):
    t = ["", " ", "\t\n\r", "\u00a0\u2028\u2029\u3000", "hello", "HELLO World", "Hello, world!", "unwanted running",
         "un-wanted", "a" * 99, "a" * 100, "a" * 101, "b" * 150 + " hello", "x" * 100 + "y", "\u00e9" * 101,
         "caf\u00e9 CAF\u00c9 cafe\u0301", "na\u00efve r\u00e9sum\u00e9", "\u0130stanbul I\u0307", "\u03a3\u0391\u03a3",
         "stra\u00dfe STRASSE", "\u4e2d\u56fd\u4eba\u65e5\u672c\u8a9ex\u4e2dy", "\uf900\U00020000\U0002f800",
         "emoji \U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467 ok", "zero\u200bwidth\u200djoin\ufeffbom",
         "ctrl\x00\x01\x07\x1b\x7f\x85\x9fend", "tab\there\nnew\rline", "[SEP] [CLS] [sep] [UNK]", "##s ##ing",
         "\u00bfqu\u00e9? \u00a1s\u00ed! \u00abguillemets\u00bb \u201cquoted\u201d", "end\u2026\u3002\u3001",
         "$5 + 3 = 8 ^ | ~ `", "\ufffdreplacement\ufffd", "\ue000private\U000f0000use", "\u0378unassigned",
         "\u0301leading mark", "a\u0308\u0301\u0323b", "\u1100\u1161\u11a8 \uac01", "\uff28\uff45\uff4c\uff4c\uff4f",
         "\u2167 \u00bd \u2460", "\u0131\u0130", "\u1e9e\u00df", "\u01c5\u01c4\u01c6", "\ufb01 \ufb00",
         "word " * 60, "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea",
         "\u0939\u093f\u0928\u094d\u0926\u0940", "mixed123abc 456", "e.g. i.e. U.S.A.", "don't can't it's",
         "\u0000", "\x00\x00a\x00"]
    rng = random.Random(seed)
    pool = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-'\"()[]#") +
            ["##", "\u00e9", "\u00c9", "\u0301", "\u0308", "\u200b", "\u200d", "\x00", "\x1f", "\t", "\n", "\u00a0",
             "\u2028", "\u4e2d", "\u56fd", "\u03c3", "\u03a3", "\u00df", "\u0130", "\u0131", "\U0001f600", "\ufffd",
             "\u2014", "\u3002", "\u0430", "\u0410", "\ufb01", "\uac01", "\u1100", "\u0e01", "\u0e48"])
    for _ in range(150):
        t.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 40))))
    for _ in range(30):  # words of the vocabulary glued together
        t.append(" ".join("".join(rng.choice(WORDS).lstrip("#") for _ in range(rng.randint(1, 4)))
                          for _ in range(rng.randint(1, 6))))
    return t


def write_cases(path, v, cased, seed):
    ids = {p: i for i, p in enumerate(v)}
    texts = hostile_texts(seed)
    g = ggufw.Writer()
    write_vocab(g, v)
    g.strings("texts", texts)
    put_ids(g, [bert_ref.encode(s, ids, lowercase=not cased) for s in texts])
    g.write(path)
    return len(texts)


MINILM = dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=12,
              max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, vocab_size=30522)


def main_minilm(path, dtype):
    v = vocab(cased=False)
    v += ["[unused%d]" % i for i in range(MINILM["vocab_size"] - len(v))]
    CFG.update(MINILM)
    W = bert_ref.random_weights(CFG, seed=3)
    write_model(path, W, v, dtype, pooling=1, name="minilm-l6-shape-random")
    print(f"{path}: MiniLM-L6 shape, {dtype}, random weights")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--minilm":
        return main_minilm(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "f16")
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/embed")
    os.makedirs(out, exist_ok=True)
    v = vocab(cased=False)
    CFG["vocab_size"] = len(v)
    W = bert_ref.random_weights(CFG, seed=21)
    ids = {p: i for i, p in enumerate(v)}
    texts = model_texts()
    seqs = [bert_ref.encode(s, ids) for s in texts]
    assert max(len(s) for s in seqs) <= CFG["max_position_embeddings"], [len(s) for s in seqs]
    for dtype, pooling in (("f32", 2), ("f16", 1), ("q8_0", 2)):
        stored = write_model(os.path.join(out, f"bert-{dtype}.gguf"), W, v, dtype, pooling)
        r = ggufw.Writer()
        r.strings("texts", texts)
        put_ids(r, seqs)
        for name, mode, norm in (("cls", "cls", True), ("mean", "mean", True), ("cls_raw", "cls", False)):
            e = bert_ref.embed(CFG, stored, seqs, mode, norm).numpy().astype(np.float32)
            r.tensor(name, ggufw.T_F32, [e.shape[1], e.shape[0]], e.tobytes())
        r.write(os.path.join(out, f"bert-{dtype}.ref.gguf"))
        print(f"bert-{dtype}: {len(texts)} texts, {sum(map(len, seqs))} tokens, lengths {[len(s) for s in seqs]}")
    n = write_cases(os.path.join(out, "wordpiece-uncased.gguf"), v, False, 5)
    m = write_cases(os.path.join(out, "wordpiece-cased.gguf"), vocab(cased=True), True, 6)
    print(f"wordpiece cases: {n} uncased, {m} cased")


if __name__ == "__main__":
    main()
