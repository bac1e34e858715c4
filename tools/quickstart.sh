#!/usr/bin/env bash
# The newcomer's first command: installs what is missing, builds, and runs the main job offline: `sotto note`
# on the bundled sample dictation (samples/visit-soap.wav, spoken by espeak-ng; its text is samples/visit-soap.txt)
# with the bundled default models: models/sotto-asr-q8_0.gguf (a 12M-parameter Moonshine-style speech model) and
# models/sotto-notes-q8_0.gguf (a 10M-parameter Llama-style note model), both trained from scratch by tools/train
# (docs/training.md). Prints the transcript and the SOAP note as JSON and Markdown with the support check; then
# builds the wasm engine into build-wasm/ so that `build-quick/sotto serve` (the browser app) works right after.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --build
cmake -S . -B build-quick -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF >/dev/null
cmake --build build-quick -j "$(nproc)" --target sotto
build-quick/sotto note samples/visit-soap.wav --template soap
echo
echo "Building the wasm engine for the browser app (build-wasm/; then: build-quick/sotto serve)..."
bash tools/install-deps.sh --wasm
bash wasm/build.sh build-wasm >/dev/null
echo "Done: build-quick/sotto is the CLI (sotto --help), build-quick/sotto serve the browser app."
