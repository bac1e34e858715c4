// asr.test.mjs — speech to text in the wasm build (wasm/asr-abi.cpp through wasm/asr.mjs) on the wasm CPU
// backend, against the native CLI:
//   * espeak-ng speech (three voices/speeds, noise, silence between phrases) written as a 22.05 kHz stereo WAV;
//     `sotto transcribe --json` natively and the wasm session (WAV decoded in wasm, fed at 22.05 kHz in irregular
//     chunks, resampled and segmented in the engine) give the same segments: identical start, end and text,
//     for the committed Moonshine and Whisper fixtures (tests/fixtures/asr, f32 and f16);
//   * one feed of the whole recording gives the same segments as irregular chunks;
//   * errors: a non-speech GGUF, junk bytes, a corrupt WAV, feed after finish: one-line Errors.
// Usage: node tests/wasm/asr.test.mjs [path/to/sotto.wasm] [path/to/native/sotto]
// Needs espeak-ng (tools/install-deps.sh installs it). Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoAsr } from '../../wasm/asr.mjs';
import { Tally } from '../harness.mjs';
import { wavBytes } from '../wav.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const fixtures = join(root, 'tests', 'fixtures', 'asr');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tmp = mkdtempSync(join(tmpdir(), 'sotto-asr-wasm-'));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

// The test recording: espeak-ng phrases (22.05 kHz) with 0.8 s gaps, low noise, as stereo (left = right * 0.9).
const asr0 = await SottoAsr.create(wasmModule);
function speak(text, voice, speed) {
  const path = join(tmp, 'phrase.wav');
  execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', path, text]);
  return asr0.decodeWav(readFileSync(path));
}
const phrases = [['the patient reports a mild headache', 'en', 160], ['since tuesday morning', 'en-us', 190],
                 ['no fever and no nausea', 'en+f3', 140]];
const rate = 22050;
const mono = [];
let seed = 12345;
const noise = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed / 2147483648 - 0.5) * 0.004; };
const gap = () => { for (let i = 0; i < 0.8 * rate; i++) mono.push(noise()); };
gap();
for (const [text, voice, speed] of phrases) {
  const w = speak(text, voice, speed);
  check(w.sampleRate === rate, `espeak-ng wrote ${w.sampleRate} Hz`);
  for (const v of w.samples) mono.push(v + noise());
  gap();
}
const stereo = new Float32Array(mono.length * 2);
for (let i = 0; i < mono.length; i++) { stereo[2 * i] = 0.9 * mono[i]; stereo[2 * i + 1] = mono[i]; }
const wavPath = join(tmp, 'talk.wav');
writeFileSync(wavPath, wavBytes(stereo, 2, rate));

// Native segments, with the token count of each from --timings (random-weight fixtures mostly emit byte tokens,
// which all print as U+FFFD, so the counts make the comparison sharper).
function native(model) {
  const r = spawnSync(nativePath, ['transcribe', '-m', join(fixtures, model), '--json', '--timings', '-t', '1', wavPath]);
  if (r.status !== 0) throw new Error(`native transcribe failed: ${r.stderr}`);
  const segs = JSON.parse(r.stdout.toString()).segments;
  const counts = [...r.stderr.toString().matchAll(/timing: phrase \S+ s +(\d+) tokens/g)].map((m) => Number(m[1]));
  check(counts.length === segs.length, `--timings gave ${counts.length} phrases for ${segs.length} segments`);
  segs.forEach((s, i) => { s.tokens = counts[i]; });
  return segs;
}

// Feeds in chunks of varying size (primes), as a microphone would.
async function wasmTranscribe(model, samples, sampleRate) {
  const asr = await SottoAsr.create(wasmModule);
  await asr.load(readFileSync(join(fixtures, model)), { name: model, sampleRate });
  const sizes = [4093, 97, 1601, 11, 8191];
  const segs = [];
  for (let i = 0, k = 0; i < samples.length; k++) {
    const n = sizes[k % sizes.length];
    segs.push(...await asr.feed(samples.subarray(i, i + n)));
    i += n;
  }
  segs.push(...await asr.finish());
  asr.dispose();
  return segs;
}

