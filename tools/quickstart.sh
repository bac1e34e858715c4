#!/usr/bin/env bash
# The newcomer's first command: installs what is missing, builds, and runs the main job offline: `sotto note`
# on a bundled sample dictation with the bundled default note model (models/sotto-notes-q8_0.gguf, a 10M
# parameter Llama-style model trained from scratch by tools/train, docs/training.md), printing the SOAP note as
# JSON and Markdown with the support check. Speech input needs the speech models of the ASR issue; until they
# land the sample is given as its transcript (samples/visit-soap.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --build
cmake -S . -B build-quick -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOTTO_TESTS=OFF -DSOTTO_BENCH=OFF >/dev/null
cmake --build build-quick -j "$(nproc)" --target sotto
build-quick/sotto note --transcript samples/visit-soap.txt --template soap
