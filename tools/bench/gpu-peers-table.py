#!/usr/bin/python3
"""gpu-peers-table.py — one Markdown table from the JSON lines of one GPU-machine session:
Sotto's WebGPU backend (webgpu-bench.sh: webgpu-bench.jsonl), llama.cpp's CUDA build (llamacpp-cuda-bench.sh:
llamacpp-bench.jsonl) and onnxruntime-web's WebGPU EP (ort-bench.sh: ort-bench.jsonl), matched by (arch, type).
Decode is compared like for like: tokens decoded after the same prompt (llama.cpp's `-d PROMPT` test).
A missing file or row leaves "n/a". Ratios are Sotto / peer (above 1: Sotto is faster).

Usage: tools/bench/gpu-peers-table.py DIR   (DIR holds the .jsonl files)
"""
import json
import os
import sys


def read(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def main():
    d = sys.argv[1]
    ours = {(r["arch"], r["type"]): r for r in read(os.path.join(d, "webgpu-bench.jsonl")) if "error" not in r}
    ort = {(r["arch"], r["type"]): r for r in read(os.path.join(d, "ort-bench.jsonl")) if "error" not in r}
    llama = {}
    for r in read(os.path.join(d, "llamacpp-bench.jsonl")):
        if "error" in r:
            continue
        row = llama.setdefault((r["arch"], r["type"]), {})
        if r["n_prompt"] > 0:
            row["pp"] = r["avg_ts"]
        elif r.get("n_depth", 0) > 0:
            row["tg_d"] = r["avg_ts"]
        else:
            row["tg"] = r["avg_ts"]

    def f(v, nd=1):
        return "n/a" if v is None else f"{v:.{nd}f}"

    def ratio(a, b):
        return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

    print("| model | type | Sotto WebGPU decode tok/s | onnxruntime-web WebGPU decode | Sotto / ORT | "
          "llama.cpp CUDA decode | Sotto / llama.cpp | Sotto prefill tok/s | ORT prefill | llama.cpp pp |")
    print("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |")
    keys = sorted(set(ours) | set(ort) | set(llama), key=lambda k: (["qwen25", "llama32", "gemma3"].index(k[0])
                                                                  if k[0] in ("qwen25", "llama32", "gemma3") else 9, k[1]))
    for k in keys:
        o, x, l = ours.get(k, {}), ort.get(k, {}), llama.get(k, {})
        od, xd, ld = o.get("decode_tok_s"), x.get("decode_tok_s"), l.get("tg_d")
        print(f"| {k[0]} | {k[1]} | {f(od)} | {f(xd)} | {ratio(od, xd)} | {f(ld)} | {ratio(od, ld)} | "
              f"{f(o.get('prefill_tok_s'), 0)} | {f(x.get('prefill_tok_s'), 0)} | {f(l.get('pp'), 0)} |")


if __name__ == "__main__":
    main()
