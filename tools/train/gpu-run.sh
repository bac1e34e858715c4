#!/usr/bin/env bash
# gpu-run.sh — the whole train -> export -> evaluate run of the default note model, on the GPU machine
# (about 6 minutes on one H100). Writes to OUT_DIR: notes-base-q8_0.gguf (pretrained on dictations),
# notes-q8_0.gguf and notes-q4_0.gguf (the base + LoRA fine-tuned with conversations, merged), and results.tar.gz
# (tokenizer, training logs, evaluation JSON, build log).
#
#   1. data: 80k dictations (base) and 40k examples half dictations, half conversations (fine-tuning),
#      held-out validation/test splits;
#   2. tokenizer: byte-level BPE, 3000 merges, on both training sets;
#   3. pretrain configs/notes-10m.json from scratch on the dictations (loss on the note tokens);
#   4. LoRA (rank 16 on q/k/v/o/gate/up/down) on the mixed set, merged;
#   5. export Q8_0 (and Q4_0) GGUFs with the project's writer;
#   6. evaluate through the engine (built here from this tree) with tools/train/eval-all.sh.
# Usage: bash tools/train/gpu-run.sh OUT_DIR   (PYTHON, WORK and JOBS may be set)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: gpu-run.sh OUT_DIR}
P=${PYTHON:-python3}
W=${WORK:-/tmp/sotto-train}
jobs=${JOBS:-14}
export PYTHONUNBUFFERED=1
mkdir -p "$out" "$W"
( cmake -S . -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF &&
  cmake --build "$W/build" --target sotto -j 8 ) > "$W/build.log" 2>&1 &
build_pid=$!

$P tools/train/datagen.py "$W/dict" --style dictation --n-train 80000 --n-val 400 --n-test 200
$P tools/train/datagen.py "$W/mix" --style mixed --n-train 40000 --n-val 400 --n-test 200
cat "$W/dict/train.jsonl" "$W/mix/train.jsonl" > "$W/all-train.jsonl"
$P tools/train/tokenizer.py "$W/all-train.jsonl" "$W/tok.json" --merges 3000

$P tools/train/train.py pretrain --config tools/train/configs/notes-10m.json --data "$W/dict" \
  --tokenizer "$W/tok.json" --out "$W/base" --device cuda --steps 3000 --batch 64 --lr 2e-3 --warmup 200 \
  --eval-every 250 --ckpt-every 1000 --max-seconds 240
$P tools/train/train.py lora --base "$W/base/ckpt.pt" --data "$W/mix" --tokenizer "$W/tok.json" --out "$W/lora" \
  --device cuda --rank 16 --alpha 32 --steps 1000 --batch 64 --lr 2e-3 --warmup 50 --eval-every 100 \
  --max-seconds 120

$P tools/train/train.py export --ckpt "$W/base/ckpt.pt" --tokenizer "$W/tok.json" --dtype q8_0 \
  --out "$out/notes-base-q8_0.gguf"
for dt in q8_0 q4_0; do
  $P tools/train/train.py export --ckpt "$W/lora/ckpt.pt" --tokenizer "$W/tok.json" --dtype $dt \
    --out "$out/notes-$dt.gguf"
done

wait "$build_pid" || { tail -30 "$W/build.log"; exit 1; }
bash tools/train/eval-all.sh "$out" "$W" "$W/build/sotto"
tar -C "$W" -czf "$out/results.tar.gz" tok.json base/log.jsonl lora/log.jsonl eval build.log
ls -l "$out"
