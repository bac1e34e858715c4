#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang++-19, ASan + UBSan) and runs each for a bounded time.
# Usage: bash tools/fuzz.sh [seconds-per-target] [target ...]   (default 60 s, every tests/fuzz/fuzz-*.cpp)
# Each target starts from its committed seeds (tests/fuzz/corpus/<target>, read only) plus what earlier runs
# found (<build>/corpus/<target>, where new inputs go). Prints one line per target,
# "fuzz-gguf: 123456 execs, 0 crashes", and exits 1 if any target found something: a crash, a sanitizer
# report, a broken property, a timeout (-timeout: 30 s of wall time for one input, generous as CI shares its
# cores) or memory past -rss_limit_mb (2048); the input is saved as <build>/findings/fuzz-<target>-crash-...
# (or -timeout-, -oom-, -leak-) and the log's tail printed.
# Reproduce one: <build>/tests/fuzz/fuzz-<target> <file>. Environment: SOTTO_SAN_BUILD (build dir, default
# build-san, shared with tools/test-sanitize.sh), SOTTO_FUZZ_JOBS (targets run at once, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
build=${SOTTO_SAN_BUILD:-build-san}
jobs=${SOTTO_FUZZ_JOBS:-$(nproc)}
bash tools/sanitize-configure.sh "$build"
cmake --build "$build" --target fuzz -j "$(nproc)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz-*.cpp; do
    f=${f##*/fuzz-}
    targets+=("${f%.cpp}")
  done
fi
mkdir -p "$build/findings" "$build/fuzz-logs"

run_one() {
  local t=$1 log="$build/fuzz-logs/$1.log" dict=() rc=0
  mkdir -p "$build/corpus/$t"
  rm -f "$build/findings/fuzz-$t-"{crash,timeout,oom,leak,slow-unit}-*
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  "$build/tests/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/findings/fuzz-$t-" "${dict[@]}" "$build/corpus/$t" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  local execs crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$build/findings" -regex ".*/fuzz-$t-\(crash\|timeout\|oom\|leak\)-.*" | wc -l)
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1  # died without saving an input (e.g. at start-up)
  echo "fuzz-$t: ${execs:-0} execs, $crashes crashes" >"$build/fuzz-logs/$t.summary"
}

running=0
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/fuzz-$t.cpp" ] || { echo "tools/fuzz.sh: no target fuzz-$t (tests/fuzz/fuzz-$t.cpp)" >&2; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
for t in "${targets[@]}"; do
  cat "$build/fuzz-logs/$t.summary"
  if ! grep -q ", 0 crashes$" "$build/fuzz-logs/$t.summary"; then
    failed=1
    echo "--- fuzz-$t found something; the log's end ($build/fuzz-logs/$t.log):"
    grep -v '^#[0-9]' "$build/fuzz-logs/$t.log" | tail -40
    find "$build/findings" -regex ".*/fuzz-$t-\(crash\|timeout\|oom\|leak\)-.*" -printf 'saved input: %p\n'
  fi
done
exit "$failed"
