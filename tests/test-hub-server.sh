#!/bin/sh
# test-hub-server.sh — the issue's bar by hand, as a user would run it: tools/hub-server.py (a local stand-in for
# the Hugging Face hub, Python's standard library) serves tests/fixtures/models as the repo local/models; `sotto pull`
# fetches a fixture from it into a scratch hub cache, `sotto generate -m hf:...` runs it, then again with --offline and
# the server stopped, and `sotto models` lists it. Usage: tests/test-hub-server.sh PATH/TO/sotto
set -eu
SOTTO=${1:?usage: test-hub-server.sh PATH/TO/sotto}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
unset HF_HUB_OFFLINE HF_TOKEN HF_HOME HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy
python3 "$ROOT/tools/hub-server.py" "$ROOT/tests/fixtures/models" > "$TMP/server.out" &
PID=$!
i=0
until grep -q "^serving " "$TMP/server.out" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "FAIL: hub-server.py did not start"; exit 1; }; sleep 0.1
done
URL=$(sed -n 's/^serving \(http:[^ ]*\)\/ .*/\1/p' "$TMP/server.out")
export HF_ENDPOINT="$URL" HF_HUB_CACHE="$TMP/hub"
SPEC=local/models:smollm2-q8_0.gguf
P=$("$SOTTO" pull "$SPEC" 2> "$TMP/pull.err") || { cat "$TMP/pull.err"; echo "FAIL: pull"; exit 1; }
cmp "$P" "$ROOT/tests/fixtures/models/smollm2-q8_0.gguf" || { echo "FAIL: the pulled file differs"; exit 1; }
grep -q "SHA-256 verified" "$TMP/pull.err" || { cat "$TMP/pull.err"; echo "FAIL: not verified"; exit 1; }
WANT=$("$SOTTO" generate -m "$ROOT/tests/fixtures/models/smollm2-q8_0.gguf" -p hello -n 6 --temp 0 2>/dev/null)
GOT=$("$SOTTO" generate -m "hf:$SPEC" -p hello -n 6 --temp 0 2>/dev/null)
[ "$GOT" = "$WANT" ] || { echo "FAIL: generate -m hf: printed '$GOT', the file '$WANT'"; exit 1; }
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
GOT=$("$SOTTO" generate --offline -m "hf:$SPEC" -p hello -n 6 --temp 0 2>/dev/null)
[ "$GOT" = "$WANT" ] || { echo "FAIL: offline generate printed '$GOT'"; exit 1; }
"$SOTTO" models | grep -q "^hf:$SPEC  .*96.6 KiB" || { "$SOTTO" models; echo "FAIL: models"; exit 1; }
# With the server gone and the file not cached: one line saying the network is off.
if "$SOTTO" pull local/models:llama32-q8_0.gguf 2> "$TMP/off.err"; then echo "FAIL: pull without a server"; exit 1; fi
grep -q "cannot reach $URL (connection failed)" "$TMP/off.err" || { cat "$TMP/off.err"; echo "FAIL: offline message"; exit 1; }
echo "ok: pull, generate -m hf:, --offline, models against tools/hub-server.py"
