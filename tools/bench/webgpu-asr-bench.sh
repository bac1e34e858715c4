#!/usr/bin/env bash
# webgpu-asr-bench.sh — streaming speech-to-text on WebGPU on the GPU machine (Node + Dawn (npm webgpu) + the NVIDIA
# Vulkan driver): end-of-phrase latency (as docs/asr.md defines it) and real-time factor of a Moonshine-tiny-shaped
# random-weight model (tools/bench/webgpu-asr-bench.mjs builds it in memory), on the espeak-ng speech of
# tools/bench/asr-latency.sh (22 s, 6 phrases) streamed in 20 ms chunks.
#
# Two steps:
#   1. Here (CPU machine, repo root), once:   bash tools/bench/webgpu-asr-bench.sh --prepare
#      builds build-wasm/sotto.wasm and packs into .webgpu-asr-bench/ (git-ignored through .git/info/exclude): this
#      machine's node (xz), the webgpu package (linux-x64 dawn.node only, xz), sotto.wasm, the Vulkan loader .debs
#      and the speech as 16 kHz s16le PCM. About 36 MiB, under the device tool's 64 MiB.
#   2. On the GPU machine (device tool, carry [".webgpu-asr-bench"]):
#        bash tools/bench/webgpu-asr-bench.sh 2>&1 | tee $OUT/webgpu-asr-bench.log
#      (--quick: one measured pass, tiny f16 only: a smoke test of the setup.) Prints one JSON line per (shape, type)
#      and a Markdown table; results also go to $OUT/webgpu-asr-bench.jsonl when OUT is set.
#   Locally (SwiftShader: a smoke test, numbers meaningless): node tools/bench/webgpu-asr-bench.mjs --pcm \
#     .webgpu-asr-bench/speech.raw --fallback --layers 1 --seconds 6 --reps 1
# Env: SHAPES ("tiny base"), TYPES ("f16 q8_0"), REPS (3), CHUNK_MS (20).
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=.webgpu-asr-bench

if [ "${1:-}" = "--prepare" ]; then
  excl=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$excl")"
  grep -qx "/$pack/" "$excl" 2>/dev/null || echo "/$pack/" >> "$excl"
  bash wasm/build.sh build-wasm
  [ -d tests/webgpu/node_modules/webgpu ] || npm ci --prefix tests/webgpu --no-audit --no-fund
  rm -rf "$pack" && mkdir -p "$pack/webgpu/dist/linux-x64" "$pack/debs"
  cp build-wasm/sotto.wasm "$pack/"
  xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$pack/node.xz"
  w=tests/webgpu/node_modules/webgpu
  cp "$w/index.js" "$w/package.json" "$pack/webgpu/"
  xz -T2 -6 -c "$w/dist/linux-x64/dawn.node" > "$pack/webgpu/dist/linux-x64/dawn.node.xz"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq
  # the Vulkan loader, and the GLVND libraries NVIDIA's Vulkan ICD (libGLX_nvidia) loads (the device README's set)
  debs="libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2"
  (cd "$pack/debs" && apt-get $o download $debs >/dev/null)
  for d in $debs; do  # apt-get has been seen to skip one silently
    ls "$pack/debs/${d}_"*.deb >/dev/null 2>&1 || (cd "$pack/debs" && apt-get $o download "$d" >/dev/null)
    ls "$pack/debs/${d}_"*.deb >/dev/null 2>&1 || { echo "webgpu-asr-bench: could not download $d" >&2; exit 1; }
  done
  # The speech of asr-latency.sh: 6 espeak-ng phrases with 1 s pauses, 16 kHz s16le.
  work=$(mktemp -d)
  i=0
  for text in "the patient reports pain in the left knee" "since last tuesday" \
      "no fever no swelling and no history of injury" "she takes ibuprofen twice a day" "okay" \
      "we will order an x ray and review the results next week with the orthopedic team"; do
    espeak-ng -s 160 -w "$work/p$i.wav" "$text"
    i=$((i + 1))
  done
  /usr/bin/python3 - "$work" "$pack/speech.raw" <<'PY'
import sys, wave
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
  rm -rf "$work"
  du -sh "$pack"
  exit 0
fi

quick=0; [ "${1:-}" = "--quick" ] && quick=1
[ -f "$pack/node.xz" ] || { echo "webgpu-asr-bench: $pack/ missing: run '$0 --prepare' first and carry $pack" >&2; exit 1; }
tmp=/tmp/sotto-webgpu-asr-bench
mkdir -p "$tmp/webgpu/dist/linux-x64"
xz -dc "$pack/node.xz" > "$tmp/node" && chmod +x "$tmp/node"
cp "$pack/webgpu/index.js" "$pack/webgpu/package.json" "$tmp/webgpu/"
xz -dc "$pack/webgpu/dist/linux-x64/dawn.node.xz" > "$tmp/webgpu/dist/linux-x64/dawn.node"
if ! ldconfig -p | grep -q libvulkan.so.1 || ! ldconfig -p | grep -q libGLX.so.0; then  # NVIDIA's ICD needs GLVND
  for f in "$pack"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
"$tmp/node" --version

reps=${REPS:-3}; shapes=${SHAPES:-tiny base}; types=${TYPES:-f16 q8_0}
[ "$quick" = 1 ] && { reps=1; shapes=tiny; types=f16; }
jsonl=${OUT:-$tmp}/webgpu-asr-bench.jsonl
: > "$jsonl"
for s in $shapes; do
  for t in $types; do
    echo "== moonshine-$s $t" >&2
    "$tmp/node" tools/bench/webgpu-asr-bench.mjs --pcm "$pack/speech.raw" --shape "$s" --type "$t" --reps "$reps" \
      --chunk-ms "${CHUNK_MS:-20}" --wasm "$pack/sotto.wasm" --webgpu "$tmp/webgpu/index.js" \
      | tee -a "$jsonl" || echo "{\"model\":\"moonshine-$s\",\"type\":\"$t\",\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
  done
done
echo
echo "| model | type | phrases | latency median ms | latency max ms | RTF (wall in feed/finish) | RTF (engine compute) | first phrase, cold ms | peak GPU MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
"$tmp/node" -e '
  const fs = require("fs");
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
    const r = JSON.parse(l);
    if (r.error) { console.log(`| ${r.model} | ${r.type} | ${r.error} | | | | | | |`); continue; }
    console.log(`| ${r.model} | ${r.type} | ${r.phrases} | ${r.latency_median_ms} | ${r.latency_max_ms} | ${r.rtf} | ` +
                `${r.rtf_engine_compute} | ${r.first_pass_first_phrase_latency_ms} | ${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} |`);
  }' "$jsonl"
