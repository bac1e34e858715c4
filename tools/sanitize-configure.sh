#!/usr/bin/env bash
# Configures the sanitizer build that tools/fuzz.sh and tools/test-sanitize.sh share (one build, so the engine is
# compiled once for both): clang++-19, ASan + UBSan without recovery, libFuzzer coverage instrumentation, the
# fuzz targets and the unit tests. Usage: bash tools/sanitize-configure.sh <build-dir>
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tools/sanitize-configure.sh <build-dir>}
command -v clang++-19 >/dev/null || { echo "tools/sanitize-configure.sh: clang++-19 missing (bash tools/install-deps.sh --fuzz)" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-19 "${launcher[@]}" \
  -DSOTTO_FUZZ=ON -DSOTTO_SANITIZE=address,undefined -DSOTTO_TESTS=ON -DSOTTO_BENCH=OFF >/dev/null
