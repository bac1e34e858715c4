#!/usr/bin/env bash
# vision-bench.sh — SmolVLM on WebGPU on the GPU machine (H100: Node + Dawn (npm webgpu) + the NVIDIA Vulkan
# driver): the vision tower per image, the prefill of the image tokens + the first token, image-to-first-token,
# decode tok/s and peak GPU memory, for the SmolVLM-256M and -500M shapes with random weights built in memory
# (tools/bench/vision-gpu-bench.mjs), the tower in F16 and in Q8_0, at one 512 x 512 tile and at SmolVLM's default
# tiling of a 512 x 512 photo (longest edge 2048: 16 crops + the global image = 17 tiles), under WebGPU's default
# limits (the issue's bar: < 1 GB of GPU memory at one 512 x 512 image, as a browser tab gets them).
#
# onnxruntime-web on the same towers: each mmproj (the same bytes: vision-gpu-bench.mjs --save) becomes an ONNX graph
# (tools/bench/vision-to-onnx.py: numpy + onnx, which the GPU machine's python3 has; Q8_0 as MatMulNBits bits 8) and
# runs on ORT's WebGPU EP (tools/bench/vision-ort-bench.mjs): the tower for 1 and 17 tiles, peak GPU memory.
#
# Two steps (the node pack of tools/bench/node-pack.sh, plus onnxruntime-web's files):
#   1. Here (CPU machine, repo root), once:   bash tools/bench/vision-bench.sh --prepare
#      builds $WASM_BUILD/sotto.wasm (build-wasm) and packs into .vision-bench/ (git-ignored): node (xz), the
#      webgpu package (dawn.node, xz), sotto.wasm (xz), the Vulkan loader .debs, ort-web's WebGPU build (xz): 24 MiB
#      (20 MiB with ORT=0). Measured 7 Dec 2026: the tracked tree is 47 MiB, so tree + pack pass the device tool's
#      64 MiB; the run needs only tools/bench, tools/ref/ggufw.py, wasm/*.mjs and tests/fixtures/vision.
#      Needs tools/bench/ort-web/node_modules (npm ci --prefix tools/bench/ort-web).
#   2. On the GPU machine (device tool, carry [".vision-bench"]):
#        bash tools/bench/vision-bench.sh 2>&1 | tee $OUT/vision-bench.log
#      (--quick: a tower of 2 layers on 128 x 128 tiles, an LM of 2 layers and 8192 tokens, one short run each: a
#       smoke test of the setup, not a result; on a machine without NVIDIA's driver it runs on SwiftShader.)
#      Prints one JSON line per run (also to $OUT/vision-bench.jsonl when OUT is set) and a Markdown table.
# Env: MODELS ("256m 500m"), TOWERS ("f16 q8_0"), LONGEST ("512 2048"), TYPE (the LM's matrices: q8_0),
#      LIMITS ("default adapter": each run under WebGPU's default limits, then the adapter's largest), GEN (64),
#      REPS (3), PACK (.vision-bench), WASM_BUILD (build-wasm, for --prepare), ORT (1; 0: skip onnxruntime-web),
#      DTYPE (the ONNX graph's activations: f32; f16 where the adapter has shader-f16), PYTHON (python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${PACK:-.vision-bench}

. tools/bench/node-pack.sh
if [ "${1:-}" = "--prepare" ]; then
  node_pack_prepare "$pack"
  if [ "${ORT:-1}" = 1 ]; then  # ORT=0: no onnxruntime-web files (4 MiB less to carry)
    om=tools/bench/ort-web/node_modules
    [ -d "$om/onnxruntime-web" ] || npm ci --prefix tools/bench/ort-web --no-audit --no-fund
    mkdir -p "$pack/ort"
    d=$om/onnxruntime-web/dist
    cp "$d/ort.webgpu.min.mjs" "$d/ort-wasm-simd-threaded.asyncify.mjs" "$pack/ort/"
    xz -T2 -6 -c "$d/ort-wasm-simd-threaded.asyncify.wasm" > "$pack/ort/ort-wasm-simd-threaded.asyncify.wasm.xz"
  fi
  bash wasm/build.sh "${WASM_BUILD:-build-wasm}"
  xz -T2 -6 -c "${WASM_BUILD:-build-wasm}/sotto.wasm" > "$pack/sotto.wasm.xz"
  du -sh "$pack"
  exit 0
fi

quick=0; [ "${1:-}" = "--quick" ] && quick=1
node_pack_unpack "$pack"
tmp=/tmp/sotto-node-pack
wasm=$tmp/sotto.wasm
xz -dc "$pack/sotto.wasm.xz" > "$wasm"
gen=${GEN:-64}; reps=${REPS:-3}; models=${MODELS:-256m 500m}; towers=${TOWERS:-f16 q8_0}; longest=${LONGEST:-512 2048}
limits=${LIMITS:-default adapter}; extra=(); fb=()
[ "$NODE_PACK_FALLBACK" = 1 ] && fb=(--fallback) && extra+=(--fallback)  # no GPU here: SwiftShader, a smoke test
if [ "$quick" = 1 ]; then
  gen=4; reps=1; models=${MODELS:-256m}; towers=${TOWERS:-q8_0}; longest=${LONGEST:-128}; limits=${LIMITS:-default}
  extra+=(--layers 2 --vocab 8192 --image-size 128)
