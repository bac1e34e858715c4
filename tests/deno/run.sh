#!/usr/bin/env bash
# run.sh — the JS host (wasm/sotto.mjs, wasm/asr.mjs, wasm/gpu-host.mjs, unchanged) under Deno with read-only
# permissions (no --allow-run, no network): the native CLI writes the expected outputs here first, then
# tests/deno/run.mjs compares (greedy generation, speech to text on the wasm CPU backend, and the WebGPU
# checks on Deno's own navigator.gpu).
# WebGPU adapter: Deno's wgpu on Vulkan; with no driver named (VK_ICD_FILENAMES / VK_DRIVER_FILES), Mesa's
# lavapipe (Debian mesa-vulkan-drivers), and then a missing adapter is a failure, not a skip.
# Usage: bash tests/deno/run.sh [path/to/sotto.wasm] [path/to/native/sotto]   (defaults build-wasm/sotto.wasm,
# build/sotto). Deno comes from npm (tests/deno/package.json; tools/install-deps.sh installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
wasm=$(realpath "${1:-$root/build-wasm/sotto.wasm}")
native=$(realpath "${2:-$root/build/sotto}")
deno=$root/tests/deno/node_modules/.bin/deno
[ -x "$deno" ] || { echo "tests/deno/run.sh: no deno; run: npm ci --prefix tests/deno" >&2; exit 1; }
exp=$(mktemp -d); trap 'rm -rf "$exp"' EXIT

# Greedy generation: 16 tokens at temperature 0, one thread (file|prompt).
cases=('llama32-f32.gguf|Once upon a time' 'llama32-q8_0.gguf|Once upon a time' 'llama32-q4_0.gguf|The quick brown fox'
       'qwen25-f16.gguf|Hello, world' 'qwen25-k-q4_k.gguf|Hello, world' 'gemma3-bf16.gguf|A B C'
       'smollm2-q8_0.gguf|def main():')
i=0
for c in "${cases[@]}"; do
  file=${c%%|*} prompt=${c#*|}
  printf '%s\n%s' "$file" "$prompt" > "$exp/gen-$i.case"
  "$native" generate -m "$root/tests/fixtures/models/$file" -p "$prompt" -n 16 --temp 0 -t 1 -q > "$exp/gen-$i.out"
  i=$((i + 1))
done
# Speech to text of the committed sample recording: segments as JSON, token counts from --timings.
for m in moonshine-f32.gguf whisper-f16.gguf; do
  "$native" transcribe -m "$root/tests/fixtures/asr/$m" --json --timings -t 1 "$root/samples/visit-soap.wav" \
    > "$exp/asr-$m.json" 2> "$exp/asr-$m.timings"
done

gpu=()
lvp=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -f "$lvp" ]; then
  export VK_ICD_FILENAMES=$lvp
  gpu=(--require-webgpu --fallback)
fi
# XDG_RUNTIME_DIR: Mesa's window-system code complains on stderr when it is unset (nothing is drawn).
XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$exp} "$deno" run --no-prompt --allow-read="$root,$exp,$wasm" \
  "$root/tests/deno/run.mjs" "$wasm" "$exp" "${gpu[@]}"
