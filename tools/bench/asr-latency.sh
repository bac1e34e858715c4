#!/usr/bin/env bash
# asr-latency.sh — streaming latency and real-time factor of `sotto transcribe --stream` with a Moonshine-tiny-shaped
# random-weight model, on espeak-ng speech (tools/bench/asr-speech.sh: 6 phrases of 1-6 s with 1 s pauses) fed as
# 16 kHz s16le PCM on stdin.
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
. tools/bench/asr-speech.sh
[ -f "$pcm" ] || asr_speech "$pcm"
echo "model: $model ($(du -h "$model" | cut -f1)), audio: $(( $(stat -c %s "$pcm") / 32 )) ms, CPU: $(nproc) cores"
for t in "${threads[@]}"; do
  echo "--- threads $t"
  "$build/sotto" transcribe -m "$model" --stream --chunk-ms 20 --timings -t "$t" < "$pcm" 2>&1 >/dev/null | grep timing
done
