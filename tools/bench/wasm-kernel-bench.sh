#!/usr/bin/env bash
# wasm-kernel-bench.sh — builds tools/bench/wasm-kernel-bench.cpp with the wasm CPU kernels
# (src/backend/cpu/kernels-wasm.cpp and their scalar twins; clang++-19, wasm32-wasi, SIMD128, as wasm/build.sh)
# into a WASI command module and runs it under `node --no-liftoff` (TurboFan code, as wasm-cpu-bench.mjs):
# the prefill kernels alone, per CPU second, each checked against its twin.
# Usage: bash tools/bench/wasm-kernel-bench.sh [K N T REPS]   (defaults 896 4864 64 5: Qwen2.5-0.5B's FFN up)
# Env: KERNELS (src/backend/cpu/kernels-wasm.cpp: another copy of the file, to compare two versions),
#      OUT (/tmp/sotto-wasm-kernel-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/sotto-wasm-kernel-bench}
mkdir -p "$out"
clang++-19 --target=wasm32-wasi -msimd128 -O2 -std=c++20 -Isrc -DNDEBUG -fno-exceptions \
  tools/bench/wasm-kernel-bench.cpp "${KERNELS:-src/backend/cpu/kernels-wasm.cpp}" src/backend/cpu/kernels-ref.cpp \
  src/core/dtype.cpp -o "$out/wasm-kernel-bench.wasm"
cat > "$out/run.mjs" <<'JS'
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['wasm-kernel-bench', ...process.argv.slice(3)] });
const module = await WebAssembly.compile(readFileSync(process.argv[2]));
process.exitCode = wasi.start(await WebAssembly.instantiate(module, wasi.getImportObject()));
JS
node --no-liftoff --no-warnings "$out/run.mjs" "$out/wasm-kernel-bench.wasm" "${1:-896}" "${2:-4864}" "${3:-64}" "${4:-5}"
