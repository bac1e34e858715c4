#!/usr/bin/env bash
# asr-vs-whispercpp.sh — Sotto vs whisper.cpp on the same Whisper-tiny-shaped random weights (f16), same 16 kHz WAV,
# same thread count, greedy decoding without timestamps or fallback, alternating runs. whisper.cpp is built outside
# the repository (e.g. /work/ext/whisper.cpp, cmake --build build --target whisper-cli). Both encode the 30 s window;
# random weights decode until the cap (Sotto 224 tokens = half the text context; whisper.cpp about the same).
# Usage: bash tools/bench/asr-vs-whispercpp.sh WHISPER_CLI [build-dir] [threads] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
wcli=${1:?path to whisper.cpp whisper-cli}
build=${2:-build}
threads=${3:-2}
runs=${4:-3}
work=${TMPDIR:-/tmp}/sotto-asr-bench
mkdir -p "$work"
[ -f "$work/whisper-tiny.gguf" ] || /usr/bin/python3 tools/ref/make_whisper_tiny.py "$work/whisper-tiny.gguf" "$work/whisper-tiny-ggml.bin" f16
wav=$work/phrase.wav
if [ ! -f "$wav" ]; then
  espeak-ng -s 160 -w "$work/phrase22k.wav" "we will order an x ray and review the results next week with the orthopedic team"
  /usr/bin/python3 - "$work/phrase22k.wav" "$wav" <<'PY'
import sys, wave
import numpy as np
w = wave.open(sys.argv[1]); x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64); r = w.getframerate()
n = int(len(x) * 16000 / r); y = np.interp(np.arange(n) * r / 16000.0, np.arange(len(x)), x)
o = wave.open(sys.argv[2], "wb"); o.setnchannels(1); o.setsampwidth(2); o.setframerate(16000)
o.writeframes(np.concatenate([np.zeros(4000), y, np.zeros(8000)]).round().astype("<i2").tobytes()); o.close()
PY
fi
echo "weights: whisper-tiny shape, f16, random; audio $(/usr/bin/python3 -c "import wave;w=wave.open('$wav');print(w.getnframes()/16000)") s; threads $threads"
for r in $(seq "$runs"); do
  echo "--- run $r"
  "$build/sotto" transcribe -m "$work/whisper-tiny.gguf" "$wav" --timings -t "$threads" 2>&1 >/dev/null | grep "timing: phrase" | sed 's/^/sotto:       /'
  "$wcli" -m "$work/whisper-tiny-ggml.bin" -f "$wav" -t "$threads" -nf -nt -l en -bs 1 -bo 1 2>&1 |
    grep -E "mel time|encode time|decode time|sample time|total time" | sed 's/^whisper_print_timings:/whisper.cpp:/'
done
