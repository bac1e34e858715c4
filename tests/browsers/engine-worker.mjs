// engine-worker.mjs — the wasm engine's work in a browser's module Web Worker, for engine.test.mjs to compare with
// the native CLI. The plan (/plan.json, written by the test) names the work; the outputs go back as they are:
//   info    which build the app's loader (web/engine-wasm.mjs) picked here, by feature detection: the threaded
//           sotto-mt.wasm only where threads are usable (SharedArrayBuffer, cross-origin isolation), else sotto.wasm;
//           their relaxed-SIMD twins where relaxedSimdUsable() (wasm/relaxed-simd.mjs)
//   greedy  [{file, bytes, ids}]: greedy text of fixture models (tests/wasm/greedy.mjs)
//   asr     {model, segments}: a WAV transcribed by wasm/asr.mjs (decoded and resampled in the engine)
//   scribe  {json, markdown}: a note written by web/engine-cpu.mjs (the app's CPU engine) and its support check
//   oversized  {error, ms}: what the app's model download (web/fetch-cache.mjs) says of a model over the budget
//   oversizedHeader  {error, ms}: the same of a response with no length whose GGUF header claims more than the budget
// Does not: judge anything (the test does, in Node).
import { fetchEngine } from '/web/engine-wasm.mjs';
import { Sotto, relaxedSimdUsable, threadsUsable } from '/wasm/sotto.mjs';
import { SottoAsr } from '/wasm/asr.mjs';
import { ScribeEngineCpu } from '/web/engine-cpu.mjs';
import { wasmGreedy } from '/tests/wasm/greedy.mjs';
import { fetchWithProgress, modelBudget } from '/web/fetch-cache.mjs';

const log = (line) => postMessage({ line });
const bytesOf = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
const textOf = async (url) => new TextDecoder().decode(await bytesOf(url));

try {
  const plan = JSON.parse(await textOf('/plan.json'));
  const t0 = performance.now();
  const { module, threaded, relaxed } = await fetchEngine('/engine/sotto.wasm');
  const out = { info: { threaded, relaxed, relaxedSimdUsable: relaxedSimdUsable(), threadsUsable: threadsUsable(), sab: typeof SharedArrayBuffer,
                        isolated: globalThis.crossOriginIsolated ?? null, cores: navigator.hardwareConcurrency } };
  log(`engine: ${threaded ? 'sotto-mt' : 'sotto'}${relaxed ? '-relaxed' : ''}.wasm (${JSON.stringify(out.info)})`);
  out.greedy = [];
  for (const [file, prompt, n] of plan.greedy ?? []) {
    const e = await Sotto.create(module);
    await e.load(await bytesOf(`/models/${file}`), { name: file });
    const { bytes, ids } = wasmGreedy(e, prompt, n);
    out.greedy.push({ file, bytes: [...bytes], ids, threads: e.threadsOf() });
    e.dispose();
    log(`greedy ${file}: ${ids.length} tokens`);
  }
  if (plan.asr) {
    const asr = await SottoAsr.create(module);
    const { samples, sampleRate } = asr.decodeWav(await bytesOf(plan.asr.wav));
    await asr.load(await bytesOf(plan.asr.model), { name: plan.asr.model, sampleRate });
    log(`speech: ${(samples.length / sampleRate).toFixed(1)} s of audio at ${sampleRate} Hz, model loaded`);
    const segs = [];
    for (let i = 0; i < samples.length; i += 16000) {
      segs.push(...await asr.feed(samples.subarray(i, i + 16000)));
      if (i % 160000 === 0) log(`speech: ${i / sampleRate} s fed, ${segs.length} segments`);
    }
    segs.push(...await asr.finish());
    out.asr = segs.map((s) => ({ start: s.start, end: s.end, text: s.text, tokens: s.tokens }));
    asr.dispose();
    log(`speech ${plan.asr.model}: ${out.asr.length} segments`);
  }
  if (plan.scribe) {
    const schema = await textOf(plan.scribe.template);
    const transcript = await textOf(plan.scribe.transcript);
    const e = await ScribeEngineCpu.create(module, await bytesOf(plan.scribe.model), { name: 'note.gguf' });
    await e.start(schema, transcript, { temperature: 0 });
    const d = new TextDecoder();
    let text = '';
    for (let i = 0, status = 0; status === 0; i++) {
      const r = e.step();
      status = r.status;
      text += d.decode(r.bytes, { stream: true });
      if (status < 0 || i > 4000) throw new Error('the note did not finish');
    }
    text += d.decode();
    out.scribe = { json: text, markdown: e.check(schema, text, transcript).markdown, threads: e.threads };
    log(`scribe: ${text.length} characters`);
  }
  if (plan.oversized) {
    const t1 = performance.now();
    try {
      const { bytes } = await fetchWithProgress(plan.oversized, 'model', false, null, modelBudget());
      out.oversized = { error: null, bytes: bytes.length };
    } catch (e) {
      out.oversized = { error: e.message, ms: performance.now() - t1 };
    }
    log(`oversized: ${out.oversized.error}`);
  }
  if (plan.oversizedHeader) {
    const t1 = performance.now();
    try {
      const { bytes } = await fetchWithProgress(plan.oversizedHeader, 'model', false, null, modelBudget());
      out.oversizedHeader = { error: null, bytes: bytes.length };
    } catch (e) {
      out.oversizedHeader = { error: e.message, ms: performance.now() - t1 };
    }
    log(`oversized header: ${out.oversizedHeader.error}`);
  }
  out.seconds = (performance.now() - t0) / 1000;
  postMessage({ done: out });
} catch (e) {
  log(`worker: ${e.message}`);
  postMessage({ done: { error: String(e?.message ?? e) } });
}
