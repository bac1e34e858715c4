#!/usr/bin/env bash
# webgpu-sample-bench.sh — GPU sampling and grammar-mask cost on the GPU machine (tools/bench/webgpu-sample-bench.mjs:
# argmax vs the GPU sampler, with and without the grammar mask upload + test, per step and per submit).
# Uses the pack of webgpu-bench.sh (node, the webgpu package with dawn.node, sotto.wasm, Vulkan loader debs):
#   1. here (repo root):  bash tools/bench/webgpu-bench.sh --prepare
#   2. GPU machine (device tool, carry [".webgpu-bench"]):
#        bash tools/bench/webgpu-sample-bench.sh 2>&1 | tee $OUT/webgpu-sample-bench.log
# Env: VOCABS ("151936 262144"), BATCH (64), STEPS (300), REPS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=.webgpu-bench
. tools/bench/node-pack.sh
node_pack_unpack "$pack"
for v in ${VOCABS:-151936 262144}; do
  echo "== vocab $v" >&2
  "$NODE" tools/bench/webgpu-sample-bench.mjs --vocab "$v" --batch "${BATCH:-64}" --steps "${STEPS:-300}" \
    --reps "${REPS:-3}" --wasm "$pack/sotto.wasm" --webgpu "$WEBGPU" $([ "$NODE_PACK_FALLBACK" = 1 ] && echo --fallback)
done
