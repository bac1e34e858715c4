#!/usr/bin/env bash
# vs-llamacpp.sh — one run of: memory bandwidth (membw), llama.cpp's llama-bench and `sotto bench` on the same
# GGUF files with the same thread count, printed as one markdown table (tools/bench/vs-llamacpp-table.py).
# It does not build llama.cpp (build it outside the repo, see docs/benchmarks.md) and commits nothing.
# Usage: bash tools/bench/vs-llamacpp.sh LLAMA_CPP_BUILD_DIR [model.gguf ...]
#   models default to /work/ext/models/qwen2.5-0.5b-random-{q8_0,q4_0}.gguf (tools/bench/make-random-model.py)
# Environment: THREADS (2), PP (512), TG (128), REPS (5, llama-bench -r), TG_DEPTH (0: llama.cpp decodes from an
#   empty cache, its usual tg test, as `sotto bench` does; N: llama.cpp decodes after N cached tokens,
#   llama-bench -d N, which is then not like for like), SOTTO (build/sotto),
#   FLOOR_TEST (read | copy: which membw figure the floor uses), MEMBW_MIB (1024), WAIT_QUIET (60: seconds to
#   wait before each tool for other processes to use < QUIET_PCT (20) % of the CPUs), OUT (results directory,
#   default build-bench/vs-llamacpp-<UTC time>; raw JSON of every tool is kept there).
# A tool that is missing or fails leaves "n/a" in its columns; its stderr is kept in OUT/*.err.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
if [[ $# -lt 1 ]]; then
  echo "usage: $0 LLAMA_CPP_BUILD_DIR [model.gguf ...]" >&2
  exit 2
fi
llama_dir=$1
shift
models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
  models=(/work/ext/models/qwen2.5-0.5b-random-q8_0.gguf /work/ext/models/qwen2.5-0.5b-random-q4_0.gguf)
fi
threads=${THREADS:-2} pp=${PP:-512} tg=${TG:-128} reps=${REPS:-5} tg_depth=${TG_DEPTH:-0}
sotto=${SOTTO:-$root/build/sotto}
floor_test=${FLOOR_TEST:-read}
out=${OUT:-$root/build-bench/vs-llamacpp-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

llama_bench=
for c in "$llama_dir/bin/llama-bench" "$llama_dir/llama-bench"; do
  [[ -x $c ]] && llama_bench=$c && break
done
[[ -z $llama_bench ]] && echo "vs-llamacpp.sh: no llama-bench under $llama_dir (bin/llama-bench); llama.cpp columns will be n/a" >&2
for m in "${models[@]}"; do
  [[ -r $m ]] || { echo "vs-llamacpp.sh: cannot read model $m" >&2; exit 1; }
done

# The llama.cpp commit: a COMMIT file beside the build dir (written when the source was exported), else git.
llama_commit=unknown
for f in "$llama_dir/../COMMIT" "$llama_dir/COMMIT"; do
  [[ -r $f ]] && llama_commit=$(head -c 40 "$f") && break
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
jq -n --arg t "$threads" --arg pp "$pp" --arg tg "$tg" --arg r "$reps" --arg d "$tg_depth" --arg ft "$floor_test" --arg c "$llama_commit" \
  --arg load "$load" '{threads: $t, pp: $pp, tg: $tg, reps: $r, tg_depth: $d, floor_test: $ft, llama_commit: $c, load: $load}' \
  >"$out/env.json"

# measured NAME CMD...: runs CMD with stdout to OUT/NAME.json, stderr to OUT/NAME.err, and writes OUT/NAME.cpu.json
# with the wall time, CMD's own CPU time and the share of all CPUs that other processes used meanwhile (from
# /proc/stat): on a shared machine that share says how far to trust the row.
ncpu=$(nproc)
hz=$(getconf CLK_TCK)
busy_jiffies() {
  local _c u n s i io irq sirq st _rest
  read -r _c u n s i io irq sirq st _rest </proc/stat
  echo $((u + n + s + irq + sirq + st))
}
# wait_quiet: before a measurement, waits (up to WAIT_QUIET seconds in all, per call) until other processes use
# less than QUIET_PCT % of the CPUs over a 3 s window; says so on stderr when it gives up.
wait_quiet() {
  local waited=0 b0 b1 pct
  while :; do
    b0=$(busy_jiffies)
    sleep 3
    b1=$(busy_jiffies)
    pct=$((100 * (b1 - b0) / (3 * hz * ncpu)))
    ((pct < ${QUIET_PCT:-20})) && return 0
    waited=$((waited + 3))
    if ((waited >= ${WAIT_QUIET:-60})); then
      echo "vs-llamacpp.sh: other processes still use ${pct}% of the CPUs after ${waited}s; measuring anyway" >&2
      return 0
    fi
  done
}
measured() {
  local name=$1 b0 b1 rc
  shift
  wait_quiet
  b0=$(busy_jiffies)
  /usr/bin/time -f "%e %U %S" -o "$out/$name.time" "$@" >"$out/$name.json" 2>"$out/$name.err"
  rc=$?
  b1=$(busy_jiffies)
  read -r e u s <"$out/$name.time" 2>/dev/null || { e=0 u=0 s=0; }
  awk -v b="$((b1 - b0))" -v hz="$hz" -v n="$ncpu" -v e="$e" -v u="$u" -v s="$s" 'BEGIN {
    f = (e > 0) ? 100 * (b / hz - u - s) / (e * n) : 0; if (f < 0) f = 0;
    printf "{\"wall_s\": %.2f, \"own_cpu_s\": %.2f, \"others_cpu_pct\": %.1f}\n", e, u + s, f }' \
    >"$out/$name.cpu.json"
  [[ $rc -eq 0 ]] || echo "vs-llamacpp.sh: $name failed (exit $rc, see $out/$name.err)" >&2
  return $rc
}

echo "== membw" >&2
membw_threads=1
[[ $threads -ne 1 ]] && membw_threads=1,$threads
MEMBW_BUILD_DIR=$root/build-bench measured membw bash "$root/tools/bench/membw.sh" --mib "${MEMBW_MIB:-1024}" \
  --reps 9 --threads "$membw_threads" --json

for m in "${models[@]}"; do
  stem=$(basename "$m" .gguf)
  "$py" "$root/tools/bench/gguf-weight-bytes.py" "$m" --json >"$out/$stem.weights.json" 2>"$out/$stem.weights.err" ||
    echo "gguf-weight-bytes failed on $m (see $out/$stem.weights.err)" >&2
  if [[ -n $llama_bench ]]; then
    echo "== llama-bench $stem" >&2
    if [[ $tg_depth -eq 0 ]]; then
      measured "$stem.llama" "$llama_bench" -m "$m" -p "$pp" -n "$tg" -t "$threads" -r "$reps" -o json
    else  # decode measured after TG_DEPTH tokens already in the KV cache (as after a prefill)
      measured "$stem.llama" bash -c '"$1" -m "$2" -p "$3" -n 0 -t "$5" -r "$6" -o json &&
        "$1" -m "$2" -p 0 -n "$4" -d "$7" -t "$5" -r "$6" -o json' _ \
        "$llama_bench" "$m" "$pp" "$tg" "$threads" "$reps" "$tg_depth" &&
        jq -s add "$out/$stem.llama.json" >"$out/$stem.llama.json.tmp" &&
        mv "$out/$stem.llama.json.tmp" "$out/$stem.llama.json"
    fi
  fi
  if [[ -x $sotto ]]; then
    echo "== sotto bench $stem" >&2
    measured "$stem.sotto" "$sotto" bench -m "$m" -p "$pp" -n "$tg" -t "$threads" -r "$reps" --json
  else
    echo "vs-llamacpp.sh: $sotto not built; our columns will be n/a" >&2
  fi
done

"$py" "$root/tools/bench/vs-llamacpp-table.py" "$out" | tee "$out/table.md"
echo "(raw results in $out)" >&2
