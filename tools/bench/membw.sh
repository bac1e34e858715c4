#!/usr/bin/env bash
# membw.sh — builds tools/bench/membw.cpp (outside the main CMake build) and runs it.
# Usage: bash tools/bench/membw.sh [membw args...]   e.g.  --mib 1024 --reps 5 --threads 1,2 --json
# The binary goes to $MEMBW_BUILD_DIR (default build-bench/) and is rebuilt only when the source is newer.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${MEMBW_BUILD_DIR:-$root/build-bench}
mkdir -p "$out"
bin=$out/membw
if [[ ! -x $bin || $root/tools/bench/membw.cpp -nt $bin ]]; then
  ${CXX:-c++} -O3 -march=native -std=c++20 -Wall -Wextra -pthread "$root/tools/bench/membw.cpp" -o "$bin"
fi
exec "$bin" "$@"
