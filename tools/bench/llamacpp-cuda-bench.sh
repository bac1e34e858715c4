#!/usr/bin/env bash
# llamacpp-cuda-bench.sh — llama.cpp's CUDA build on the GPU machine, on the very GGUF files that
# tools/bench/webgpu-bench.sh measures (random weights of the Qwen2.5-0.5B, Llama-3.2-1B and Gemma-3-270M shapes,
# written by `webgpu-bench.mjs --save`), so the two can be compared in one device session.
#
# Two steps:
#   1. Here (CPU machine, repo root), once:  bash tools/bench/llamacpp-cuda-bench.sh --prepare
#      packs the llama.cpp source tree at LLAMA_SRC (default /work/ext/llama.cpp, exported from upstream git with
#      its commit in LLAMA_SRC/COMMIT; docs/benchmarks.md says which) into .llamacpp-bench/src.tar.xz (git-ignored),
#      leaving out the web UI, server and backends that are not built. About 6 MiB.
#   2. On the GPU machine (device tool, carry [".llamacpp-bench", ".webgpu-bench"]: the latter for node):
#        bash tools/bench/llamacpp-cuda-bench.sh --build      (CMake + ninja, CUDA for sm_90 only, llama-bench only;
#                                                             resumable: ninja picks up where a cut-off call left)
#        bash tools/bench/llamacpp-cuda-bench.sh --models    (optional, alongside the build: writes the GGUFs)
#        bash tools/bench/llamacpp-cuda-bench.sh 2>&1 | tee $OUT/llamacpp.log
#      The build and the model files live in git-ignored folders of the checkout (.llamacpp-build, .bench-models),
#      which the device tool keeps between the calls of one warm machine.
#      Prints one JSON line per (model, test) and a Markdown table; results also go to $OUT/llamacpp-bench.jsonl.
# Tests (llama-bench, every layer on the GPU, its default flash attention setting): pp PROMPT (prefill of a
# PROMPT-token batch), tg GEN from an empty cache, and tg GEN after PROMPT cached tokens (-d), which is what
# webgpu-bench.mjs's decode figure is: GEN tokens decoded after a PROMPT-token prompt.
# Env: PROMPT (512), GEN (128), REPS (3), MODELS ("qwen25 llama32 gemma3"), TYPES ("q4_0 q8_0 f16"),
#      LLAMA_SRC (for --prepare).
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=.llamacpp-bench
build=.llamacpp-build
models=.bench-models

excl=$(git rev-parse --git-path info/exclude 2>/dev/null || echo .git/info/exclude)
for d in "$pack" "$build" "$models"; do
  if [ -d "$(dirname "$excl")" ] && ! grep -qx "/$d/" "$excl" 2>/dev/null; then echo "/$d/" >> "$excl"; fi
done

if [ "${1:-}" = "--prepare" ]; then
  src=${LLAMA_SRC:-/work/ext/llama.cpp}
  [ -r "$src/COMMIT" ] || { echo "llamacpp-cuda-bench: $src/COMMIT missing (the upstream commit the tree was exported from)" >&2; exit 1; }
  rm -rf "$pack" && mkdir -p "$pack"
  tar -C "$src" --exclude=./build --exclude=./tools/ui --exclude=./tools/server \
    --exclude=./ggml/src/ggml-sycl --exclude=./ggml/src/ggml-opencl --exclude=./ggml/src/ggml-hexagon \
    --exclude=./ggml/src/ggml-vulkan --exclude=./ggml/src/ggml-webgpu --exclude=./ggml/src/ggml-cann \
    --exclude=./ggml/src/ggml-musa --exclude=./ggml/src/ggml-metal --exclude=./ggml/src/ggml-zdnn \
    -cf - . | xz -T2 -6 > "$pack/src.tar.xz"
  cp "$src/COMMIT" "$pack/COMMIT"
  du -sh "$pack"
  exit 0
fi

[ -f "$pack/src.tar.xz" ] || { echo "llamacpp-cuda-bench: $pack/ missing: run '$0 --prepare' here and carry $pack" >&2; exit 1; }
lb=$build/b/bin/llama-bench

