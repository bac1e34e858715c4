#!/usr/bin/env bash
# splat-bench.sh — the WebGPU splat benchmark (tools/splat/splat-bench.mjs) on the GPU machine.
#   here:  bash tools/splat/splat-bench.sh --prepare    (builds build-wasm-splat-bench/sotto.wasm and the node pack
#                                                        .splat-bench, tools/bench/node-pack.sh; carry .splat-bench)
#   there: bash tools/splat/splat-bench.sh [--sizes 100000,1000000,3000000] [--size 1920x1080] [--reps 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/bench/node-pack.sh
pack=.splat-bench
if [ "${1:-}" = --prepare ]; then
  bash wasm/build.sh "${SPLAT_WASM_DIR:-build-wasm-splat-bench}" >/dev/null
  node_pack_prepare "$pack"
  cp "${SPLAT_WASM_DIR:-build-wasm-splat-bench}/sotto.wasm" "$pack/sotto.wasm"
  du -sh "$pack"
  exit 0
fi
node_pack_unpack "$pack"
fb=()
[ "${NODE_PACK_FALLBACK:-0}" = 1 ] && fb=(--fallback)
WEBGPU="$WEBGPU" "$NODE" tools/splat/splat-bench.mjs "$pack/sotto.wasm" "$@" "${fb[@]}"
