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
[ -f "$pack/node.xz" ] || { echo "webgpu-sample-bench: $pack/ missing: run 'bash tools/bench/webgpu-bench.sh --prepare' first and carry $pack" >&2; exit 1; }
tmp=/tmp/sotto-webgpu-bench
mkdir -p "$tmp/webgpu/dist/linux-x64"
[ -x "$tmp/node" ] || { xz -dc "$pack/node.xz" > "$tmp/node" && chmod +x "$tmp/node"; }
cp "$pack/webgpu/index.js" "$pack/webgpu/package.json" "$tmp/webgpu/"
[ -f "$tmp/webgpu/dist/linux-x64/dawn.node" ] || xz -dc "$pack/webgpu/dist/linux-x64/dawn.node.xz" > "$tmp/webgpu/dist/linux-x64/dawn.node"
if ! ldconfig -p | grep -q libvulkan.so.1 || ! ldconfig -p | grep -q libGLX.so.0; then  # NVIDIA's ICD needs GLVND
  for f in "$pack"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
for v in ${VOCABS:-151936 262144}; do
  echo "== vocab $v" >&2
  "$tmp/node" tools/bench/webgpu-sample-bench.mjs --vocab "$v" --batch "${BATCH:-64}" --steps "${STEPS:-300}" \
    --reps "${REPS:-3}" --wasm "$pack/sotto.wasm" --webgpu "$tmp/webgpu/index.js"
done
