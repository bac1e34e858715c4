// asr-checks.mjs — speech to text on WebGPU (wasm/asr.mjs with a GpuHost) against the wasm CPU backend of the same
// build, shared by the Node runner (run.mjs) and the Chromium worker (worker.mjs):
//   * a synthetic recording (three voiced bursts with harmonics, vibrato and noise, silence between; no espeak
//     in the browser) transcribed by the committed Moonshine and Whisper fixtures (tests/fixtures/asr) on both
//     backends: identical segments (start, end, text) and identical token ids, the same words with confidences
//     (the chosen token's softmax probability, computed on the device) within 2e-3; decode dispatches per token logged;
//   * streaming in irregular chunks == one feed, on WebGPU, with the feeds awaited in turn or all at once;
//   * freed tensors' GPU address ranges are reused (a long stream allocates temporaries for every phrase and token).
//   const { passed, failed } = await runAsrChecks({ SottoAsr, host, wasmModule, loadAsr, log });
// loadAsr(name) -> Uint8Array of tests/fixtures/asr/<name>.
import { Tally } from '../harness.mjs';

export const ASR_MODELS = ['moonshine-f32.gguf', 'moonshine-f16-untied.gguf', 'moonshine-hf.gguf', 'whisper-f32.gguf',
                           'whisper-f16.gguf'];

// 16 kHz: 0.5 s quiet, then bursts of 1.1, 0.7 and 1.6 s separated by 0.8 s of quiet.
export function synthRecording() {
  const sr = 16000;
  let seed = 7;
  const noise = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
  const out = [];
  const quiet = (s) => { for (let i = 0; i < s * sr; i++) out.push(0.003 * noise()); };
  const burst = (s, f0) => {
    const n = Math.round(s * sr);
    let ph = 0;
    for (let i = 0; i < n; i++) {
      const t = i / sr;
      const env = Math.sin(Math.PI * i / n) ** 0.5;
      ph += 2 * Math.PI * f0 * (1 + 0.05 * Math.sin(2 * Math.PI * 5 * t)) / sr;
      let v = 0;
      for (let h = 1; h <= 6; h++) v += Math.sin(h * ph + h) / h;
      out.push(0.25 * env * v + 0.02 * noise());
    }
  };
  quiet(0.5);
  burst(1.1, 140);
  quiet(0.8);
  burst(0.7, 210);
  quiet(0.8);
  burst(1.6, 110);
  quiet(0.8);
  return Float32Array.from(out);
}

export async function runAsrChecks({ SottoAsr, host, wasmModule, loadAsr, log, models = ASR_MODELS }) {
  const t = new Tally(log), test = (name, fn) => t.test(name, fn), check = t.check;
  const show = (segs) => JSON.stringify(segs.map((s) => [s.start, s.end, s.ids.join(' ')]));
  const pcm = synthRecording();

  // concurrent: every feed() is called at once (as a microphone handler would), then awaited together.
  async function transcribe(model, gpu, chunks, concurrent = false) {
    const asr = await SottoAsr.create(wasmModule, { gpu });
    await asr.load(await loadAsr(model), { name: model });
    const segs = [], pending = [];
    let i = 0;
    for (let k = 0; i < pcm.length; k++) {
      const n = chunks[k % chunks.length];
      if (concurrent) pending.push(asr.feed(pcm.subarray(i, i + n)));
      else segs.push(...await asr.feed(pcm.subarray(i, i + n)));
      i += n;
    }
    for (const r of await Promise.all(pending)) segs.push(...r);
    segs.push(...await asr.finish());
    const dispatches = asr.gpuDispatches();
    asr.dispose();
    return { segs, dispatches };
  }

  for (const model of models) {
    await test(`speech on WebGPU == wasm CPU: ${model}`, async () => {
      const cpu = await transcribe(model, null, [16000 * 10]);
      const gpu = await transcribe(model, host, [16000 * 10]);
      check(cpu.segs.length >= 3, `CPU found ${cpu.segs.length} phrases, expected >= 3`);
      const tokens = cpu.segs.reduce((a, s) => a + s.tokens, 0);
      check(tokens >= cpu.segs.length, `CPU decoded only ${tokens} tokens`);
      const same = gpu.segs.length === cpu.segs.length && gpu.segs.every((s, i) =>
        s.start === cpu.segs[i].start && s.end === cpu.segs[i].end && s.text === cpu.segs[i].text &&
        s.ids.join(' ') === cpu.segs[i].ids.join(' '));
      check(same, `gpu ${show(gpu.segs)}\n      cpu ${show(cpu.segs)}`);
      // Word confidence: softmax + gather at the device argmax on the GPU vs the CPU backend's (printed to 4 places).
      let words = 0, maxDiff = 0;
      for (const [i, s] of gpu.segs.entries()) {
        const c = cpu.segs[i];
        check(s.words.length === c.words.length && s.words.every((w, k) => w.text === c.words[k].text),
              `phrase ${i}: words differ`);
        for (const [k, w] of s.words.entries()) {
          check(w.confidence > 0 && w.confidence <= 1, `phrase ${i} word ${k}: confidence ${w.confidence}`);
          maxDiff = Math.max(maxDiff, Math.abs(w.confidence - c.words[k].confidence));
          words++;
        }
        // The same flags, unless a confidence sits within the tolerance of a threshold (0.9 a word, 0.97 a phrase's mean).
        const mean = c.words.reduce((a, w) => a + w.confidence, 0) / Math.max(1, c.words.length);
        const edge = c.words.some((w) => Math.abs(w.confidence - 0.9) <= 2e-3) || Math.abs(mean - 0.97) <= 2e-3;
        if (!edge) {
          check(JSON.stringify(s.flags.map((f) => [f.kind, f.words])) === JSON.stringify(c.flags.map((f) => [f.kind, f.words])),
                `phrase ${i}: flags differ`);
        }
      }
      check(words > 0, 'no words to compare');
      check(maxDiff <= 2e-3, `word confidence differs by ${maxDiff}`);
      const steps = gpu.segs.reduce((a, s) => a + s.tokens + (s.hit_token_cap ? 0 : 1), 0);
      log(`      ${gpu.segs.length} phrases, ${tokens} tokens; ${gpu.dispatches} GPU dispatches in all ` +
          `(${steps} decode steps); ${words} words, confidence max |gpu - cpu| ${maxDiff.toFixed(4)}`);
    });
  }
  await test('speech on WebGPU: irregular chunks == one feed, awaited in turn or all at once', async () => {
    const model = 'moonshine-f16-untied.gguf';
    const a = await transcribe(model, host, [16000 * 10]);
    const b = await transcribe(model, host, [4093, 97, 1601, 11, 8191]);
    check(show(a.segs) === show(b.segs), `chunks ${show(b.segs)} vs one ${show(a.segs)}`);
    const c = await transcribe(model, host, [4093, 97, 1601, 11, 8191], true);
    check(show(a.segs) === show(c.segs), `concurrent chunks ${show(c.segs)} vs one ${show(a.segs)}`);
  });
  await test('WebGPU address space is reused: 300 x 16 MiB allocated and freed in turn (4.8 GiB of addresses)', async () => {
    const { Sotto } = await import('../../wasm/sotto.mjs');
    const e = await Sotto.create(wasmModule, { gpu: host });
    check(e.call('sotto_opcheck_alloc_churn', host.bindingLimit()) === 0, 'churn failed');
    await e.settle();
  });
  return { passed: t.passed, failed: t.failed };
}
