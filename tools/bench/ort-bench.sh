#!/usr/bin/env bash
# ort-bench.sh — onnxruntime-web (what Transformers.js runs models on) on the same weights as our WebGPU
# bench, on the GPU machine: each GGUF of tools/bench/webgpu-bench.mjs (--save: the same bytes) is converted
# by tools/bench/gguf-to-onnx.py (MatMulNBits / GroupQueryAttention / RotaryEmbedding, f16 activations)
# and decoded by tools/bench/ort-web/bench.mjs with ort-web's native WebGPU EP on Dawn for Node (npm
# webgpu, the dawn.node of webgpu-bench.sh): prefill and decode tok/s, peak GPU memory.
#
# Two steps:
#   1. Here (CPU machine, repo root), once:   bash tools/bench/ort-bench.sh --prepare
#      Packs into .ort-bench/ (git-ignored; the device tool sends only the session's own checkout): the node,
#      dawn.node and Vulkan .debs of tools/bench/node-pack.sh, ort-web's dist files for the native WebGPU EP
#      (ort.webgpu.min.mjs + the asyncify wasm, xz) and copies of the scripts (the pack runs on its own).
#      ~23 MiB.
#      Needs tools/bench/ort-web/node_modules (npm ci --prefix tools/bench/ort-web).
#   2. On the GPU machine (device tool, carry [".ort-bench"]):
#        bash .ort-bench/tools/bench/ort-bench.sh 2>&1 | tee $OUT/ort-bench.log
#      (--quick: 2 layers, an 8192-token vocabulary, short runs: a smoke test of the setup, not a result.
#       --check: instead, tools/bench/ort-web/check.mjs on the GPU: ORT logits == the PyTorch reference
#       logits of tests/fixtures/models, f16 activations.)
#      The device has python3 with numpy and onnx (the converter's needs), no node.
# Env: PROMPT (512), GEN (128), REPS (3), MODELS ("qwen25 llama32 gemma3"), TYPES ("q4_0 f16"),
#      DTYPE (activations of the ONNX graph: f16, as Transformers.js' q4f16 / fp16 models, where the adapter
#      has shader-f16, else f32; the H200's Dawn/Vulkan adapter had no shader-f16 in Dec 2026), ORT (native; jsep is not packed), EP (webgpu | wasm), PYTHON (python3),
#      Q8 (integer | nbits: the ONNX form of Q8_0 weights, gguf-to-onnx.py --q8; integer's MatMulInteger runs off the GPU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

. "$here/node-pack.sh"
if [ "${1:-}" = "--prepare" ]; then
  cd "$root"
  pack=.ort-bench
  om=tools/bench/ort-web/node_modules
  [ -d "$om/onnxruntime-web" ] || npm ci --prefix tools/bench/ort-web --no-audit --no-fund
  node_pack_prepare "$pack"
  mkdir -p "$pack/ort" "$pack/tools/bench/ort-web" "$pack/tools/ref"
  d=$om/onnxruntime-web/dist
  cp "$d/ort.webgpu.min.mjs" "$d/ort-wasm-simd-threaded.asyncify.mjs" "$pack/ort/"
  xz -T2 -6 -c "$d/ort-wasm-simd-threaded.asyncify.wasm" > "$pack/ort/ort-wasm-simd-threaded.asyncify.wasm.xz"
  cp tools/bench/ort-bench.sh tools/bench/node-pack.sh tools/bench/gguf-to-onnx.py tools/bench/webgpu-bench.mjs \
    tools/bench/gguf-write.mjs tools/bench/options.mjs "$pack/tools/bench/"
  cp tools/bench/ort-web/bench.mjs tools/bench/ort-web/ort-lm.mjs tools/bench/ort-web/check.mjs "$pack/tools/bench/ort-web/"
  cp tools/ref/ggufw.py "$pack/tools/ref/"
  du -sh "$pack"
  exit 0
fi

