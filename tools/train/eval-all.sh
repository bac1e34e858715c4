#!/usr/bin/env bash
# eval-all.sh — the evaluation table of docs/training.md: the base (dictation-trained) and the LoRA
# fine-tuned (conversation) note models, through the engine, on 200 held-out examples of each test set:
# the product path (`sotto note`, schema-constrained, greedy) and free generation (`sotto generate`, greedy).
# MODELS_DIR holds notes-base-q8_0.gguf, notes-q8_0.gguf, notes-q4_0.gguf; WORK_DIR gets dict/ and conv/
# test data (made here if missing) and eval/*.json.
# Usage: bash tools/train/eval-all.sh MODELS_DIR WORK_DIR SOTTO_BINARY   (PYTHON, JOBS may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
m=${1:?usage: eval-all.sh MODELS_DIR WORK_DIR SOTTO}; W=${2:?}; sotto=${3:?}
P=${PYTHON:-python3}
jobs=${JOBS:-$(nproc)}
for style in dictation conversation; do
  d="$W/${style:0:4}"
  [ -f "$d/test.jsonl" ] || $P tools/train/datagen.py "$d" --style $style --n-train 0 --n-val 0 --n-test 200
done
mkdir -p "$W/eval"
ev() {  # name model data mode
  echo "== $1"
  $P tools/train/eval.py "$3/test.jsonl" --gguf "$2" --sotto "$sotto" --mode "$4" --n 200 --jobs "$jobs" \
    --json "$W/eval/$1.json"
}
ev base-dict "$m/notes-base-q8_0.gguf" "$W/dict" note
ev base-conv "$m/notes-base-q8_0.gguf" "$W/conv" note
ev lora-conv "$m/notes-q8_0.gguf" "$W/conv" note
ev lora-dict "$m/notes-q8_0.gguf" "$W/dict" note
ev lora-conv-q4 "$m/notes-q4_0.gguf" "$W/conv" note
ev base-conv-free "$m/notes-base-q8_0.gguf" "$W/conv" free
ev lora-conv-free "$m/notes-q8_0.gguf" "$W/conv" free
ev lora-dict-free "$m/notes-q8_0.gguf" "$W/dict" free