const same = (a, b) => a.length === b.length &&
  a.every((s, i) => s.start === b[i].start && s.end === b[i].end && s.text === b[i].text);
const show = (segs) => JSON.stringify(segs.map((s) => [s.start, s.end, s.text]));

const file = asr0.decodeWav(readFileSync(wavPath), 'talk.wav');
for (const model of ['moonshine-f32.gguf', 'moonshine-f16-untied.gguf', 'whisper-f32.gguf', 'whisper-f16.gguf']) {
  await test(`wasm CPU transcript == native sotto transcribe: ${model}`, async () => {
    const want = native(model);
    // Whisper fixtures have a short encoder window, so their phrases are split into parts.
    check(want.length >= phrases.length, `native found ${want.length} phrases, expected >= ${phrases.length}`);
    check(want.some((s) => s.text.length > 0), 'native transcript is empty');
    check(file.sampleRate === rate, `decoded rate ${file.sampleRate}`);
    const got = await wasmTranscribe(model, file.samples, file.sampleRate);
    check(same(got, want), `wasm ${show(got)}\nnative ${show(want)}`);
    check(got.every((s, i) => s.tokens === want[i].tokens),
          `token counts: wasm ${got.map((s) => s.tokens)} native ${want.map((s) => s.tokens)}`);
    check(want.reduce((a, s) => a + s.tokens, 0) >= want.length, 'native decoded almost no tokens');
    check(got.every((s) => s.latency_ms >= 0 && s.tokens >= 0), 'bad timing fields');
  });
}

await test('the whole recording in one feed == irregular chunks', async () => {
  const model = 'moonshine-f32.gguf';
  const want = await wasmTranscribe(model, file.samples, rate);
  const asr = await SottoAsr.create(wasmModule);
  await asr.load(readFileSync(join(fixtures, model)), { name: model, sampleRate: rate });
  const all = await asr.transcribe(file.samples, { chunk: file.samples.length });
  check(same(all, want), `one chunk ${show(all)} vs many ${show(want)}`);
  asr.dispose();
});

async function errorOf(fn) {
  try { await fn(); } catch (e) { return e.message; }
  return '';
}
await test('errors: non-speech GGUF, junk bytes, corrupt WAV, feed after finish', async () => {
  const llm = join(root, 'tests', 'fixtures', 'models', 'llama32-f32.gguf');
  let a = await SottoAsr.create(wasmModule);
  let msg = await errorOf(() => a.load(readFileSync(llm), { name: 'llama.gguf' }));
  check(/^llama\.gguf: architecture 'llama' is not a speech model/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  a = await SottoAsr.create(wasmModule);
  msg = await errorOf(() => a.load(new Uint8Array(64).fill(7), { name: 'junk.gguf' }));
  check(/^junk\.gguf: not a GGUF file/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  a = await SottoAsr.create(wasmModule);
  msg = await errorOf(() => a.decodeWav(Buffer.from('RIFF....WAVEjunkjunk'), 'bad.wav'));
  check(/^bad\.wav: /.test(msg) && !msg.includes('\n'), `unexpected ${JSON.stringify(msg)}`);
  a = await SottoAsr.create(wasmModule);
  await a.load(readFileSync(join(fixtures, 'moonshine-f32.gguf')), { name: 'm.gguf', sampleRate: 16000 });
  await a.feed(new Float32Array(1000));
  await a.finish();
  msg = await errorOf(() => a.feed(new Float32Array(10)));
  check(/stream has ended/.test(msg), `unexpected ${JSON.stringify(msg)}`);
  a = await SottoAsr.create(wasmModule);
  msg = await errorOf(() => a.load(readFileSync(join(fixtures, 'moonshine-f32.gguf')), { sampleRate: 5 }));
  check(/sample rate 5 Hz out of range/.test(msg), `unexpected ${JSON.stringify(msg)}`);
});

rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());
