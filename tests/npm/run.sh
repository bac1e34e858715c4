#!/usr/bin/env bash
# run.sh — the npm package end to end: `npm pack` of npm/ (its prepack copies the wasm engine in: npm/build.sh),
# `npm install` of the tarball into a scratch project in a temp dir (offline: the package has no dependencies),
# tsc --noEmit --strict of usage.ts against the installed index.d.ts (typescript: tests/npm/package.json), then
# node.test.mjs (Node, against the native CLI) and browser.test.mjs (the example page in headless Chromium, under
# flock /tmp/sotto-browser.lock: one browser test at a time on this machine). Run by ctest as npm-package.
# Usage: bash tests/npm/run.sh [native sotto] [wasm build dir]   (defaults build/sotto, build-wasm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
native=$(realpath "${1:-$root/build/sotto}")
wasm_dir=$(realpath -m "${2:-$root/build-wasm}")
if [ ! -f "$wasm_dir/sotto.wasm" ] || [ ! -f "$wasm_dir/sotto-mt.wasm" ]; then
  echo "tests/npm/run.sh: no wasm build in $wasm_dir (bash wasm/build.sh $wasm_dir); skipped" >&2
  exit 77
fi
[ -x "$here/node_modules/.bin/tsc" ] || npm ci --prefix "$here" --no-audit --no-fund >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$root/npm" && SOTTO_WASM_DIR="$wasm_dir" npm pack --pack-destination "$tmp" --silent >/dev/null)
tgz=$(ls "$tmp"/sotto-*.tgz)
mkdir "$tmp/app"
cd "$tmp/app"
echo '{"name": "sotto-npm-scratch", "private": true, "type": "module"}' > package.json
npm install --offline --no-audit --no-fund --silent "$tgz"
cp "$here/node.test.mjs" "$here/browser.test.mjs" "$here/usage.ts" .
"$here/node_modules/.bin/tsc" --noEmit --strict --target es2022 --module nodenext --moduleResolution nodenext \
  --lib es2022,dom,dom.asynciterable usage.ts
echo "ok    tsc --noEmit --strict usage.ts against the installed index.d.ts"
node node.test.mjs "$root" "$native"
flock /tmp/sotto-browser.lock node browser.test.mjs "$root" "$native"
