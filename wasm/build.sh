#!/usr/bin/env bash
# build.sh — builds the engine library, the C ABI (sotto-abi.cpp) and the kernel self-test
# (kernel-check.cpp) as one wasm32-wasi reactor module with SIMD128: build-wasm/sotto.wasm.
# Plain clang-19 invocations (Debian packages clang-19 lld-19 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32
# libclang-rt-19-dev-wasm32 wasi-libc; tools/install-deps.sh --wasm installs them). No threads, no
# exceptions: the WASI libc++abi has no exception runtime, so sotto::fail() traps through the ABI layer
# (core/error.h), and the two files with try/catch are compiled with wasm EH, which is never entered.
# Usage: bash wasm/build.sh [out-dir]   (incremental: an object is rebuilt when its source or a header
# is newer).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-wasm}
CXX=${CXX_WASM:-clang++-19}
mkdir -p "$out/obj"
flags=(--target=wasm32-wasi -msimd128 -O2 -std=c++20 -Isrc -Iapps -DNDEBUG
       -D_WASI_EMULATED_MMAN -Wall -Wextra -Wno-unused-parameter)
srcs=()
for d in core backend backend/cpu models runtime text grammar; do
  for f in src/$d/*.cpp; do srcs+=("$f"); done
done
srcs+=(wasm/sotto-abi.cpp wasm/kernel-check.cpp)
# The scribe (apps/scribe; note.cpp through wasm/scribe-note.cpp, which supplies what WASI lacks).
srcs+=(wasm/scribe-abi.cpp wasm/scribe-note.cpp)
for f in apps/scribe/*.cpp; do [ "$f" = apps/scribe/note.cpp ] || srcs+=("$f"); done
newest_header=$(find src wasm apps -name '*.h' -printf '%T@\n' | sort -n | tail -1)
compile() {  # src obj: wasm EH only where the source has a try block
  local eh=-fno-exceptions
  grep -q 'try {' "$1" && eh=-fwasm-exceptions
  "$CXX" "${flags[@]}" "$eh" -c "$1" -o "$2"
}
objs=()
jobs_max=$(nproc)
fail=0
for s in "${srcs[@]}"; do
  o="$out/obj/$(echo "$s" | tr '/' '_').o"
  objs+=("$o")
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || \
     awk -v h="$newest_header" -v t="$(stat -c %Y "$o")" 'BEGIN { exit !(h > t) }'; then
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || fail=1; done
    compile "$s" "$o" &
  fi
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || fail=1; done
[ "$fail" = 0 ] || { echo "wasm/build.sh: compile failed" >&2; exit 1; }
# Exports: every SOTTO_EXPORT function of the wasm/ sources (not libc++'s symbols).
exports=()
for name in $(grep -ohE 'SOTTO_EXPORT [^(]*\bsotto_[a-z0-9_]+\(' wasm/*.cpp | grep -oE 'sotto_[a-z0-9_]+'); do
  exports+=("-Wl,--export=$name")
done
"$CXX" --target=wasm32-wasi -mexec-model=reactor -O2 -fwasm-exceptions "${objs[@]}" -o "$out/sotto.wasm" \
  -lwasi-emulated-mman "${exports[@]}" -Wl,--strip-debug -Wl,-z,stack-size=1048576 \
  -Wl,--initial-memory=33554432 -Wl,--max-memory=4294967296
echo "$out/sotto.wasm: $(stat -c %s "$out/sotto.wasm") bytes"
