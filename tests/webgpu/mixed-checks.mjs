// mixed-checks.mjs — a text engine (wasm/sotto.mjs) and a speech engine (wasm/asr.mjs) on ONE GpuHost, as the app
// may run them (a note drafted while the microphone is transcribed): two wasm instances, each with its own
// GpuInstance (host.attach(): buffer, kernel and bind-group tables, argument arena, command encoder, pending reads),
// sharing the device, the compiled pipelines and the staging buffers. Shared by run.mjs and worker.mjs.
// Each engine first runs alone on the host: the reference (greedy token ids of PROMPT; the segments of
// asr-checks.mjs's synthetic recording fed in 0.1 s chunks). Then, with both engines loaded at once:
//   * interleaved: one text step, one speech chunk, in turn, each awaited;
//   * concurrent: the text decode loop and the speech feed loop run at the same time (their submits and
//     read-backs overlap: each awaits its GPU work while the other records and submits);
//   * concurrent, the speech chunks all passed to feed() at once (queued, as a microphone handler does);
// each must give exactly the token ids and the segments (start, end, text, ids) of the engine alone. That the
// engines alone agree with the wasm CPU backend is checked by checks.mjs (greedy) and asr-checks.mjs (speech).
//   const { passed, failed } = await runMixedChecks({ Sotto, SottoAsr, host, wasmModule, loadModel, loadAsr, log,
//                                                     textModel, asrModel });
import { synthRecording } from './asr-checks.mjs';
import { PROMPT } from './checks.mjs';
import { Tally } from '../harness.mjs';

const N_TOKENS = 24;
const CHUNK = 1600;  // samples: 0.1 s at 16 kHz

export async function runMixedChecks({ Sotto, SottoAsr, host, wasmModule, loadModel, loadAsr, log,
                                       textModel = 'qwen25-q8_0.gguf', asrModel = 'moonshine-f16-untied.gguf' }) {
  const t = new Tally(log), test = (name, fn) => t.test(name, fn), check = t.check;
  const pcm = synthRecording();
  const chunks = [];
  for (let i = 0; i < pcm.length; i += CHUNK) chunks.push(pcm.subarray(i, i + CHUNK));
  const show = (segs) => JSON.stringify(segs.map((s) => [s.start, s.end, s.text, s.ids.join(' ')]));

  const newText = async () => {
    const e = await Sotto.create(wasmModule, { gpu: host });
    await e.load(await loadModel(textModel), { name: textModel, nCtx: 128 });
    return e;
  };
  const newAsr = async () => {
    const a = await SottoAsr.create(wasmModule, { gpu: host });
    await a.load(await loadAsr(asrModel), { name: asrModel });
    return a;
  };
  // A text run as steps: step() does the next GPU call (gpuStart, then gpuNext) and returns false when done.
  const textRun = (e, ids, n) => {
    const tokens = [];
    let started = false;
    return {
      tokens,
      async step() {
        if (!started) {
          started = true;
          await e.gpuStart(ids);
          return true;
        }
        if (tokens.length >= n) return false;
        const id = await e.gpuNext();
        tokens.push(id);
        if (id < 0 || e.isEog(id)) n = tokens.length;
        return tokens.length < n;
      },
    };
  };
  const textAll = async (run) => { while (await run.step()); return run.tokens; };
  const speechAll = async (a) => {
    const segs = [];
    for (const c of chunks) segs.push(...await a.feed(c));
    segs.push(...await a.finish());
    return segs;
  };
  const speechQueued = async (a) => {
    const pending = chunks.map((c) => a.feed(c));
    pending.push(a.finish());
    return (await Promise.all(pending)).flat();
  };

  await test(`text + speech engines on one GpuHost, interleaved and concurrent == each alone: ${textModel} + ${asrModel}`, async () => {
    // Alone: each engine the only one on the host (the other not yet created).
    const t0 = await newText();
    const ids = t0.tokenize(PROMPT);
    const wantTokens = await textAll(textRun(t0, ids, N_TOKENS));
    t0.dispose();
    const a0 = await newAsr();
    const wantSegs = await speechAll(a0);
    a0.dispose();
    check(wantTokens.length >= 8, `alone: only ${wantTokens.length} text tokens`);
    check(wantSegs.length >= 3 && wantSegs.every((s) => s.ids.length > 0),
          `alone: ${wantSegs.length} phrases, expected >= 3 with tokens: ${show(wantSegs)}`);
    const n = wantTokens.length;
    const want = JSON.stringify(wantTokens);

    const text = await newText(), asr = await newAsr();
    const same = (what, tokens, segs) => {
      check(JSON.stringify(tokens) === want, `${what}: text ${JSON.stringify(tokens)} != alone ${want}`);
      check(show(segs) === show(wantSegs), `${what}: speech ${show(segs)}\n      != alone ${show(wantSegs)}`);
    };

    // Interleaved: a text step, a speech chunk, a text step, ... (each awaited).
    let run = textRun(text, ids, n);
    await asr.reset();
    let segs = [];
    let more = true;
    for (let k = 0; more || k <= chunks.length; k++) {
      if (more) more = await run.step();
      if (k < chunks.length) segs.push(...await asr.feed(chunks[k]));
      else if (k === chunks.length) segs.push(...await asr.finish());
    }
    same('interleaved', run.tokens, segs);

    // Concurrent: both loops at once.
    await asr.reset();
    run = textRun(text, ids, n);
    [, segs] = await Promise.all([textAll(run), speechAll(asr)]);
    same('concurrent', run.tokens, segs);

    // Concurrent, every speech chunk queued at once while the text decodes.
    await asr.reset();
    run = textRun(text, ids, n);
    [, segs] = await Promise.all([textAll(run), speechQueued(asr)]);
    same('concurrent, feeds queued', run.tokens, segs);

    text.dispose();
    asr.dispose();
    log(`      ${n} text tokens, ${wantSegs.length} phrases (${wantSegs.reduce((x, s) => x + s.ids.length, 0)} tokens) ` +
        `in ${chunks.length} chunks of ${CHUNK} samples`);
  });
  return { passed: t.passed, failed: t.failed };
}