fi
jsonl=${OUT:-$tmp}/vision-bench.jsonl
: > "$jsonl"
ort=${ORT:-1}
if [ "$ort" = 1 ] && [ -d "$pack/ort" ]; then
  mkdir -p "$tmp/ort"
  cp "$pack/ort/"*.mjs "$tmp/ort/"
  [ -f "$tmp/ort/ort-wasm-simd-threaded.asyncify.wasm" ] ||
    xz -dc "$pack/ort/ort-wasm-simd-threaded.asyncify.wasm.xz" > "$tmp/ort/ort-wasm-simd-threaded.asyncify.wasm"
  py=${PYTHON:-python3}
  "$py" -c 'import numpy, onnx' 2>/dev/null || py=/usr/bin/python3
  # the tiny fixture tower through the converter and ORT's WebGPU EP against siglip_ref.py (float64) first
  "$py" tools/bench/vision-to-onnx.py tests/fixtures/vision/tiny-mmproj-q8_0.gguf "$tmp/tiny.onnx" &&
    "$NODE" tools/bench/vision-ort-bench.mjs --onnx "$tmp/tiny.onnx" --check tests/fixtures/vision/tiny-mmproj-q8_0.ref.gguf \
      --ort-dir "$tmp/ort" --webgpu "$WEBGPU" "${fb[@]}" || { echo "ORT check failed: no ORT runs" >&2; ort=0; }
fi
if [ "$ort" = 1 ] && [ -d "$pack/ort" ]; then
  for m in $models; do
    for t in $towers; do
      d=$tmp/ort-$m-$t
      # the same mmproj bytes as the engine's run (longest does not change the tower's weights)
      if "$NODE" tools/bench/vision-gpu-bench.mjs --model "$m" --tower "$t" --save "$d" "${extra[@]}" &&
         "$py" tools/bench/vision-to-onnx.py "$d/mmproj.gguf" "$d/tower.onnx" --dtype "${DTYPE:-f32}"; then
        for l in $longest; do
          n=1; sz=$([ "$quick" = 1 ] && echo 128 || echo 512); [ "$l" -gt "$sz" ] && n=$(( (l / sz) * (l / sz) + 1 ))
          echo "== onnxruntime-web smolvlm-$m tower $t, $n tile(s)" >&2
          "$NODE" --max-old-space-size=16384 tools/bench/vision-ort-bench.mjs --onnx "$d/tower.onnx" --tiles "$n" --reps "$reps" \
            --ort-dir "$tmp/ort" --webgpu "$WEBGPU" "${fb[@]}" |
            "$NODE" -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>{const r=JSON.parse(s);
              console.log(JSON.stringify({...r,model:`smolvlm-${process.argv[1]}`,tower:process.argv[2],ort:true}))})' "$m" "$t" |
            tee -a "$jsonl" || echo "{\"model\":\"smolvlm-$m\",\"tower\":\"$t\",\"ort\":true,\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
        done
      fi
      rm -rf "$d"
    done
  done
fi
for lim in $limits; do
  for m in $models; do
    for t in $towers; do
      for l in $longest; do
        echo "== smolvlm-$m tower $t longest $l limits $lim" >&2
        "$NODE" --max-old-space-size=16384 tools/bench/vision-gpu-bench.mjs --model "$m" --tower "$t" --type "${TYPE:-q8_0}" \
          --longest "$l" --gen "$gen" --reps "$reps" --limits "$lim" --wasm "$wasm" --webgpu "$WEBGPU" "${extra[@]}" \
          | tee -a "$jsonl" ||
          echo "{\"model\":\"smolvlm-$m\",\"tower\":\"$t\",\"longest\":$l,\"limits\":\"$lim\",\"error\":\"failed (see log)\"}" | tee -a "$jsonl"
      done
    done
  done
done
echo
echo "| model | tower | LM | tiles | limits | tower s (per tile) | prefill + 1st token s | image to first token s | decode tok/s | peak GPU MiB | adapter |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
"$NODE" -e '
  const fs = require("fs");
  for (const l of fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)) {
    const r = JSON.parse(l);
    if (r.error) { console.log(`| ${r.model} | ${r.tower} | | | ${r.limits ?? ""} | ${r.error} | | | | | |`); continue; }
    if (r.ort) {
      const smoke = r.tile === 512 ? "" : ` (smoke: ${r.tile} px tiles)`;
      console.log(`| ${r.model}${smoke} | ${r.tower} | onnxruntime-web (${r.runtime.split(" ").slice(1).join(" ")}) | ${r.tiles} | ORT | ` +
                  `${r.tower_s} (${r.tower_s_per_tile}) | | | | ${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} | ${r.adapter} |`);
      continue;
    }
    const shape = r.tower_layers === 12 && r.image_size === 512 ? "" : ` (${r.tower_layers}+${r.lm_layers} layers, ${r.image_size} px: smoke)`;
    console.log(`| ${r.model}${shape} | ${r.tower} | ${r.type} | ${r.tiles} | ${r.limits} | ${r.tower_s} (${r.tower_s_per_tile}) | ` +
                `${r.prefill_s} | ${r.image_to_first_token_s} | ${r.decode_tok_s} | ${(r.peak_gpu_bytes / 2 ** 20).toFixed(0)} | ${r.adapter} |`);
  }' "$jsonl"
