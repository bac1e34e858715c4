#!/usr/bin/env bash
# asr-latency.sh — streaming latency and real-time factor of `sotto transcribe --stream` with a Moonshine-tiny-shaped
# random-weight model, on espeak-ng speech (6 phrases of 1-6 s with 1 s pauses) fed as 16 kHz s16le PCM on stdin.
# Latency as Moonshine defines it: from the end of a phrase (the moment the VAD marks it closed) to its final text;
# the VAD's 400 ms hangover comes on top and is stated separately. RTF = model compute / audio duration.
# Random weights rarely emit eos, so every phrase decodes to the 6.5 tokens/s cap: an upper bound on decode time.
# Usage: bash tools/bench/asr-latency.sh [build-dir] [f32|f16] [threads...]   (default: build f16 2 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
dtype=${2:-f16}
shift $(( $# > 2 ? 2 : $# ))
threads=("$@")
[ ${#threads[@]} -eq 0 ] && threads=(2 1)
work=${TMPDIR:-/tmp}/sotto-asr-bench
mkdir -p "$work"
model=$work/moonshine-tiny-random-$dtype.gguf
[ -f "$model" ] || /usr/bin/python3 tools/ref/make_asr_tiny.py "$model" tiny "$dtype"
pcm=$work/speech.raw
if [ ! -f "$pcm" ]; then
  i=0
  for text in "the patient reports pain in the left knee" "since last tuesday" \
      "no fever no swelling and no history of injury" "she takes ibuprofen twice a day" "okay" \
      "we will order an x ray and review the results next week with the orthopedic team"; do
    espeak-ng -s 160 -w "$work/p$i.wav" "$text"
    i=$((i + 1))
  done
  /usr/bin/python3 - "$work" "$pcm" <<'PY'
import sys, wave, glob
import numpy as np
work, out = sys.argv[1], sys.argv[2]
parts = [np.zeros(8000)]
for i in range(6):
    w = wave.open(f"{work}/p{i}.wav")
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64)
    r = w.getframerate()
    n = int(len(x) * 16000 / r)
    parts += [np.interp(np.arange(n) * r / 16000.0, np.arange(len(x)), x), np.zeros(16000)]
np.concatenate(parts).round().clip(-32768, 32767).astype("<i2").tofile(out)
PY
fi
echo "model: $model ($(du -h "$model" | cut -f1)), audio: $(( $(stat -c %s "$pcm") / 32 )) ms, CPU: $(nproc) cores"
for t in "${threads[@]}"; do
  echo "--- threads $t"
  "$build/sotto" transcribe -m "$model" --stream --chunk-ms 20 --timings -t "$t" < "$pcm" 2>&1 >/dev/null | grep timing
done
