#!/usr/bin/env bash
# convert-speed.sh — `sotto convert` against the Python converter (tools/train/base.py load_hf + export) on a random
# Hugging Face checkpoint at a real shape (tools/ref/make_hf_fixtures.py --real: BF16 safetensors), in the same run:
# wall time and peak memory (GNU time's maximum RSS) of each, and whether the files are the same bytes (sha256).
# Python writes f16 and q8_0; sotto writes f16, q8_0 and q4_k at 1 and 2 threads. Page cache warmed first.
# Usage: bash tools/bench/convert-speed.sh [build-dir] [NAME]   (default: build smollm2-135m; NAME as in make_real.REAL)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
name=${2:-smollm2-135m}
work=${TMPDIR:-/tmp}/sotto-convert-bench
mkdir -p "$work"
hf="$work/hf-$name"
[ -f "$hf/config.json" ] || (cd tools/ref && /usr/bin/python3 make_hf_fixtures.py --real "$name" "$hf")
cat "$hf"/*.safetensors >/dev/null
measure() {  # label, command...: prints "label  wall s  peak RSS MiB"
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r wall rss <"$work/time"
  printf "%-28s %7.2f s %8.0f MiB\n" "$label" "$wall" "$((rss / 1024))"
}
echo "$name ($(du -m "$hf"/*.safetensors | awk '{s+=$1} END {print s}') MiB of BF16 safetensors), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
for t in f16 q8_0; do
  measure "python $t" /usr/bin/python3 -c "
import sys; sys.path.insert(0, 'tools/train'); import base as B
c, W, tok = B.load_hf('$hf'); B.export(c, W, tok, '$t', '$work/py-$t.gguf')"
done
for th in 1 2; do
  for t in f16 q8_0 q4_k; do
    measure "sotto convert $t -t $th" "$build/sotto" convert "$hf" -o "$work/cpp-$t.gguf" --type "$t" -t "$th" -q
  done
done
for t in f16 q8_0; do
  a=$(sha256sum <"$work/py-$t.gguf"); b=$(sha256sum <"$work/cpp-$t.gguf")
  [ "$a" = "$b" ] && echo "$t: the same bytes (${a%% *})" || echo "$t: files differ (see docs/models.md: quantized rounding ties)"
done
