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
import { Tally } from '../harness.mjs';

export const MARGIN = 0.05;
export const PROMPT = 'The quick brown fox jumps over the lazy dog. Once upon a time';

export async function runChecks({ Sotto, GpuHost, gpu, wasmModule, loadModel, models, fallback, log, opsOnly, sample,
                                  subgroupMatrix = false }) {
  const t = new Tally(log), test = (name, fn) => t.test(name, fn), check = t.check;

  const host = await GpuHost.create(gpu, { forceFallbackAdapter: fallback, subgroupMatrix });
  const info = host.adapter.info ?? {};
  log(`adapter: ${info.description || info.vendor || '?'} ${info.architecture || ''}, binding limit ${host.bindingLimit()}` +
      `, features ${[...host.device.features].filter((f) => /subgroup|f16/.test(f)).join(' ') || 'none'}` +
      `${host.dp4a ? ' dp4a' : ''}${host.sgmat ? ' sgmat (matmul-sgmat.wgsl)' : ''}`);

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
  if (opsOnly) return { passed: t.passed, failed: t.failed };

  const cpu = await Sotto.create(wasmModule);
  const gpuEngine = await Sotto.create(wasmModule, { gpu: host });
  const cpuLogits = (n) => new Float32Array(cpu.memory.buffer, cpu.call('sotto_logits', cpu.session), n);
  const alone = new Map();  // model -> {ids: prompt, got: GPU tokens} of the greedy test (one engine on the host)
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
        const s0 = host.submits;
        const id = await gpuEngine.gpuNext();
        got.push(id);
        if (i === 0) perToken = gpuEngine.gpuDispatches();
        if (id < 0 || gpuEngine.isEog(id)) break;
        // One submit a step, plus one at a layer boundary each time sotto_gpu_submit_every dispatches wait.
        const every = gpuEngine.call('sotto_gpu_submit_every', -1), n = host.submits - s0;
        const most = every > 0 ? 1 + Math.floor(perToken / every) : 1;
        check(n >= 1 && n <= most, `decode step ${i}: ${n} submits, want 1..${most} (${perToken} dispatches, every ${every})`);
      }
      alone.set(name, { ids, got });
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
  // steps (encoder, argument arena, reads); interleaving them must give each one's tokens of the greedy test
  // above (where it ran alone).
  let pair = ['qwen25-f32', 'llama32-f32'].filter((n) => alone.has(n));
  if (pair.length < 2) pair = [...alone.keys()].slice(0, 2);  // Chromium's subset: its first two models
  if (pair.length === 2) {
    await test(`two engines on one GpuHost, steps interleaved == each alone: ${pair.join(' + ')}`, async () => {
      const runs = pair.map((name) => ({ name, ...alone.get(name) }));
      const N = Math.min(10, ...runs.map((r) => r.got.length));
      const engines = await Promise.all(runs.map(() => Sotto.create(wasmModule, { gpu: host })));
      for (let k = 0; k < 2; k++) await engines[k].load(await loadModel(`${runs[k].name}.gguf`), { name: `${runs[k].name}.gguf`, nCtx: 128 });
      // Interleaved: start A, start B, next A, next B, ...
      for (let k = 0; k < 2; k++) await engines[k].gpuStart(runs[k].ids);
      const got = [[], []];
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < 2; k++) got[k].push(await engines[k].gpuNext());
      }
      // Concurrent: both engines' steps in flight before either settles.
      const conc = await Promise.all(engines.map(async (e, k) => {
        await e.gpuStart(runs[k].ids);
        const t = [];
        for (let i = 0; i < N; i++) t.push(await e.gpuNext());
        return t;
      }));
      for (let k = 0; k < 2; k++) {
        const want = JSON.stringify(runs[k].got.slice(0, N));
        check(JSON.stringify(got[k]) === want, `${runs[k].name} interleaved ${JSON.stringify(got[k])} != alone ${want}`);
        check(JSON.stringify(conc[k]) === want, `${runs[k].name} concurrent ${JSON.stringify(conc[k])} != alone ${want}`);
      }
      for (const e of engines) e.dispose();
      log(`      ${N} tokens each: ${runs.map((r) => `${r.name} ${JSON.stringify(r.got.slice(0, N))}`).join('; ')}`);
    });
  }
  // Greedy pipelining (sotto_gpu_pipeline, the default the test above ran with): the same tokens with it off; the
  // context fills after as many tokens as on the CPU; a generation stopped with a step in flight, a reload and a
  // restart give the same tokens again.
  const pipeName = [...alone.keys()][0];
  if (pipeName) {
    await test(`greedy pipelining on == off, context full, stop mid-flight: ${pipeName}`, async () => {
      const { ids, got } = alone.get(pipeName);
      const bytes = await loadModel(`${pipeName}.gguf`);
      const run = async (e, n) => {
        await e.gpuStart(ids);
        const out = [];
        for (let i = 0; i < n; i++) {
          const id = await e.gpuNext();
          out.push(id);
          if (id < 0 || e.isEog(id)) break;
        }
        return out;
      };
      await gpuEngine.load(bytes, { name: `${pipeName}.gguf`, nCtx: 128 });
      check(gpuEngine.gpuPipeline() === true, 'pipelining is not the default');
      gpuEngine.gpuPipeline(false);
      await gpuEngine.gpuStart(ids);
      const plain = gpuEngine.gpuDispatches();
      const off = [];
      let perToken = 0;
      for (let i = 0; i < got.length; i++) {
        off.push(await gpuEngine.gpuNext());
        if (i === 0) perToken = gpuEngine.gpuDispatches();
      }
      gpuEngine.gpuPipeline(true);
      check(JSON.stringify(off) === JSON.stringify(got), `off ${JSON.stringify(off)} != on ${JSON.stringify(got)}`);
      await gpuEngine.gpuStart(ids);
      check(gpuEngine.gpuDispatches() === plain + perToken,
            `pipelined start recorded ${gpuEngine.gpuDispatches()} dispatches, want prefill ${plain} + a step ${perToken}`);
      // Stopped after 3 tokens with the 4th step in flight, then a fresh start: the same tokens.
      for (let i = 0; i < 3; i++) await gpuEngine.gpuNext();
      const again = await run(gpuEngine, got.length);
      check(JSON.stringify(again) === JSON.stringify(got), `after a stop ${JSON.stringify(again)} != ${JSON.stringify(got)}`);
      // A reload with a step in flight.
      await gpuEngine.gpuStart(ids);
      await gpuEngine.gpuNext();
      const room = 5, nCtx = ids.length + room;
      await gpuEngine.load(bytes, { name: `${pipeName}.gguf`, nCtx });
      // The CPU returns `room` tokens, then -1; the GPU the same count, its tokens those of the run above.
      await cpu.load(bytes, { name: `${pipeName}.gguf`, nCtx });
      cpu.start(ids, { temperature: 0, seed: 1 });
      let nCpu = 0;
      for (let id = cpu.step(); id >= 0 && !cpu.isEog(id) && nCpu < room + 3; id = cpu.step()) nCpu++;
      const eog = got.findIndex((id) => gpuEngine.isEog(id));
      const want = eog >= 0 && eog < room ? got.slice(0, eog + 1) : [...got.slice(0, room), -1];
      check(nCpu === room || (eog >= 0 && eog < room), `cpu gave ${nCpu} tokens in a context of ${nCtx}, want ${room}`);
      for (const on of [true, false]) {
        gpuEngine.gpuPipeline(on);
        const full = await run(gpuEngine, room + 3);
        check(JSON.stringify(full) === JSON.stringify(want),
              `context of ${nCtx}, pipelining ${on ? 'on' : 'off'}: ${JSON.stringify(full)}, want ${JSON.stringify(want)}`);
      }
      gpuEngine.gpuPipeline(true);
      log(`      ${got.length} tokens on == off; context ${nCtx}: ${JSON.stringify(want)}`);
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
  return { passed: t.passed, failed: t.failed };
}
