#!/usr/bin/env bash
# eval-all.sh — the evaluation table of docs/training.md, through the engine (greedy): the product path
# (`sotto note`, schema-constrained, with the example's visit date; the support check counts the invented facts
# it flags) and free generation (`sotto generate`, FREE=1), on three test sets of WORK_DIR/test (made here if missing):
#   test.jsonl          the training generator family, unseen seeds (dictations and conversations, short and
#                       medium), N examples;
#   test-heldout.jsonl  the held-out family: names, drugs, entities, sentence templates, speaker labels and small
#                       talk training never saw; N examples;
#   test-long.jsonl     held-out family, consultations of 1,000-4,000 words (beyond the 1,024-token training
#                       sequence; run at --ctx-size 8192), N/2 examples.
# Models: MODELS_DIR/notes-q8_0.gguf (+ LoRA, the new default) on all three sets (N, N, N/2); on the held-out
# family, N/2 each: notes-base-q8_0.gguf (pretrained), notes-q4_0.gguf, and the bundled
# models/sotto-notes-q8_0.gguf (the model before this data) as a baseline; with FREE=1 also free generation.
# Writes WORK_DIR/eval/NAME.json per row and MODELS_DIR/results.json (all rows).
# Usage: bash tools/train/eval-all.sh MODELS_DIR WORK_DIR SOTTO_BINARY   (PYTHON, JOBS, N may be set; EVIDENCE=on|off
# passes sotto note --evidence to every note row, unset: the engine's default)
set -euo pipefail
cd "$(dirname "$0")/../.."
m=${1:?usage: eval-all.sh MODELS_DIR WORK_DIR SOTTO}; W=${2:?}; sotto=${3:?}
P=${PYTHON:-python3}
jobs=${JOBS:-$(nproc)}
n=${N:-200}
T="$W/test"
[ -f "$T/test-long.jsonl" ] || $P tools/train/datagen.py "$T" --style mixed --length mixed --n-train 0 --n-val 0 \
  --n-test "$n" --n-heldout "$n" --n-long $((n / 2))
mkdir -p "$W/eval"
ev() {  # name model data mode [extra eval.py args]
  local name=$1 model=$2 data=$3 mode=$4; shift 4
  [ -f "$model" ] || { echo "== $name: $model missing, skipped"; return; }
  echo "== $name"
  $P tools/train/eval.py "$T/$data.jsonl" --gguf "$model" --sotto "$sotto" --mode "$mode" --n "$n" --jobs "$jobs" \
    --json "$W/eval/$name.json" ${EVIDENCE:+--evidence "$EVIDENCE"} "$@"
}
h=$((n / 2))
ev lora-test "$m/notes-q8_0.gguf" test note --check
ev lora-heldout "$m/notes-q8_0.gguf" test-heldout note --check
ev lora-long "$m/notes-q8_0.gguf" test-long note --check --ctx 8192 --max-new 600
ev base-heldout "$m/notes-base-q8_0.gguf" test-heldout note --n $h
ev lora-heldout-q4 "$m/notes-q4_0.gguf" test-heldout note --n $h
ev bundled-heldout models/sotto-notes-q8_0.gguf test-heldout note --n $h
[ -z "${FREE:-}" ] || ev lora-heldout-free "$m/notes-q8_0.gguf" test-heldout free --n $h
$P - "$W/eval" "$m/results.json" <<'EOF'
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
rows = {f[:-5]: json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")}
json.dump(rows, open(out, "w"), indent=1)
keys = ["rouge1", "rougeL", "json", "schema_valid", "fact_precision", "fact_recall", "invented", "invented_flagged",
        "abstention_acc", "null_recall", "false_null", "words"]
print("| run | " + " | ".join(keys) + " |")
for k, r in rows.items():
    a = r["all"]
    print(f"| {k} | " + " | ".join("-" if x not in a else f"{a[x]:.3f}" for x in keys) + " |")
EOF
