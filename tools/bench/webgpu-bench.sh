#!/usr/bin/env bash
# webgpu-bench.sh — WebGPU backend speed on the GPU machine (H100: Node + Dawn (npm webgpu) + the NVIDIA
# Vulkan driver): prefill and decode tok/s, dispatches per token, weight bytes per token, the bandwidth
# floor (tok/s if every weight byte were read once at 2.4 TB/s) and peak GPU memory, for Qwen2.5-0.5B,
# Llama-3.2-1B and Gemma-3-270M shapes with random weights in Q4_0, Q8_0 and F16 (tools/bench/webgpu-bench.mjs).
#
# Two steps:
#   1. Here (CPU machine, repo root), once:   bash tools/bench/webgpu-bench.sh --prepare
#      builds build-wasm/sotto.wasm and packs into .webgpu-bench/ (git-ignored through .git/info/exclude):
#      this machine's node (xz), the webgpu package (linux-x64 dawn.node only, xz), sotto.wasm, the Vulkan
#      loader .debs. About 29 MiB: with the tree (38 MiB in Dec 2026) just under the device tool's 64 MiB.
#      The device tool copies the session's own checkout: the pack must sit in that checkout's root.
#   2. On the GPU machine (device tool, carry [".webgpu-bench"]):
#        bash tools/bench/webgpu-bench.sh 2>&1 | tee $OUT/webgpu-bench.log
#      (--quick: 2 layers and an 8192-token vocabulary, short runs: a smoke test of the setup, not a result.
#       --check: instead of benchmarking, run the WebGPU test suite tests/webgpu/run.mjs on the GPU: every op
#       against the CPU backend with the GPU's subgroups / shader-f16, and greedy output WebGPU == CPU;
#       --check --ops-only: the op checks only; --check --no-sample: all but the sampling checks, which need ajv
#       from tools/grammar/node_modules, 1.6 MB that the device tool's 64 MiB may not hold with the tree and pack.)
#      Prints one JSON line per (model, type) and a Markdown table at the end; results also go to
#      $OUT/webgpu-bench.jsonl when OUT is set.
# Env: PROMPT (512), GEN (128), REPS (3), BW (2.4e12), MODELS ("qwen25 llama32 gemma3"), TYPES ("q4_0 q8_0 f16"),
#      LIMITS (adapter | default: WebGPU's default limits, 128 MiB bindings, as a browser tab gets).
#      FEATURES (on | off: no subgroups / shader-f16, the fallback kernels),
#      BENCH_ARGS (more webgpu-bench.mjs options, e.g. "--prompts 512,2048 --tiles -1,0,1,2,3 --chunk 1024").
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${PACK:-.webgpu-bench}  # PACK=.ort-bench: the same node pack, with sotto.wasm copied in

. tools/bench/node-pack.sh
if [ "${1:-}" = "--prepare" ]; then
  node_pack_prepare "$pack"
  bash wasm/build.sh build-wasm
  cp build-wasm/sotto.wasm "$pack/"
  du -sh "$pack"
  exit 0
fi

quick=0; [ "${1:-}" = "--quick" ] && quick=1
check=0; [ "${1:-}" = "--check" ] && check=1
node_pack_unpack "$pack"
tmp=/tmp/sotto-node-pack
if [ "$check" = 1 ]; then
  mkdir -p tests/webgpu/node_modules
  [ -e tests/webgpu/node_modules/webgpu ] || ln -s "$(dirname "$WEBGPU")" tests/webgpu/node_modules/webgpu
  exec "$NODE" tests/webgpu/run.mjs "$pack/sotto.wasm" "${@:2}"
fi

prompt=${PROMPT:-512}; gen=${GEN:-128}; reps=${REPS:-3}; bw=${BW:-2.4e12}; extra=()
[ "$NODE_PACK_FALLBACK" = 1 ] && extra+=(--fallback)  # no GPU here: SwiftShader, a smoke test
[ "$quick" = 1 ] && { prompt=64; gen=16; reps=1; extra=(--layers 2 --vocab 8192); }
jsonl=${OUT:-$tmp}/webgpu-bench.jsonl
: > "$jsonl"
for m in ${MODELS:-qwen25 llama32 gemma3}; do
  for t in ${TYPES:-q4_0 q8_0 f16}; do
    echo "== $m $t" >&2
    "$NODE" --max-old-space-size=16384 tools/bench/webgpu-bench.mjs --arch "$m" --type "$t" --prompt "$prompt" \
      --gen "$gen" --reps "$reps" --bw "$bw" --limits "${LIMITS:-adapter}" --features "${FEATURES:-on}" --wasm "$pack/sotto.wasm" --webgpu "$WEBGPU" "${extra[@]}" ${BENCH_ARGS:-} \
      | tee -a "$jsonl" || echo "{\"arch\":\"$m\",\"type\":\"$t\",\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
  done
done
echo
echo "| model | type | prefill tok/s (prompt $prompt) | decode tok/s | dispatches/token | weight MB/token | floor tok/s @ $bw B/s | % of floor | peak GPU MiB | wasm MiB | features |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
"$NODE" -e '
  const fs = require("fs");
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{"))) {  // Dawn prints shader warnings to stdout too
    const r = JSON.parse(l);
    if (r.error) { console.log(`| ${r.arch} | ${r.type} | ${r.error} | | | | | | | | |`); continue; }
    console.log(`| ${r.arch} (${r.layers} layers) | ${r.type} | ${r.prefill_tok_s} | ${r.decode_tok_s} | ${r.dispatches_per_token} | ` +
                `${(r.weight_bytes_per_token / 1e6).toFixed(1)} | ${r.floor_tok_s} | ${r.pct_of_floor} | ${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} | ` +
                `${(r.wasm_memory_bytes / 2 ** 20).toFixed(0)} | ${r.features} |`);
  }' "$jsonl"
