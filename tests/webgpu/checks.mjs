// checks.mjs — the WebGPU checks shared by the Node runner (run.mjs) and the Chromium worker
// (worker.mjs): every op against the CPU backend (wasm/webgpu-op-check.cpp), greedy generation on
// WebGPU against the CPU backend of the same wasm build, generate()/cancel(), and the refusal of a BF16
// model; with `sample`, the constrained-decoding and GPU-sampling checks of sample-checks.mjs.
// Environment-free: the caller passes the engine classes, the GPU object, the compiled module, a model
// loader (name -> Uint8Array) and a line logger.
//   const { passed, failed } = await runChecks({ Sotto, GpuHost, gpu, wasmModule, loadModel, models,
//                                                fallback, log, opsOnly, sample });
// Greedy: token ids must be identical for F32/F16 weights. For quantized weights the CPU quantizes
// activations to 8 bits and the GPU does not, so near-ties may flip: then every GPU token is checked
// teacher-forced against the CPU logits (the CPU fed the GPU's tokens): its logit must be within
// MARGIN of the CPU's best.
import { runSampleChecks } from './sample-checks.mjs';

export const MARGIN = 0.05;
export const PROMPT = 'The quick brown fox jumps over the lazy dog. Once upon a time';

export async function runChecks({ Sotto, GpuHost, gpu, wasmModule, loadModel, models, fallback, log, opsOnly, sample }) {
  let passed = 0, failed = 0;
  async function test(name, fn) {
    try {
      await fn();
      passed++;
      log(`ok    ${name}`);
    } catch (e) {
      failed++;
      log(`FAIL  ${name}: ${e.message}`);
    }
  }
  function check(cond, msg) { if (!cond) throw new Error(msg); }

  const host = await GpuHost.create(gpu, { forceFallbackAdapter: fallback });
  const info = host.adapter.info ?? {};
  log(`adapter: ${info.description || info.vendor || '?'} ${info.architecture || ''}, binding limit ${host.bindingLimit()}`);

  await test('every op: WebGPU against the CPU backend', async () => {
    const lines = [];
    const engine = await Sotto.create(wasmModule, { gpu: host, log: (fd, line) => lines.push(line) });
    const n = engine.call('sotto_opcheck_run', host.bindingLimit(), 1234);
    await engine.settle();
    const failures = engine.call('sotto_opcheck_report');
    for (const l of lines) log(`      ${l}`);
    check(lines.length === n, `${lines.length} report lines for ${n} cases`);
    check(failures === 0, `${failures} of ${n} cases out of tolerance`);
  });
  if (opsOnly) return { passed, failed };

  const cpu = await Sotto.create(wasmModule);
  const gpuEngine = await Sotto.create(wasmModule, { gpu: host });
  const cpuLogits = (n) => new Float32Array(cpu.memory.buffer, cpu.call('sotto_logits', cpu.session), n);
  for (const name of models) {
    await test(`greedy 24 tokens, WebGPU == CPU: ${name}`, async () => {
      const bytes = await loadModel(`${name}.gguf`);
      await cpu.load(bytes, { name: `${name}.gguf`, nCtx: 128 });
      const nVocab = cpu.call('sotto_n_vocab', cpu.session);
      const ids = cpu.tokenize(PROMPT);
      cpu.start(ids, { temperature: 0, seed: 1 });
      const want = [];
      for (let i = 0; i < 24; i++) {
        const id = cpu.step();
        want.push(id);
        if (id < 0 || cpu.isEog(id)) break;
      }
      await gpuEngine.load(bytes, { name: `${name}.gguf`, nCtx: 128 });
      await gpuEngine.gpuStart(ids);
      const prefill = gpuEngine.gpuDispatches();
      const got = [];
      let perToken = 0;
      for (let i = 0; i < 24; i++) {
        const id = await gpuEngine.gpuNext();
        got.push(id);
        if (i === 0) perToken = gpuEngine.gpuDispatches();
        if (id < 0 || gpuEngine.isEog(id)) break;
      }
      const same = JSON.stringify(got) === JSON.stringify(want);
      let note = 'identical';
      if (!same) {
        check(/q8_0|q4_0|q4_k/.test(name), `gpu ${JSON.stringify(got)} != cpu ${JSON.stringify(want)}`);
        cpu.start(ids, { temperature: 0, seed: 1 });
        let worst = 0;
        for (let i = 0; i < got.length; i++) {
          const l = cpuLogits(nVocab);
          let best = -Infinity;
          for (const v of l) best = Math.max(best, v);
          worst = Math.max(worst, best - l[got[i]]);
          check(best - l[got[i]] <= MARGIN,
                `token ${i}: gpu chose ${got[i]} at ${l[got[i]]}, cpu best logit ${best} (margin ${MARGIN})`);
          if (got[i] < 0 || gpuEngine.isEog(got[i])) break;
          cpu.call('sotto_feed', cpu.session, got[i]);
        }
        note = `near-tie flip at token ${got.findIndex((v, i) => v !== want[i])}; teacher-forced worst gap ${worst.toFixed(4)}`;
      }
      log(`      ${note}; prompt ${ids.length} tokens: ${prefill} dispatches; decode: ${perToken} dispatches/token`);
    });
  }
  // Two wasm instances on one GpuHost: buffer and kernel ids are per instance, and each records its own
  // steps (encoder, argument arena, reads); interleaving them must not change either one's tokens.
  const pair = ['qwen25-f32', 'llama32-f32'].filter((n) => models.includes(n));
  if (pair.length === 2) {
    await test(`two engines on one GpuHost, steps interleaved == each alone: ${pair.join(' + ')}`, async () => {
      const runs = await Promise.all(pair.map(async (name) => ({ name, bytes: await loadModel(`${name}.gguf`) })));
      for (const r of runs) {  // alone: one engine loads and decodes before the next is created
        const e = await Sotto.create(wasmModule, { gpu: host });
        await e.load(r.bytes, { name: `${r.name}.gguf`, nCtx: 64 });
        r.ids = e.tokenize(PROMPT);
        await e.gpuStart(r.ids);
        r.want = [];
        for (let i = 0; i < 12; i++) r.want.push(await e.gpuNext());
        e.dispose();
      }
      const engines = await Promise.all(runs.map(() => Sotto.create(wasmModule, { gpu: host })));
      for (let k = 0; k < 2; k++) await engines[k].load(runs[k].bytes, { name: `${runs[k].name}.gguf`, nCtx: 64 });
      for (let k = 0; k < 2; k++) await engines[k].gpuStart(runs[k].ids);
      const got = [[], []];
      for (let i = 0; i < 12; i++) {
        for (let k = 0; k < 2; k++) got[k].push(await engines[k].gpuNext());
      }
      // And concurrently: both steps in flight before either settles.
      const a = await Promise.all(engines.map((e, k) => e.gpuStart(runs[k].ids).then(async () => {
        const t = [];
        for (let i = 0; i < 12; i++) t.push(await e.gpuNext());
        return t;
      })));
      for (let k = 0; k < 2; k++) {
        check(JSON.stringify(got[k]) === JSON.stringify(runs[k].want),
              `${runs[k].name} interleaved ${JSON.stringify(got[k])} != alone ${JSON.stringify(runs[k].want)}`);
        check(JSON.stringify(a[k]) === JSON.stringify(runs[k].want),
              `${runs[k].name} concurrent ${JSON.stringify(a[k])} != alone ${JSON.stringify(runs[k].want)}`);
      }
      for (const e of engines) e.dispose();
      log(`      ${runs.map((r) => `${r.name}: ${r.want.length} tokens`).join(', ')}`);
    });
  }
  await test('generate() on WebGPU streams the CPU text; cancel stops it', async () => {
    const bytes = await loadModel('qwen25-q8_0.gguf');
    await cpu.load(bytes, { nCtx: 128 });
    await gpuEngine.load(bytes, { nCtx: 128 });
    let a = '', b = '';
    for await (const t of cpu.generate(PROMPT, { maxTokens: 12, temperature: 0 })) a += t;
    for await (const t of gpuEngine.generate(PROMPT, { maxTokens: 12 })) b += t;
    check(a === b && a.length > 0, `gpu ${JSON.stringify(b)} != cpu ${JSON.stringify(a)}`);
    let n = 0;
    const onToken = () => { if (++n === 3) gpuEngine.cancel(); };
    for await (const t of gpuEngine.generate(PROMPT, { maxTokens: 12, onToken })) void t;
    check(n === 3, `cancel after 3 tokens, ${n} sampled`);
  });
  await test('loadStream from a Blob source (weights straight into GPU buffers) gives the CPU text', async () => {
    const bytes = await loadModel('llama32-q4_0.gguf');
    await cpu.load(bytes, { nCtx: 128 });
    await gpuEngine.loadStream(Sotto.blobSource(new Blob([bytes])), { name: 'llama32-q4_0.gguf', nCtx: 128 });
    let a = '', b = '';
    for await (const t of cpu.generate(PROMPT, { maxTokens: 12, temperature: 0 })) a += t;
    for await (const t of gpuEngine.generate(PROMPT, { maxTokens: 12 })) b += t;
    check(a === b && a.length > 0, `gpu ${JSON.stringify(b)} != cpu ${JSON.stringify(a)}`);
    let msg = '';
    try {
      const e4 = await Sotto.create(wasmModule, { gpu: host });
      await e4.loadStream(Sotto.bytesSource(bytes.subarray(0, 300)), { name: 'cut.gguf' });
    } catch (e) { msg = e.message; }
    check(/^cut\.gguf: /.test(msg) && !msg.includes('\n'), `truncated file: got ${JSON.stringify(msg)}`);
  });
  await test('no WebGPU: tryCreate gives null and the engine runs on the wasm CPU backend', async () => {
    const none = await GpuHost.tryCreate(undefined);
    check(none === null, 'tryCreate(undefined) should be null');
    const e3 = await Sotto.create(wasmModule, { gpu: none });
    await e3.load(await loadModel('qwen25-q8_0.gguf'), { nCtx: 64 });
    let text = '';
    for await (const t of e3.generate(PROMPT, { maxTokens: 4, temperature: 0 })) text += t;
    check(text.length > 0, 'no text from the CPU fallback');
    e3.dispose();
  });
  await test('a BF16 model is refused with a one-line error', async () => {
    const e2 = await Sotto.create(wasmModule, { gpu: host });
    let msg = '';
    try {
      await e2.load(await loadModel('llama32-bf16.gguf'), { name: 'llama32-bf16.gguf' });
    } catch (e) { msg = e.message; }
    check(/^llama32-bf16\.gguf: .*bf16.*webgpu[^\n]*$/.test(msg), `got: ${msg}`);
  });
  // Constrained decoding and sampling on the GPU (sample-checks.mjs); sample: its options.
  if (sample) await runSampleChecks({ Sotto, host, wasmModule, loadModel, log, test, check, ...sample });
  return { passed, failed };
}