if [ "${1:-}" = "--build" ]; then
  if [ ! -f "$build/src/CMakeLists.txt" ]; then
    rm -rf "$build/src" && mkdir -p "$build/src"
    xz -dc "$pack/src.tar.xz" | tar -x -C "$build/src"
  fi
  command -v nvcc >/dev/null || export PATH=/usr/local/cuda/bin:$PATH
  nvcc --version | tail -2
  [ -f "$build/b/build.ninja" ] ||
    cmake -S "$build/src" -B "$build/b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CUDA_NCCL=OFF -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF \
      -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
      -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF
  time ninja -C "$build/b" -j "$(nproc)" llama-bench
  exit 0
fi

. tools/bench/node-pack.sh
node_pack_unpack .webgpu-bench
mkdir -p "$models"
# make_models: every MODELS x TYPES file that is not there yet (Llama-3.2-1B F16: 2.5 GB, ~20 s)
make_models() {
  local m t f
  for m in ${MODELS:-qwen25 llama32 gemma3}; do
    for t in ${TYPES:-q4_0 q8_0 f16}; do
      f=$models/$m-$t.gguf
      [ -f "$f" ] || { "$NODE" --max-old-space-size=16384 tools/bench/webgpu-bench.mjs --arch "$m" --type "$t" --save "$f.part" &&
                       mv "$f.part" "$f"; }
    done
  done
}
if [ "${1:-}" = "--models" ]; then make_models; ls -la "$models"; exit 0; fi
[ -x "$lb" ] || { echo "llamacpp-cuda-bench: $lb missing: run '$0 --build' first (same machine)" >&2; exit 1; }
make_models
prompt=${PROMPT:-512}; gen=${GEN:-128}; reps=${REPS:-3}
jsonl=${OUT:-/tmp}/llamacpp-bench.jsonl
: > "$jsonl"
for m in ${MODELS:-qwen25 llama32 gemma3}; do
  for t in ${TYPES:-q4_0 q8_0 f16}; do
    f=$models/$m-$t.gguf
    echo "== $m $t ($(du -h "$f" | cut -f1))" >&2
    # one JSON object per test and line (-o jsonl); the model name and type are added for the table
    { "$lb" -m "$f" -ngl 99 -p "$prompt" -n "$gen" -r "$reps" -o jsonl
      "$lb" -m "$f" -ngl 99 -p 0 -n "$gen" -d "$prompt" -r "$reps" -o jsonl; } 2>"$models/$m-$t.err" |
      sed "s/^{/{\"arch\":\"$m\",\"type\":\"$t\",/" | tee -a "$jsonl" ||
      { echo "{\"arch\":\"$m\",\"type\":\"$t\",\"error\":\"llama-bench failed: $(tail -1 "$models/$m-$t.err" | tr -d '"\\')\"}" | tee -a "$jsonl"; }
  done
done
echo
echo "llama.cpp $(cat "$pack/COMMIT"), CUDA build; tok/s = mean of $reps runs (sd)"
echo "| model | type | pp$prompt tok/s | tg$gen tok/s (empty cache) | tg$gen tok/s after $prompt |"
echo "| --- | --- | --- | --- | --- |"
python3 - "$jsonl" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    key = (r["arch"], r["type"])
    row = rows.setdefault(key, {})
    if "error" in r:
        row["error"] = r["error"]
        continue
    cell = f'{r["avg_ts"]:.1f} ({r["stddev_ts"]:.1f})'
    if r["n_prompt"] > 0:
        row["pp"] = cell
    elif r.get("n_depth", 0) > 0:
        row["tgd"] = cell
    else:
        row["tg"] = cell
for (arch, typ), row in rows.items():
    if "error" in row and len(row) == 1:
        print(f'| {arch} | {typ} | {row["error"]} | | |')
    else:
        print(f'| {arch} | {typ} | {row.get("pp", "n/a")} | {row.get("tg", "n/a")} | {row.get("tgd", "n/a")} |')
PY
