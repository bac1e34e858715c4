"""check_bert_real.py — BERT parity at the real shapes (not committed fixtures: the files are 30-130 MB): random weights
of all-MiniLM-L6-v2's shape (d 384, ff 1536, 6 layers, 12 heads, mean pooling) and bge-small-en-v1.5's (12 layers,
CLS pooling), 30522-token vocabulary, context 512; texts of 2 to 512 tokens (so attention spans several of the CPU
kernel's 128-key chunks, which the tiny fixtures never reach), embedded by `sotto embed --out` and by bert_ref.py in
float64 on the stored weights as one padded batch. Prints max |diff| per file and exits 1 past the tolerances
(f32, f16 1e-5; q8_0 2e-2; min cosine 0.999). Measured (Dec 6): f32/f16 <= 1.2e-7, q8_0 <= 3.3e-3; ~3 minutes here.

Usage: /usr/bin/python3 tools/ref/check_bert_real.py [build/sotto] [work_dir]
"""
import os
import subprocess
import sys

import numpy as np

import bert_ref
import make_bert_fixtures as mbf

SHAPES = {"minilm": dict(mbf.MINILM), "bge-small": dict(mbf.MINILM, num_hidden_layers=12)}
POOLING = {"minilm": 1, "bge-small": 2}


def main():
    sotto = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../build/sotto")
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/sotto-bert-real"
    os.makedirs(work, exist_ok=True)
    v = mbf.vocab(cased=False)
    v += ["[unused%d]" % i for i in range(mbf.MINILM["vocab_size"] - len(v))]
    ids = {p: i for i, p in enumerate(v)}
    rng = np.random.RandomState(5)
    words = [w for w in mbf.WORDS if not w.startswith("#")]
    texts = ["ok", "blood pressure", " ".join(rng.choice(words, 120)), " ".join(rng.choice(words, 300)),
             " ".join(rng.choice(words, 1000))]
    seqs = [bert_ref.encode(t, ids) for t in texts]
    seqs[-1] = seqs[-1][:511] + [ids["[SEP]"]]  # sotto embed --truncate does the same
    lines = os.path.join(work, "texts.txt")
    with open(lines, "w") as f:
        f.write("\n".join(texts) + "\n")
    bad = False
    for name, shape in SHAPES.items():
        mbf.CFG.update(shape)
        W = bert_ref.random_weights(mbf.CFG, seed=7)
        mode = "mean" if POOLING[name] == 1 else "cls"
        for dtype, tol in (("f32", 1e-5), ("f16", 1e-5), ("q8_0", 2e-2)):
            path = os.path.join(work, f"{name}-{dtype}.gguf")
            stored = mbf.write_model(path, W, v, dtype, POOLING[name], name=f"{name}-shape-random")
            want = bert_ref.embed(mbf.CFG, stored, seqs, mode).numpy()
            out = os.path.join(work, "e.f32")
            r = subprocess.run([sotto, "embed", "-m", path, "--file", lines, "--truncate", "--out", out, "-q"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(r.stderr)
                sys.exit(1)
            got = np.fromfile(out, np.float32).reshape(want.shape)
            diff = float(np.abs(got - want).max())
            cos = float((got * want).sum(1).min())
            ok = diff <= tol and cos >= 0.999
            bad |= not ok
            print(f"{name:9s} {dtype:5s} lengths {[len(s) for s in seqs]}: max |diff| {diff:.3g} (tolerance {tol:g}), "
                  f"min cosine {cos:.6f} {'ok' if ok else 'FAIL'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
