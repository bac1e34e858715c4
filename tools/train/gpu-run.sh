#!/usr/bin/env bash
# gpu-run.sh — the whole train -> export -> evaluate run of the default note model, on the GPU machine (one
# H100, about 10 minutes). Writes to OUT_DIR: notes-base-q8_0.gguf (pretrained), notes-q8_0.gguf and
# notes-q4_0.gguf (the base + LoRA fine-tuned on longer conversations, merged; notes-q8_0 is the candidate
# default), results.json (every evaluation row, eval-all.sh) and results.tar.gz (tokenizer, training logs,
# evaluation JSON, build log).
#
#   1. data (tools/train/datagen.py, the training generator family only): BASE_N examples, dictations and
#      conversations, short and medium (up to ~450 words), with null facts, spoken corrections, relative dates
#      and visit dates (pretraining); FT_N medium conversations from another seed range (fine-tuning);
#   2. tokenizer: byte-level BPE, 3000 merges, on the first 4,000 pretraining examples (TOK_N; the merge loop
#      is Python: 72 s for 2,000 examples, 131 s for 8,000 on this project's loaded 2-core CPU machine);
#   3. pretrain configs/notes-10m.json from scratch (loss on the note tokens, sequences up to 1,024 tokens);
#   4. LoRA (rank 16 on q/k/v/o/gate/up/down) on the conversations, merged;
#   5. export Q8_0 (and Q4_0) GGUFs with the project's writer;
#   6. evaluate through the engine (built here from this tree) with tools/train/eval-all.sh: the in-family test
#      set, the held-out generator family, and held-out long consultations (1,000-4,000 words).
# Usage: bash tools/train/gpu-run.sh OUT_DIR
#   (DEADLINE: seconds from the start after which the evaluation stops, its finished rows kept;
#   PYTHON, WORK, JOBS, BASE_N, FT_N, TOK_N, PRE_STEPS, PRE_SECONDS, FT_STEPS, FT_SECONDS, BATCH, N may be set; a CPU
#   rehearsal: DEVICE=cpu CONFIG=tools/train/configs/tiny.json SOTTO_BIN=build/sotto and small counts)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: gpu-run.sh OUT_DIR}
P=${PYTHON:-python3}
W=${WORK:-/tmp/sotto-train}
jobs=${JOBS:-14}
export PYTHONUNBUFFERED=1
t0=$(date +%s)
mkdir -p "$out" "$W"
out=$(cd "$out" && pwd)
dev=${DEVICE:-cuda}
cfg=${CONFIG:-tools/train/configs/notes-10m.json}
batch=${BATCH:-64}
if [ -n "${SOTTO_BIN:-}" ]; then  # an engine built already
  sotto=$(cd "$(dirname "$SOTTO_BIN")" && pwd)/$(basename "$SOTTO_BIN")
  echo "using $sotto" > "$W/build.log"
  true & build_pid=$!
else
  sotto="$W/build/sotto"
  ( cmake -S . -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF &&
    cmake --build "$W/build" --target sotto -j 8 ) > "$W/build.log" 2>&1 &
  build_pid=$!
fi

$P tools/train/datagen.py "$W/base" --style mixed --length mixed --n-train "${BASE_N:-50000}" --n-val 400 --n-test 0
$P tools/train/datagen.py "$W/ft" --style conversation --length medium --offset 2000000 --n-train "${FT_N:-20000}" \
  --n-val 400 --n-test 0
head -n "${TOK_N:-4000}" "$W/base/train.jsonl" > "$W/tok-corpus.jsonl"
$P tools/train/tokenizer.py "$W/tok-corpus.jsonl" "$W/tok.json" --merges 3000
echo "data and tokenizer: $(( $(date +%s) - t0 )) s"

$P tools/train/train.py pretrain --config "$cfg" --data "$W/base" \
  --tokenizer "$W/tok.json" --out "$W/pre" --device "$dev" --steps "${PRE_STEPS:-4000}" --batch "$batch" --seq 1024 \
  --lr 2e-3 --warmup 150 --eval-every 250 --ckpt-every 1000 --max-seconds "${PRE_SECONDS:-210}" --time-schedule
# The pretrained model at once: a call cut during the fine-tuning still returns a model.
$P tools/train/train.py export --ckpt "$W/pre/ckpt.pt" --tokenizer "$W/tok.json" --dtype q8_0 \
  --out "$out/notes-base-q8_0.gguf"
$P tools/train/train.py lora --base "$W/pre/ckpt.pt" --data "$W/ft" --tokenizer "$W/tok.json" --out "$W/lora" \
  --device "$dev" --rank 16 --alpha 32 --steps "${FT_STEPS:-1500}" --batch "$batch" --seq 1024 --lr 2e-3 --warmup 50 \
  --eval-every 100 --max-seconds "${FT_SECONDS:-90}" --time-schedule
echo "training: $(( $(date +%s) - t0 )) s"

for dt in q8_0 q4_0; do
  $P tools/train/train.py export --ckpt "$W/lora/ckpt.pt" --tokenizer "$W/tok.json" --dtype $dt \
    --out "$out/notes-$dt.gguf"
done

wait "$build_pid" || { tail -30 "$W/build.log"; exit 1; }
# DEADLINE (seconds from the start): the evaluation stops there (one device call is 10 minutes at most); the
# rows finished by then are in results.json (remade below from eval/*.json).
left=$(( ${DEADLINE:-100000} - ($(date +%s) - t0) ))
JOBS=$jobs timeout "$(( left > 10 ? left : 10 ))" bash tools/train/eval-all.sh "$out" "$W" "$sotto" ||
  echo "evaluation stopped at DEADLINE (${DEADLINE:-}) s: partial rows"
mkdir -p "$W/eval"
$P - "$W/eval" "$out/results.json" <<'EOF'
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
rows = {f[:-5]: json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")}
json.dump(rows, open(out, "w"), indent=1)
print(f"{len(rows)} evaluation rows: {', '.join(rows)}")
EOF
tar -C "$W" -czf "$out/results.tar.gz" tok.json pre/log.jsonl lora/log.jsonl eval build.log
echo "total: $(( $(date +%s) - t0 )) s"
ls -l "$out"
