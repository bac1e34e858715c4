#!/usr/bin/env bash
# webgpu-asr-bench.sh — streaming speech-to-text on WebGPU on the GPU machine (Node + Dawn (npm webgpu) + the NVIDIA
# Vulkan driver): end-of-phrase latency (as docs/asr.md defines it) and real-time factor of a Moonshine-tiny-shaped
# random-weight model (tools/bench/webgpu-asr-bench.mjs builds it in memory), on the espeak-ng speech of
# tools/bench/asr-latency.sh (tools/bench/asr-speech.sh: 22 s, 6 phrases) streamed in 20 ms chunks.
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

. tools/bench/node-pack.sh
if [ "${1:-}" = "--prepare" ]; then
  node_pack_prepare "$pack"
  bash wasm/build.sh build-wasm
  cp build-wasm/sotto.wasm "$pack/"
  . tools/bench/asr-speech.sh  # the speech of asr-latency.sh
  asr_speech "$pack/speech.raw"
  du -sh "$pack"
  exit 0
fi

quick=0; [ "${1:-}" = "--quick" ] && quick=1
node_pack_unpack "$pack"
tmp=/tmp/sotto-node-pack

reps=${REPS:-3}; shapes=${SHAPES:-tiny base}; types=${TYPES:-f16 q8_0}
[ "$quick" = 1 ] && { reps=1; shapes=tiny; types=f16; }
fb=(); [ "$NODE_PACK_FALLBACK" = 1 ] && fb=(--fallback)  # no GPU here: SwiftShader, a smoke test
jsonl=${OUT:-$tmp}/webgpu-asr-bench.jsonl
: > "$jsonl"
for s in $shapes; do
  for t in $types; do
    echo "== moonshine-$s $t" >&2
    "$NODE" tools/bench/webgpu-asr-bench.mjs --pcm "$pack/speech.raw" --shape "$s" --type "$t" --reps "$reps" \
      --chunk-ms "${CHUNK_MS:-20}" --wasm "$pack/sotto.wasm" --webgpu "$WEBGPU" ${fb[@]+"${fb[@]}"} \
      | tee -a "$jsonl" || echo "{\"model\":\"moonshine-$s\",\"type\":\"$t\",\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
  done
done
echo
echo "| model | type | phrases | latency median ms | latency max ms | RTF (wall in feed/finish) | RTF (engine compute) | first phrase, cold ms | peak GPU MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
"$NODE" -e '
  const fs = require("fs");
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
    const r = JSON.parse(l);
    if (r.error) { console.log(`| ${r.model} | ${r.type} | ${r.error} | | | | | | |`); continue; }
    console.log(`| ${r.model} | ${r.type} | ${r.phrases} | ${r.latency_median_ms} | ${r.latency_max_ms} | ${r.rtf} | ` +
                `${r.rtf_engine_compute} | ${r.first_pass_first_phrase_latency_ms} | ${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} |`);
  }' "$jsonl"