# The pack: the folder this script sits in two levels below, or .ort-bench in the repo root.
if [ -f "$root/node.xz" ]; then pack=$root; repo=$(cd "$root/.." && pwd); else pack=$root/.ort-bench; repo=$root; fi
[ -f "$pack/node.xz" ] || { echo "ort-bench: $pack missing: run '$0 --prepare' first and carry it" >&2; exit 1; }
quick=0; [ "${1:-}" = "--quick" ] && quick=1
check=0; [ "${1:-}" = "--check" ] && check=1
node_pack_unpack "$pack"
tmp=/tmp/sotto-ort-bench
rm -rf "$tmp" && mkdir -p "$tmp/ort"
cp "$pack/ort/"*.mjs "$tmp/ort/"
xz -dc "$pack/ort/ort-wasm-simd-threaded.asyncify.wasm.xz" > "$tmp/ort/ort-wasm-simd-threaded.asyncify.wasm"
fallback=(); [ "$NODE_PACK_FALLBACK" = 1 ] && fallback=(--fallback)
# f16 activations where the adapter has shader-f16 (as Transformers.js' q4f16 / fp16 models need), else f32.
probe=$("$NODE" -e '
  import(require("url").pathToFileURL(process.argv[1]).href).then(async ({ create }) => {
    const t = process.env.SOTTO_DAWN_TOGGLES;  // as ort-lm.mjs: the toggles that expose shader-f16 on NVIDIA Vulkan
    const a = await create(t ? [`enable-dawn-features=${t}`] : []).requestAdapter({ forceFallbackAdapter: process.argv[2] === "1" });
    console.log(a && a.features.has("shader-f16") ? "f16" : "f32"); process.exit(0);
  });' "$WEBGPU" "$([ ${#fallback[@]} -gt 0 ] && echo 1 || echo 0)" 2>/dev/null || echo f32)
dtype=${DTYPE:-$probe}
echo "activations: $dtype (adapter shader-f16: $([ "$probe" = f16 ] && echo yes || echo no))"
py=${PYTHON:-python3}  # the device's python3 has numpy + onnx; here Debian's /usr/bin/python3 has them
[ -n "${PYTHON:-}" ] || "$py" -c 'import numpy, onnx' 2>/dev/null || py=/usr/bin/python3
"$py" -c 'import numpy, onnx; print("numpy", numpy.__version__, "onnx", onnx.__version__)'
common=(--ort "${ORT:-native}" --ort-dir "$tmp/ort" --webgpu "$WEBGPU" "${fallback[@]}")
if [ "$check" = 1 ]; then
  exec "$NODE" "$pack/tools/bench/ort-web/check.mjs" --ep "${EP:-webgpu}" --fixtures "$repo/tests/fixtures/models" \
    --tmp "$tmp/check" --python "$py" "${common[@]}"
fi

prompt=${PROMPT:-512}; gen=${GEN:-128}; reps=${REPS:-3}; shape=()
[ "$quick" = 1 ] && { prompt=${PROMPT:-64}; gen=${GEN:-16}; reps=${REPS:-1}; shape=(--layers 2 --vocab 8192); }
jsonl=${OUT:-$tmp}/ort-bench.jsonl
: > "$jsonl"
for m in ${MODELS:-qwen25 llama32 gemma3}; do
  for t in ${TYPES:-q4_0 f16}; do
    echo "== $m $t" >&2
    g=$tmp/$m-$t.gguf; x=$tmp/$m-$t.onnx
    if "$NODE" "$pack/tools/bench/webgpu-bench.mjs" --arch "$m" --type "$t" "${shape[@]}" --save "$g" &&
       "$py" "$pack/tools/bench/gguf-to-onnx.py" "$g" "$x" --dtype "$dtype" --max-pos $((prompt + gen + 64)) --q8 "${Q8:-integer}" &&
       "$NODE" --max-old-space-size=16384 "$pack/tools/bench/ort-web/bench.mjs" --gguf "$g" --onnx "$x" --arch "$m" \
         --type "$t" --prompt "$prompt" --gen "$gen" --reps "$reps" --ep "${EP:-webgpu}" "${common[@]}" | tee -a "$jsonl"; then :
    else
      echo "{\"arch\":\"$m\",\"type\":\"$t\",\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
    fi
    rm -f "$g" "$x" "$x".data*
  done
done
echo
echo "| model | type | runtime | activations | prefill tok/s (prompt $prompt) | decode tok/s | peak GPU MiB | load s | features |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
"$NODE" -e '
  const fs = require("fs");
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{"))) {  // Dawn prints shader warnings to stdout too
    const r = JSON.parse(l);
    if (r.error) { console.log(`| ${r.arch} | ${r.type} | ${r.error} | | | | | | |`); continue; }
    console.log(`| ${r.arch} (${r.layers} layers) | ${r.type} | ${r.runtime} | ${r.dtype} | ${r.prefill_tok_s} | ${r.decode_tok_s} | ` +
                `${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} | ${r.load_s} | ${r.features} |`);
  }' "$jsonl"
