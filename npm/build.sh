#!/usr/bin/env bash
# build.sh — copies the wasm engine into the npm package (npm/engine/), run by `npm pack` (prepack): the two
# builds of wasm/build.sh (sotto.wasm, sotto-mt.wasm), the JS host of wasm/ (sotto.mjs, gpu-host.mjs, asr.mjs,
# threads-host.mjs, thread-worker.mjs, relaxed-simd.mjs) and the app's scribe and speech wrappers (web/engine-cpu.mjs,
# web/engine-asr.mjs), laid out as engine/wasm/ and engine/web/ so their relative imports hold unchanged.
# Usage: bash npm/build.sh [wasm-build-dir]   (default: $SOTTO_WASM_DIR, else build-wasm at the repository root)
# Does not: build the wasm engine (bash wasm/build.sh build-wasm does) or keep copies in git (npm/.gitignore).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
wasm_dir=${1:-${SOTTO_WASM_DIR:-$root/build-wasm}}
for f in sotto.wasm sotto-mt.wasm; do
  [ -f "$wasm_dir/$f" ] || { echo "npm/build.sh: $wasm_dir/$f missing; run: bash wasm/build.sh build-wasm" >&2; exit 1; }
done
rm -rf "$here/engine"
mkdir -p "$here/engine/wasm" "$here/engine/web"
cp "$wasm_dir/sotto.wasm" "$wasm_dir/sotto-mt.wasm" "$here/engine/wasm/"
for f in sotto gpu-host asr threads-host thread-worker relaxed-simd; do cp "$root/wasm/$f.mjs" "$here/engine/wasm/"; done
for f in engine-cpu engine-asr; do cp "$root/web/$f.mjs" "$here/engine/web/"; done
# Every relative module the copies import must be in the package too (an import added in wasm/ or web/ would
# otherwise break the package only where it loads: a 404 in a browser, ERR_MODULE_NOT_FOUND in Node).
for m in "$here"/engine/wasm/*.mjs "$here"/engine/web/*.mjs; do
  for dep in $(grep -oE "(from|import\() *'\.\.?/[^']+'" "$m" | grep -oE "'[^']+'" | tr -d "'"); do
    [ -f "$(dirname "$m")/$dep" ] || { echo "npm/build.sh: ${m#$here/} imports $dep, which the package does not copy (add it above)" >&2; exit 1; }
  done
done
