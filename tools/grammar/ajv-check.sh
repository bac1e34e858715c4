#!/bin/sh
# ajv-check.sh — cross-checks grammar-constrained generation with an npm validator (ajv + ajv-formats).
# Runs the property test of test-grammar-schema with SOTTO_GRAMMAR_DUMP, then validates every document.
# Usage: tools/grammar/ajv-check.sh <build-dir>. ajv comes from tools/grammar/node_modules (pinned in
# package-lock.json; tools/install-deps.sh runs `npm ci --prefix tools/grammar`, done here if missing).
# Run by ctest as grammar-ajv-cross-check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
if [ ! -d "$here/node_modules/ajv-formats" ]; then
  npm ci --prefix "$here" --no-audit --no-fund >/dev/null
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
SOTTO_GRAMMAR_DUMP="$out" "$build/test-grammar-schema" --gtest_filter='*RandomSamplingAlwaysValid*' >/dev/null
NODE_PATH="$here/node_modules" node "$here/ajv-check.mjs" "$out"
