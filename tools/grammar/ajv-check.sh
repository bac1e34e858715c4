#!/bin/sh
# ajv-check.sh — cross-checks grammar-constrained generation with an npm validator (ajv + ajv-formats).
# Runs the property test of test-grammar-schema with SOTTO_GRAMMAR_DUMP, then validates every document.
# Usage: tools/grammar/ajv-check.sh <build-dir>   (installs ajv once into ~/.cache/sotto-npm)
set -eu
build=${1:-build}
npm_dir=${SOTTO_NPM_DIR:-$HOME/.cache/sotto-npm}
if [ ! -d "$npm_dir/node_modules/ajv-formats" ]; then
  mkdir -p "$npm_dir"
  [ -f "$npm_dir/package.json" ] || echo '{"name":"sotto-npm-cache","private":true}' > "$npm_dir/package.json"
  (cd "$npm_dir" && npm install --no-audit --no-fund ajv@8 ajv-formats@3 >/dev/null)
fi
out=$(mktemp)
SOTTO_GRAMMAR_DUMP="$out" "$build/test-grammar-schema" --gtest_filter='*RandomSamplingAlwaysValid*' >/dev/null
NODE_PATH="$npm_dir/node_modules" node "$(dirname "$0")/ajv-check.mjs" "$out"
rm -f "$out"
