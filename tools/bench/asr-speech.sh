# asr-speech.sh — sourced by the speech benchmarks (asr-latency.sh, webgpu-asr-bench.sh): the one test recording
# they share, so that the CPU and WebGPU numbers are on the same audio.
#
#   asr_speech OUT   writes OUT: ASR_PHRASES spoken by espeak-ng (160 words/min), resampled to 16 kHz (linear
#                    interpolation), 0.5 s of silence first and 1 s after each phrase, s16le mono PCM. About 22 s.
# Needs espeak-ng and Debian's /usr/bin/python3 (numpy).

ASR_PHRASES=(
  "the patient reports pain in the left knee"
  "since last tuesday"
  "no fever no swelling and no history of injury"
  "she takes ibuprofen twice a day"
  "okay"
  "we will order an x ray and review the results next week with the orthopedic team"
)

asr_speech() {
  local out=$1 work i
  work=$(mktemp -d)
  for i in "${!ASR_PHRASES[@]}"; do
    espeak-ng -s 160 -w "$work/p$i.wav" "${ASR_PHRASES[$i]}"
  done
  /usr/bin/python3 - "$work" "$out" "${#ASR_PHRASES[@]}" <<'PY'
import sys, wave
import numpy as np
work, out, n_phrases = sys.argv[1], sys.argv[2], int(sys.argv[3])
parts = [np.zeros(8000)]
for i in range(n_phrases):
    w = wave.open(f"{work}/p{i}.wav")
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64)
    r = w.getframerate()
    n = int(len(x) * 16000 / r)
    parts += [np.interp(np.arange(n) * r / 16000.0, np.arange(len(x)), x), np.zeros(16000)]
np.concatenate(parts).round().clip(-32768, 32767).astype("<i2").tofile(out)
PY
  rm -rf "$work"
}
