#!/usr/bin/env bash
# gpu-asr.sh — the speech model's whole run on the GPU machine (about 9 minutes on one H100): espeak-ng speech of
# the dictation domain, a Moonshine-style model trained from scratch with noise/gain/silence augmentation, GGUF
# export (Q8_0), and the word error rate of `sotto transcribe` (built here) on held-out synthetic speech.
# espeak-ng comes from Debian packages carried in dev/scratch/espeak (apt-get download espeak-ng libespeak-ng1
# espeak-ng-data libsonic0 libpcaudio0), with a stub for libpcaudio's sound-device calls (tools/train/pcaudio-stub.c).
# Writes OUT_DIR/{asr-q8_0.gguf, asr-results.tar.gz}.  Usage: bash tools/train/gpu-asr.sh OUT_DIR
# Env: N_TRAIN, STEPS, MAX_SECONDS, LR, WARMUP; INIT=M.gguf continues from an earlier export of the same data.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: gpu-asr.sh OUT_DIR}
P=${PYTHON:-python3}
W=${WORK:-/tmp/sotto-asr}
export PYTHONUNBUFFERED=1
mkdir -p "$out" "$W"
E=$W/espeak
mkdir -p "$E"
for f in dev/scratch/espeak/{espeak-ng,libespeak-ng1,espeak-ng-data,libsonic0}_*.deb; do dpkg -x "$f" "$E"; done
lib=$E/usr/lib/x86_64-linux-gnu
gcc -shared -fPIC -o "$lib/libpcaudio.so.0" tools/train/pcaudio-stub.c
cat > "$E/espeak-ng" <<EOS
#!/bin/sh
LD_LIBRARY_PATH=$lib ESPEAK_DATA_PATH=$lib exec $E/usr/bin/espeak-ng "\$@"
EOS
chmod +x "$E/espeak-ng"
"$E/espeak-ng" --stdout "test" > "$W/probe.wav" && [ "$(head -c 4 "$W/probe.wav")" = RIFF ] ||
  { echo "espeak-ng does not run"; exit 1; }

( cmake -S . -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF &&
  cmake --build "$W/build" --target sotto -j 4 ) > "$W/build.log" 2>&1 &
build_pid=$!
$P tools/train/asr.py synth "$W/train" --n ${N_TRAIN:-24000} --split train --espeak "$E/espeak-ng"
$P tools/train/asr.py synth "$W/test" --n 200 --split test --espeak "$E/espeak-ng"
$P tools/train/asr.py train --data "$W/train" --out "$W/run" --device cuda --steps ${STEPS:-5000} --batch 64 \
  --lr ${LR:-1.5e-3} --warmup ${WARMUP:-300} --hidden 256 --enc-layers 4 --dec-layers 4 --merges 1500 \
  --max-seconds ${MAX_SECONDS:-330} ${INIT:+--init-gguf "$INIT"}
$P tools/train/asr.py export --ckpt "$W/run/ckpt.pt" --dtype q8_0 --out "$out/asr-q8_0.gguf"
wait "$build_pid" || { tail -30 "$W/build.log"; exit 1; }
$P tools/train/asr.py wer --data "$W/test" --gguf "$out/asr-q8_0.gguf" --sotto "$W/build/sotto" --n 200 \
  --json "$W/wer.json"
tar -C "$W" -czf "$out/asr-results.tar.gz" run/log.jsonl wer.json build.log
ls -l "$out"
