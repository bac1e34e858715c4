#!/usr/bin/python3
"""vs-llamacpp-table.py — renders the results directory written by vs-llamacpp.sh as a markdown table.

Inputs in RESULTS_DIR (each tool's NAME.json may have a NAME.cpu.json beside it): membw.json (from membw --json), env.json (threads, pp, tg, floor test, load average,
llama.cpp commit), and per model stem S: S.weights.json (gguf-weight-bytes.py --json), S.llama.json
(llama-bench -o json) and S.sotto.json (sotto bench --json; missing or unparsable -> "n/a").
Floor: decode tok/s <= bandwidth / weight bytes per token, bandwidth = membw's `floor_test` at the benchmark's
thread count: "read" by default (decode streams weights read-only), or "copy" (read + write bytes counted).
llama.cpp figures are the best of llama-bench's repetitions (see llama_rate). "others' CPU %": the share of all CPUs
that other processes used while the tool ran (NAME.cpu.json, from /proc/stat); high values mean a disturbed row. A ratio is ours / llama.cpp (> 1: we are faster).

Which numbers are taken from `sotto bench --json`: with a "tests" list of llama-bench-shaped rows (n_prompt, n_gen,
samples_ts), the best sample as for llama.cpp; otherwise the first numeric field whose key path names the phase
(prefill | pp | prompt, resp. decode | tg | gen | generation; or a string value beside it) and a rate (tok_s |
tokens_per_s | tps | ts), e.g. {"prefill_tok_s": 1.0, "decode_tok_s": 2.0}, {"prefill": {"tok_s": 1.0}, ...} or
[{"phase": "prefill", "tok_s": 1.0}, ...].
Usage: /usr/bin/python3 tools/bench/vs-llamacpp-table.py RESULTS_DIR
"""
import glob
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def flatten(obj, prefix=""):
    """Yields (key path, number) for every number; a dict's short string values join the path of its numbers, so
    {"phase": "decode", "tok_s": 1} gives ".phase.decode.tok_s"."""
    if isinstance(obj, dict):
        tags = "".join("." + k + "." + v for k, v in obj.items() if isinstance(v, str) and len(v) < 32)
        for k, v in obj.items():
            yield from flatten(v, prefix + tags + "." + str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from flatten(v, prefix + "." + str(i))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix.lower(), float(obj)


PHASE = {"prefill": {"prefill", "pp", "prompt"}, "decode": {"decode", "tg", "gen", "generation"}}
RATE_RE = re.compile(r"(tok_s|tok_per_s|tokens_per_s|tokens_per_second|tps|ts)$")


def sotto_rate(obj, phase):
    if obj is None:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("tests"), list):  # llama-bench-shaped rows: same statistic
        rate = llama_rate(obj["tests"], phase)
        if rate is not None:
            return rate
    for path, value in flatten(obj):
        words = set(re.split(r"[^a-z0-9]+", path))
        words |= {w[:2] for w in words if re.fullmatch(r"(pp|tg)\d+", w)}  # pp512, tg128
        if words & PHASE[phase] and (RATE_RE.search(path) or "tok_s" in words):
            return value
    return None


def llama_rate(rows, phase):
    """llama-bench -o json rows: a prefill test has n_gen == 0, a decode test n_prompt == 0. Returns the best
    repetition (samples_ts max; avg_ts when absent): on a shared machine the best run is the least disturbed."""
    if not isinstance(rows, list):
        return None
    for r in rows:
        pre = r.get("n_prompt", 0) > 0 and r.get("n_gen", 0) == 0
        dec = r.get("n_gen", 0) > 0 and r.get("n_prompt", 0) == 0
        if (phase == "prefill" and pre) or (phase == "decode" and dec):
            return max(r.get("samples_ts") or [r.get("avg_ts")])
    return None


def fmt(x, nd=1):
    return "n/a" if x is None else "%.*f" % (nd, x)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: vs-llamacpp-table.py RESULTS_DIR")
    d = sys.argv[1]
    env = load(os.path.join(d, "env.json")) or {}
    threads, test = int(env.get("threads", 2)), env.get("floor_test", "read")
    membw = load(os.path.join(d, "membw.json")) or {"results": []}
    membw_others = (load(os.path.join(d, "membw.cpu.json")) or {}).get("others_cpu_pct")
    bw = {(r["test"], r["threads"]): r["gbps"] for r in membw["results"]}
    floor_bw = bw.get((test, threads))

    print("Threads %d, prefill %s tokens, decode %s tokens (llama.cpp decodes after %s cached tokens); llama.cpp %s"
          " (best of %s repetitions); load average before the run %s." %
          (threads, env.get("pp", "?"), env.get("tg", "?"), env.get("tg_depth", "0"), env.get("llama_commit", "?"),
           env.get("reps", "?"), env.get("load", "?")))
    print("Memory bandwidth (GB/s, median of %s passes over %s MiB): %s. Floor uses %s @ %d threads = %s GB/s"
          " (other processes used %s%% of the CPUs meanwhile)." %
          (membw.get("reps", "?"), membw.get("buffer_mib", "?"),
           ", ".join("%s@%dt %.1f" % (k[0], k[1], v) for k, v in sorted(bw.items())), test, threads,
           fmt(floor_bw), fmt(membw_others, 0)))
    print()
    print("| model | dtype | weight MB/token | prefill tok/s ours | llama.cpp | ratio | decode tok/s ours | llama.cpp"
          " | ratio | floor decode tok/s | ours % of floor | llama.cpp % of floor | others' CPU % ours / llama.cpp |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    notes = []
    for wpath in sorted(glob.glob(os.path.join(d, "*.weights.json"))):
        stem = os.path.basename(wpath)[: -len(".weights.json")]
        w = load(wpath) or {}
        llama = load(os.path.join(d, stem + ".llama.json"))
        sotto = load(os.path.join(d, stem + ".sotto.json"))
        pp_o, pp_l = sotto_rate(sotto, "prefill"), llama_rate(llama, "prefill")
        tg_o, tg_l = sotto_rate(sotto, "decode"), llama_rate(llama, "decode")
        theirs = sotto.get("weight_bytes_per_token") if isinstance(sotto, dict) else None
        if theirs and w.get("bytes") and abs(theirs - w["bytes"]) > 0.01 * w["bytes"]:
            notes.append("%s: sotto bench counts %.1f MB of weights per token, gguf-weight-bytes.py %.1f MB" %
                         (stem, theirs / 1e6, w["bytes"] / 1e6))
        floor = None if floor_bw is None or not w.get("bytes") else floor_bw * 1e9 / w["bytes"]
        pct = lambda x: None if x is None or floor is None else 100.0 * x / floor
        others = lambda tool: None if load(os.path.join(d, "%s.%s.json" % (stem, tool))) is None else \
            (load(os.path.join(d, "%s.%s.cpu.json" % (stem, tool))) or {}).get("others_cpu_pct")
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            stem, w.get("dtype", "?"), fmt(w.get("bytes", 0) / 1e6), fmt(pp_o), fmt(pp_l), fmt(ratio(pp_o, pp_l), 2),
            fmt(tg_o), fmt(tg_l), fmt(ratio(tg_o, tg_l), 2), fmt(floor), fmt(pct(tg_o), 0), fmt(pct(tg_l), 0),
            fmt(others("sotto"), 0), fmt(others("llama"), 0)))

    for n in notes:
        print("\nNote: " + n)


if __name__ == "__main__":
    main()
