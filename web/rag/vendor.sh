#!/usr/bin/env bash
# vendor.sh — puts the npm libraries the private documents page loads beside it, in web/rag/vendor/ (ignored by git:
# built from the npm registry, pinned by vendor/package-lock.json), where `sotto serve` serves them as /rag/vendor/:
#   pdf.mjs, pdf-worker.mjs           pdfjs-dist's build/pdf.min.mjs and build/pdf.worker.min.mjs (PDF text layers; the
#                                     page runs pdf.js's own worker from this origin)
#   sqlite3.mjs, sqlite3.wasm,        @sqlite.org/sqlite-wasm's dist/ (SQLite's official wasm build: the index file)
#   sqlite3-opfs-async-proxy.js
# Usage: bash web/rag/vendor.sh (once, and again after the pins change; the browser tests run it). npm is needed the
# first time only (a package-lock.json that did not change is not installed again). Does not: touch anything else.
set -euo pipefail
cd "$(dirname "$0")/vendor"
if ! cmp -s package-lock.json node_modules/.sotto-vendor-lock 2>/dev/null; then
  npm ci --omit=optional --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.sotto-vendor-lock
fi
pdf=node_modules/pdfjs-dist/build
sq=node_modules/@sqlite.org/sqlite-wasm/dist
cp "$pdf/pdf.min.mjs" pdf.mjs
cp "$pdf/pdf.worker.min.mjs" pdf-worker.mjs
cp "$sq/index.mjs" sqlite3.mjs
cp "$sq/sqlite3.wasm" sqlite3.wasm
cp "$sq/sqlite3-opfs-async-proxy.js" sqlite3-opfs-async-proxy.js
