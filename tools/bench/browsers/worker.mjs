// worker.mjs — the measured work of tools/bench/browsers/run.mjs, in a module Worker: the app's loader picks the
// build (web/engine-wasm.mjs: sotto-mt.wasm where threads are usable), the model loads, then (after a warm-up of 16
// prompt ids + 4 tokens) each rep times one start() over the plan's prompt ids (prefill) and plan.gen greedy step()s
// (decode), as tools/bench/wasm-cpu-bench.mjs does in Node; plan.threads, when set, caps the engine's threads. Posts {threaded, threads, reps: [{prefill_s, decode_s}]}.
import { fetchEngine } from '/web/engine-wasm.mjs';
import { Sotto } from '/wasm/sotto.mjs';

const log = (line) => postMessage({ line });
try {
  const plan = await (await fetch('/plan.json')).json();
  const { module, threaded } = await fetchEngine('/engine/sotto.wasm');
  const e = await Sotto.create(module, plan.threads ? { threads: plan.threads } : {});
  const bytes = new Uint8Array(await (await fetch('/bench/model.gguf')).arrayBuffer());
  await e.load(bytes, { name: 'model.gguf' });
  log(`loaded ${(bytes.length / 2 ** 20).toFixed(0)} MiB on ${threaded ? `sotto-mt.wasm, ${e.threadsOf()} threads` : 'sotto.wasm'}`);
  const ids = Int32Array.from(plan.ids);
  e.start(ids.subarray(0, 16), { temperature: 0 });
  for (let i = 0; i < 4; i++) e.step();
  const reps = [];
  for (let r = 0; r < plan.reps; r++) {
    const t0 = performance.now();
    e.start(ids, { temperature: 0 });
    const t1 = performance.now();
    for (let i = 0; i < plan.gen; i++) e.step();
    const t2 = performance.now();
    reps.push({ prefill_s: (t1 - t0) / 1000, decode_s: (t2 - t1) / 1000 });
    log(`rep ${r + 1}: prefill ${(ids.length / reps.at(-1).prefill_s).toFixed(1)} tok/s, decode ${(plan.gen / reps.at(-1).decode_s).toFixed(1)} tok/s`);
  }
  postMessage({ done: { threaded, threads: e.threadsOf(), reps } });
  e.dispose();
} catch (err) {
  log(`worker: ${err.message}`);
  postMessage({ done: { error: String(err?.message ?? err) } });
}
