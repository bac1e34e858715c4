#!/usr/bin/env bash
# Builds everything and runs the whole test suite. Usage: bash tools/test.sh [build-dir]
# Order: native build; the wasm32 builds and their Node tests (wasm output == native CLI greedy output, SIMD128
# kernel checks, the threaded build, the scribe in wasm, the browser app in headless Chromium); the WebGPU tests (Node and
# Chromium); the engine, a short app path and the WebGPU tests in Firefox and WebKitGTK; the sanitizer build's unit tests and the fuzz targets; then ctest, whose summary is the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bash tools/install-deps.sh
# Reference encodings of the real vocabularies, made by the npm packages' own tokenizers (~10 s).
node tools/tokenizer-fixtures/gen-expected.mjs
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" -j "$(nproc)"
bash tools/install-deps.sh --wasm
bash tools/install-deps.sh --train
bash wasm/build.sh "$build-wasm"
node tests/wasm/run.mjs "$build-wasm/sotto.wasm" "$build/sotto"
# The relaxed-SIMD build (sotto-relaxed.wasm): its kernel check (relaxed Q4_0 == SIMD128 bit for bit) and wasm ==
# native (~2 s). Node 20 has relaxed SIMD behind a flag, and its Liftoff gets the relaxed dot wrong: TurboFan only.
node --experimental-wasm-relaxed-simd --no-liftoff tests/wasm/run.mjs "$build-wasm/sotto-relaxed.wasm" "$build/sotto"
node tests/wasm/asr.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # speech to text in wasm == native
node tests/wasm/speakers.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # speaker labels in wasm == transcribe --speakers
node tests/wasm/errors.test.mjs "$build-wasm/sotto.wasm"  # bad input: one-line rejections, the engine goes on
node tests/wasm/commands.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # voice commands in wasm == sotto listen (~2 s)
node tests/bench/voice-endpoint.test.mjs "$build/sotto"  # the end-of-speech bench's numbers == sotto listen's own runs (~15 s)
node tests/wasm/vision.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # images in wasm (RGBA in) == native generate --image (~2 s)
node tests/wasm/rag.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # retrieval in wasm: embeddings, chunks, search, extractive answers and checks == native (~2 s)
# The threaded build (sotto-mt.wasm): 2 and 3 threads == sotto.wasm == native; speech to text and the scribe on it
# (threads: the machine's count); in headless Chromium, the app's engine worker picks it and it matches sotto.wasm.
node tests/wasm/threads.test.mjs "$build-wasm" "$build/sotto"
node tests/wasm/asr.test.mjs "$build-wasm/sotto-mt.wasm" "$build/sotto"
node tests/web/scribe-engine.test.mjs "$build-wasm/sotto-mt.wasm" "$build/sotto"
node tests/wasm/errors.test.mjs "$build-wasm/sotto-mt.wasm"
SOTTO_WASM_DIR="$build-wasm" node tests/web/threads.test.mjs "$build/sotto"
bash tests/deno/run.sh "$build-wasm/sotto.wasm" "$build/sotto"  # the JS host under Deno: CPU and WebGPU (lavapipe)
# The scribe in wasm against the native CLI; the browser app end to end in headless Chromium (privacy,
# exports, drafts, offline) against `sotto serve`, screenshots to docs/screenshots/.
node tests/web/scribe-engine.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"
node tests/web/scribe-check.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"  # the support check: app == CLI
node tests/web/speech-marks.test.mjs  # the app's uncertain-speech marks
node tests/web/schema-form.test.mjs  # the review form: null facts shown as "Not stated"
node tests/web/audio-evidence.test.mjs  # the review's audio evidence: transcript ranges -> recording times, kept through edits
node tests/web/speaker-labels.test.mjs  # "Speaker N: " written into the transcript, marks and audio ranges kept
node tests/web/gguf-size.test.mjs  # a GGUF header's size (oversized models refused before download) == file size
SCREENSHOTS=0 SOTTO_WASM_DIR="$build-wasm" node tests/web/app.test.mjs "$build/sotto"
SOTTO_WASM_DIR="$build-wasm" node tests/web/errors.test.mjs "$build/sotto"  # corrupt models: the page keeps its work
SOTTO_WASM_DIR="$build-wasm" node tests/web/storage-fallback.test.mjs "$build/sotto"  # no Cache API / OPFS / IndexedDB: the app still works, says how
# Hub models in the app's Settings against tools/hub-server.py: verified, cached, offline after a reload; a
# corrupted download refused; the hub reached only after the user asked (~10 s).
SOTTO_WASM_DIR="$build-wasm" node tests/web/hub.test.mjs "$build/sotto"
# The voice control panel (web/voice): typed, played and spoken commands, confirmation, a bad set, offline (~15 s).
SCREENSHOTS=0 SOTTO_WASM_DIR="$build-wasm" node tests/web/voice.test.mjs "$build/sotto"
# Images in Chromium (a module Worker): EXIF orientation by createImageBitmap, bad images one line, answer == native (~3 s).
node tests/web/vision.test.mjs "$build-wasm/sotto.wasm" "$build/sotto"
# The field camera page (web/field) against `sotto serve`: answer == native, EXIF, a bad photo, the inspection record
# edited and exported on approval, no request after ready, the engine on WebGPU (SwiftShader) when asked (~20 s).
SOTTO_WASM_DIR="$build-wasm" node tests/web/field.test.mjs "$build/sotto"
# The private documents page (web/rag) against `sotto serve`: files indexed in the page, answers, verdicts and
# highlights == sotto ask --extractive and --check, kept over a reload, removal gone, no request after ready (~6 s).
SOTTO_WASM_DIR="$build-wasm" node tests/web/rag.test.mjs "$build/sotto"
# The splat page (web/splat) against `sotto serve`: the canvas == sotto splat render (PSNR), camera keys and buttons,
# the scene picker and a bad file, no WebGPU said in one line, no request after ready (~10 s).
SOTTO_WASM_DIR="$build-wasm" node tests/web/splat.test.mjs "$build/sotto"
# Pages of other origins (another port, localhost, DNS rebinding) read nothing from `sotto serve` (~10 s).
node tests/web/hostile.test.mjs "$build/sotto"
# WebGPU backend on SwiftShader: every op against the CPU backend, greedy output WebGPU == CPU, in Node
# (Dawn) and in headless Chromium.
node tests/webgpu/run.mjs "$build-wasm/sotto.wasm"
node tests/webgpu/errors.test.mjs "$build-wasm/sotto.wasm"  # bad input on a WebGPU engine: it revives
node tests/webgpu/vision.test.mjs "$build-wasm/sotto.wasm"  # images on WebGPU: tower rows and greedy == the wasm CPU (~30 s)
node tests/webgpu/splat.test.mjs "$build-wasm/sotto.wasm"  # splats on WebGPU == the CPU reference and PyTorch, sort and tile lists == CPU (~5 s)
node tests/webgpu/scribe-evidence.test.mjs "$build-wasm/sotto.wasm"  # the note on WebGPU has the CPU note's evidence constraint (~1-2 min)
node tests/webgpu/chromium.mjs "$build-wasm/sotto.wasm"
# The other two browser engines (tests/browsers; the support matrix in docs/browsers.md): Firefox ESR (puppeteer-core
# over WebDriver BiDi) and WebKitGTK (WebKitWebDriver + MiniBrowser under xvfb-run). The wasm engine's greedy, speech
# and scribe output == native; a short path of the app; the app without the Cache API and IndexedDB (~16 s); the
# WebGPU suite above in Firefox on lavapipe (~4.5 min in all). Under the browser lock (one browser test at a time on a
# shared machine).
flock /tmp/sotto-browser.lock node tests/browsers/engine.test.mjs "$build-wasm" "$build/sotto"
SOTTO_WASM_DIR="$build-wasm" flock /tmp/sotto-browser.lock node tests/browsers/app.test.mjs "$build/sotto"
SOTTO_WASM_DIR="$build-wasm" flock /tmp/sotto-browser.lock node tests/browsers/storage.test.mjs "$build/sotto"
flock /tmp/sotto-browser.lock node tests/browsers/webgpu.test.mjs "$build-wasm/sotto.wasm"
# The onnxruntime-web side of the GPU peer benchmark (tools/bench/gguf-to-onnx.py + ort-web's wasm EP): its
# logits on the fixture models == the PyTorch reference logits, so the comparison runs the same model.
bash tools/install-deps.sh --ort
node tools/bench/ort-web/check.mjs
# Sanitizers (docs/testing.md): the engine, the CLI and the C++ unit tests again under ASan + UBSan (clang-19, no
# recovery; the two default-model end-to-end tests left out), then every libFuzzer target (tests/fuzz) for 20 s
# from its committed corpus, one line each: "fuzz-gguf: N execs, 0 crashes". One build for both: $build-san.
bash tools/install-deps.sh --fuzz
bash tools/test-sanitize.sh "$build-san"
SOTTO_SAN_BUILD="$build-san" bash tools/fuzz.sh 20
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
