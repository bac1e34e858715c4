#!/bin/sh
# test-train-smoke.sh — CPU smoke test of the train -> export -> run loop (tools/train/smoke.py) plus the
# training tools' unit checks (tools/train/test_train.py). Needs /usr/bin/python3 with torch and numpy;
# exits 77 (ctest: skipped) when they are missing. Usage: tests/test-train-smoke.sh PATH/TO/sotto
set -eu
SOTTO=${1:?usage: test-train-smoke.sh PATH/TO/sotto}
PY=${SOTTO_PYTHON:-/usr/bin/python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! "$PY" -c "import torch, numpy" 2>/dev/null; then
  echo "SKIP: $PY has no torch/numpy"
  exit 77
fi
SOTTO_BIN="$SOTTO" "$PY" "$ROOT/tools/train/test_train.py"
"$PY" "$ROOT/tools/train/smoke.py" "$SOTTO"
