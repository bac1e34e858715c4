#!/usr/bin/env bash
# embed-throughput.sh — embedding throughput of `sotto embed` (chunks/s) on this CPU at 1 and 2 threads (or the
# counts given), on all-MiniLM-L6-v2-shaped random weights (tools/ref/make_bert_fixtures.py --minilm) in f16 and q8_0.
# Chunks: 64 texts of 256 tokens (the shape retrieval chunks have), written by this script from the test vocabulary's
# words, so every piece is in the vocabulary. Each setting runs 3 times; the best run is reported (process start and
# model load excluded: the number is sotto embed's own texts/s over the embedding call).
# Usage: bash tools/bench/embed-throughput.sh [build-dir] [threads...]      (default: build 1 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
threads=("$@")
[ ${#threads[@]} -eq 0 ] && threads=(1 2)
work=${TMPDIR:-/tmp}/sotto-embed-bench
mkdir -p "$work"
for t in f16 q8_0; do
  [ -f "$work/minilm-$t.gguf" ] || /usr/bin/python3 tools/ref/make_bert_fixtures.py --minilm "$work/minilm-$t.gguf" "$t" >/dev/null
done
/usr/bin/python3 - "$work/chunks.txt" <<'EOF'
import random, sys
words = ["the", "patient", "was", "seen", "for", "blood", "pressure", "hypertension", "unwanted", "running", "doctor",
         "smithson", "notebook", "hospital", "and", "is", "of", "to", "in", "no", "pain", "chest", "mg", "daily",
         "twice", "aspirin", "take", "hello", "world", "test", "cancer", "heart", "rate", "120", "80", ",", "."]
rng = random.Random(1)
with open(sys.argv[1], "w") as f:
    for _ in range(64):
        f.write(" ".join(rng.choice(words) for _ in range(230)) + "\n")
EOF
echo "sotto embed, all-MiniLM-L6-v2 shape (random weights), 64 chunks of 256 tokens, $(nproc) cores:"
echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
for t in f16 q8_0; do
  for n in "${threads[@]}"; do
    best=0
    for _ in 1 2 3; do
      r=$("$build/sotto" embed -m "$work/minilm-$t.gguf" --file "$work/chunks.txt" -t "$n" --out /dev/null |
          sed -n 's/.* \([0-9.]*\) texts\/s.*/\1/p')
      best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
    done
    printf "  %-5s %d thread(s): %6.1f chunks/s\n" "$t" "$n" "$best"
  done
done
