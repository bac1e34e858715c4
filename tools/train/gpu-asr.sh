#!/usr/bin/env bash
# gpu-asr.sh — the speech model's run on the GPU machine, in phases that each fit one 10-minute device call:
#   synth  espeak-ng speech of the dictation domain (train + held-out sets) and an engine build, into $WORK
#   train  a Moonshine-style model trained with noise/gain/silence augmentation (from scratch, or from
#          INIT_CKPT), exported to GGUF (Q8_0), then the word error rate of `sotto transcribe` (built here) on
#          200 held-out utterances and on 40 whole held-out dictations (with the notes written from them)
# A phase that finds no data or no build (a fresh machine) makes them first.
# espeak-ng comes from Debian packages carried in dev/scratch/espeak (apt-get download espeak-ng libespeak-ng1
# espeak-ng-data libsonic0 libpcaudio0), with a stub for libpcaudio's sound-device calls (tools/train/pcaudio-stub.c).
# Writes OUT_DIR/{asr-q8_0.gguf, asr-results.tar.gz, ckpt.pt.part*} (the checkpoint in f16, split so that each
# part comes back from the device: `cat ckpt.pt.part* > ckpt.pt`).
# Usage: bash tools/train/gpu-asr.sh OUT_DIR synth|train
# Env: N_TRAIN, STEPS, MAX_SECONDS, LR, WARMUP, HIDDEN, ENC_LAYERS, DEC_LAYERS; INIT_CKPT=ckpt.pt continues.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: gpu-asr.sh OUT_DIR synth|train}
phase=${2:?usage: gpu-asr.sh OUT_DIR synth|train}
P=${PYTHON:-python3}
W=${WORK:-dev/scratch/asr-work}
export PYTHONUNBUFFERED=1
mkdir -p "$out" "$W"
W=$(cd "$W" && pwd)
E=$W/espeak
if [ ! -x "$E/espeak-ng" ]; then
  mkdir -p "$E"
  for f in dev/scratch/espeak/{espeak-ng,libespeak-ng1,espeak-ng-data,libsonic0}_*.deb; do dpkg -x "$f" "$E"; done
  lib=$E/usr/lib/x86_64-linux-gnu
  gcc -shared -fPIC -o "$lib/libpcaudio.so.0" tools/train/pcaudio-stub.c
  cat > "$E/espeak-ng" <<EOS
#!/bin/sh
LD_LIBRARY_PATH=$lib ESPEAK_DATA_PATH=$lib exec $E/usr/bin/espeak-ng "\$@"
EOS
  chmod +x "$E/espeak-ng"
fi
"$E/espeak-ng" --stdout "test" > "$W/probe.wav" && [ "$(head -c 4 "$W/probe.wav")" = RIFF ] ||
  { echo "espeak-ng does not run"; exit 1; }

build_pid=
if [ ! -x "$W/build/sotto" ]; then
  ( cmake -S . -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF &&
    cmake --build "$W/build" --target sotto -j 4 ) > "$W/build.log" 2>&1 &
  build_pid=$!
fi
[ -f "$W/train/texts.json" ] || $P tools/train/asr.py synth "$W/train" --n ${N_TRAIN:-40000} --split train --espeak "$E/espeak-ng"
[ -f "$W/test/texts.json" ] || $P tools/train/asr.py synth "$W/test" --n 200 --split test --espeak "$E/espeak-ng"
if [ "$phase" = train ]; then
  rm -rf "$W/run"
  $P tools/train/asr.py train --data "$W/train" --out "$W/run" --device cuda --steps ${STEPS:-2800} --batch 64 \
    --lr ${LR:-1.5e-3} --warmup ${WARMUP:-300} --hidden ${HIDDEN:-256} --enc-layers ${ENC_LAYERS:-6} \
    --dec-layers ${DEC_LAYERS:-4} --merges 1500 --max-seconds ${MAX_SECONDS:-480} ${INIT_CKPT:+--init-ckpt "$INIT_CKPT"}
  $P tools/train/asr.py export --ckpt "$W/run/ckpt.pt" --dtype q8_0 --out "$out/asr-q8_0.gguf"
  $P - "$W/run/ckpt.pt" "$out/ckpt.pt" <<'EOF'
import sys, torch
c = torch.load(sys.argv[1], map_location="cpu")
c["weights"] = {k: v.half() for k, v in c["weights"].items()}
torch.save(c, sys.argv[2])
EOF
  split -b 15M -d "$out/ckpt.pt" "$out/ckpt.pt.part" && rm "$out/ckpt.pt"
fi
[ -z "$build_pid" ] || wait "$build_pid" || { tail -30 "$W/build.log"; exit 1; }
if [ "$phase" = train ]; then
  $P tools/train/asr.py wer --data "$W/test" --gguf "$out/asr-q8_0.gguf" --sotto "$W/build/sotto" --n 200 \
    --json "$W/wer.json"
  $P tools/train/asr.py dictation --gguf "$out/asr-q8_0.gguf" --sotto "$W/build/sotto" --espeak "$E/espeak-ng" \
    --n 40 --notes --note-model models/sotto-notes-q8_0.gguf --json "$W/dictation.json"
  tar -C "$W" -czf "$out/asr-results.tar.gz" run/log.jsonl wer.json dictation.json build.log
fi
ls -l "$out"
