#!/bin/sh
# run.sh — the openai npm client against `sotto serve --api` (openai-client.test.mjs). The client comes from
# tests/api/node_modules (pinned in package-lock.json; tools/install-deps.sh runs `npm ci --prefix tests/api`, done
# here if missing). Usage: tests/api/run.sh <path of sotto>. Run by ctest as api-openai-client.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/openai" ]; then
  npm ci --prefix "$here" --no-audit --no-fund >/dev/null
fi
node "$here/openai-client.test.mjs" "$1"
