// speakers.test.mjs — speaker labels in the wasm build (wasm/speaker-abi.cpp through wasm/asr.mjs SottoSpeakers)
// against `sotto transcribe --speakers`, with the bundled models (models/sotto-asr-q8_0.gguf, models/
// sotto-speaker-f32.gguf):
//   * two espeak-ng voices take four turns with pauses (the conversation of tests/test-speaker-cli.cpp); the wasm
//     transcript's phrases labelled by SottoSpeakers carry the labels of the native CLI (2 speakers, and found),
//     and each voice one label; the recording is at 22.05 kHz, resampled in the engine as the CLI does;
//   * errors: a model that is not a speaker model, a count out of range, audio under 1 s: one-line Errors, and the
//     engine goes on.
// Usage: node tests/wasm/speakers.test.mjs [path/to/sotto.wasm] [path/to/native/sotto]
// Needs espeak-ng (tools/install-deps.sh installs it). Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoAsr, SottoSpeakers } from '../../wasm/asr.mjs';
import { Tally } from '../harness.mjs';
import { wavBytes } from '../wav.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const asrModel = join(root, 'models', 'sotto-asr-q8_0.gguf');
const spkModel = join(root, 'models', 'sotto-speaker-f32.gguf');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tmp = mkdtempSync(join(tmpdir(), 'sotto-speakers-wasm-'));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

// The conversation: voice 0 and voice 1 in turn with 0.6 s pauses, at espeak-ng's 22.05 kHz (the CLI and the wasm
// session each resample it to 16 kHz).
const asr = await SottoAsr.create(wasmModule);
const turns = [[0, 'Good morning. What brings you in today?'],
               [1, 'I have had a sore throat and a mild fever since Monday.'],
               [0, 'Any trouble swallowing, or a cough at night?'],
               [1, 'Some trouble swallowing, but no cough. I took paracetamol twice a day.']];
const voices = [['en-us+m3', '150', '35'], ['en-gb-x-rp+f4', '170', '70']];
const rate = 22050;
const pcm = [];
const truth = [];  // [start s, end s, voice]
for (let i = 0; i < 0.4 * rate; i++) pcm.push(0);
for (const [who, text] of turns) {
  const path = join(tmp, 'say.wav');
  const [v, s, p] = voices[who];
  execFileSync('espeak-ng', ['-v', v, '-s', s, '-p', p, '-w', path, text]);
  const w = asr.decodeWav(readFileSync(path));
  check(w.sampleRate === rate, `espeak-ng wrote ${w.sampleRate} Hz`);
  truth.push([pcm.length / rate, (pcm.length + w.samples.length) / rate, who]);
  for (const y of w.samples) pcm.push(y);
  for (let i = 0; i < 0.6 * rate; i++) pcm.push(0);
}
const wavPath = join(tmp, 'talk.wav');
writeFileSync(wavPath, wavBytes(Float32Array.from(pcm), 1, rate));
const talk = asr.decodeWav(readFileSync(wavPath));  // what the CLI reads: the 16-bit samples

function native(args) {
  const r = spawnSync(nativePath, ['transcribe', '-m', asrModel, '--json', '-t', '1', ...args, '--speaker-model', spkModel, wavPath]);
  if (r.status !== 0) throw new Error(`native transcribe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString()).segments;
}

async function wasmLabels(samples, rate, count) {
  const a = await SottoAsr.create(wasmModule);
  await a.load(readFileSync(asrModel), { name: 'asr.gguf', sampleRate: rate });
  const segs = await a.transcribe(samples, { chunk: 4000 });
  const spk = await SottoSpeakers.create(a.engine);
  await spk.load(readFileSync(spkModel), { name: 'speaker.gguf' });
  const r = await spk.label(samples, { sampleRate: rate, speakers: count, spans: segs.map((s) => [s.start, s.end]) });
  spk.dispose();
  a.dispose();
  return { segs, ...r };
}

const show = (segs, labels) => JSON.stringify(segs.map((s, i) => [s.start, s.end, labels[i], s.text]));
for (const [count, args] of [[2, ['--speakers', '2']], [0, ['--speakers']]]) {
  await test(`wasm speaker labels == sotto transcribe ${args.join(' ')}`, async () => {
    const want = native(args);
    const got = await wasmLabels(talk.samples, rate, count);
    // The phrases' times (their texts may differ where the bundled model's greedy choice is a near tie between the
    // wasm and native kernels: "8000" for "9000" was seen; tests/wasm/asr.test.mjs compares texts on the fixtures).
    check(got.segs.length === want.length && got.segs.every((s, i) => s.start === want[i].start && s.end === want[i].end),
          `phrases differ (the CLI recognizes a phrase that spans a speaker change again in parts):\nwasm ${show(got.segs, got.labels)}\nnative ${show(want, want.map((s) => s.speaker))}`);
    check(got.labels.length === got.segs.length, `${got.labels.length} labels for ${got.segs.length} phrases`);
    check(got.labels.every((l, i) => l === want[i]?.speaker), `labels: wasm ${got.labels} native ${want.map((s) => s.speaker)}`);
    check(got.speakers === Math.max(...want.map((s) => s.speaker)), `speakers: wasm ${got.speakers}`);
    // Each voice mostly one label, the two different: the time of each (voice, label) pair.
    const overlap = new Map();
    got.segs.forEach((s, i) => {
      for (const [a, b, who] of truth) {
        const o = Math.min(s.end, b) - Math.max(s.start, a);
        if (o > 0) overlap.set(`${who}:${got.labels[i]}`, (overlap.get(`${who}:${got.labels[i]}`) ?? 0) + o);
      }
    });
    const v = (who, l) => overlap.get(`${who}:${l}`) ?? 0;
    check(v(0, 1) > 0.9 * (v(0, 1) + v(0, 2)) && v(1, 2) > 0.9 * (v(1, 1) + v(1, 2)),
          `voice/label seconds: ${JSON.stringify(Object.fromEntries(overlap))}`);
    check(got.turns.length >= 4 && got.turns.every((t) => t.end > t.start && t.speaker >= 1), `turns ${JSON.stringify(got.turns)}`);
  });
}

async function errorOf(fn) {
  try { await fn(); } catch (e) { return e.message; }
  return '';
}
await test('errors: not a speaker model, a count out of range, audio under 1 s; the engine goes on', async () => {
  const spk = await SottoSpeakers.create(wasmModule);
  let msg = await errorOf(() => spk.load(readFileSync(asrModel), { name: 'asr.gguf' }));
  check(/^asr\.gguf: not a speaker-embedding model$/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  msg = await errorOf(() => spk.label(talk.samples, { spans: [] }));
  check(/no model loaded/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  await spk.load(readFileSync(spkModel), { name: 'speaker.gguf' });
  msg = await errorOf(() => spk.label(talk.samples, { speakers: 9 }));
  check(/^speakers: a count of 1\.\.8 \(or 0, to find it\), not 9$/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  msg = await errorOf(() => spk.label(talk.samples.subarray(0, 11025), { sampleRate: rate }));
  check(/^speakers: 0\.500 s of audio is too short \(at least 1 s\)$/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  const r = await spk.label(talk.samples, { sampleRate: rate, speakers: 2, spans: [[0.5, 2.0]] });
  check(r.labels.length === 1 && r.labels[0] === 1, `after the errors: ${JSON.stringify(r.labels)}`);
});

rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());
