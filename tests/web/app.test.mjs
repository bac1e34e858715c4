// app.test.mjs — the browser app end to end, in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core, WebGPU on SwiftShader) against `sotto serve` on a free port of 127.0.0.1, with the bundled
// note model (models/sotto-notes-q8_0.gguf) and the bundled speech model (models/sotto-asr-q8_0.gguf, else
// the random-weight test fixture tests/fixtures/asr/moonshine-f32.gguf, whose transcripts are noise):
//   session: the engine loads in its worker with progress (download, compile, the note model put on
//   WebGPU and its pipelines compiled; the warm-up's greedy tokens on the GPU agree with the wasm CPU
//   backend run here in Node); notes fall back to the wasm CPU (the WebGPU path has no schema output yet)
//   and the page says so; an espeak-ng dictation of samples/visit-soap.txt is dropped in and transcribed
//   in the speech worker with progress, and its transcript equals `sotto transcribe` of the same samples;
//   a microphone recording (Chromium's fake device playing another espeak-ng WAV) is transcribed live,
//   phrase by phrase while it records; a WAV at another rate is decoded to 16 kHz PCM (checked against a
//   windowed-sinc reference resampling, > 20 dB SNR); the transcript is corrected by hand where the speech
//   model is the random fixture; the note is written under the SOAP template while the page keeps running;
//   fields are edited and their supporting transcript passages highlighted, unsupported words flagged; a
//   recording with a sentence the speech model does not know has its uncertain words underlined in the review
//   view (focusable, described with confidence and reason; the marks of `sotto transcribe --json`), and a value
//   resting on them is flagged "rests on uncertain speech"; the
//   draft survives a reload; a running note can be cancelled; a broken audio file gives a one-line message;
//   nothing can be exported before approval; after approval Markdown, JSON, FHIR and print/PDF are exported
//   and the audit log lists them; an edit revokes the approval; the other templates; offline, the app and
//   its models load from the caches; the wasm CPU can be chosen in Settings; a model URL that does not
//   exist is a one-line error and the engine goes on with the last good model (tests/web/errors.test.mjs: corrupt ones).
//   privacy: every request of the page, its workers and its service worker is checked: it fails on any
//   request to another origin, any method but GET/HEAD, any path outside the app's static files, any query
//   string; downloads happen only after approval and hold exactly the approved note; no cookies. A
//   self-test shows the interceptor does catch a request to another origin.
// Screenshots of each step go to docs/screenshots/ (SCREENSHOTS=0 to skip).
// Usage: node tests/web/app.test.mjs [path/to/sotto] (the wasm build must be in build-wasm/ or SOTTO_WASM_DIR).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Sotto } from '../../wasm/sotto.mjs';
import { WARMUP_PROMPT } from '../../web/engine-gpu.mjs';
import { MARGIN } from '../webgpu/checks.mjs';
import { Tally } from '../harness.mjs';
import { conversation16k, referenceResample, wav16k } from './speech-fixtures.mjs';
import { phraseMarks } from '../../web/speech-marks.mjs';
import { startServe } from './serve.mjs';
import { axeClean as axeCleanAt, launchChromium, until as untilIn, watchedContext as watchedContextOf } from './page-helpers.mjs';

// Route the service worker's own network requests through the interceptor as well (Chromium).
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = '1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const noteMiB = (statSync(noteModel).size / 2 ** 20).toFixed(1).replace('.', '\\.');  // as the status writes it
const bundledAsr = join(root, 'models', 'sotto-asr-q8_0.gguf');
const realAsr = existsSync(bundledAsr);
const asrModel = realAsr ? bundledAsr : join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');
const shots = join(root, 'docs', 'screenshots');
const takeShots = process.env.SCREENSHOTS !== '0';
const tmp = mkdtempSync(join(tmpdir(), 'sotto-app-'));

// The dictation: the bundled sample, spoken by espeak-ng. The microphone plays a shorter one.
const script = readFileSync(join(root, 'samples', 'visit-soap.txt'), 'utf8').trim();
const SUBJECTIVE_MARKS = 'productive cough for 6 days|worse at night';  // the edited subjective's support
const micScript = 'Consultation with Maria Garcia. Complains of a productive cough for 6 days.';

// What the plain status lines must not say (the technical lines behind the disclosures may).
const JARGON = /gguf|simd|wasm|webgpu|\bmib\b|adapter|pipeline|swiftshader|backend|\bcpu\b|\bgpu\b/i;

// espeak-ng speaks at 22.05 kHz; the 16 kHz copies are what the app reads sample for sample.
const speak = (text, name) => {
  const wav = join(tmp, `${name}.wav`);
  const bytes = execFileSync('espeak-ng', ['-v', 'en-us', '-s', '160', '--stdout', text], { maxBuffer: 1 << 28 });
  bytes.writeUInt32LE(bytes.length - 8, 4);  // a stream's header has no sizes: write them
  bytes.writeUInt32LE(bytes.length - 44, 40);
  writeFileSync(wav, bytes);
  const wav16 = join(tmp, `${name}-16k.wav`);
  writeFileSync(wav16, wav16k(referenceResample(readFileSync(wav))));
  return [wav, wav16];
};
const [dictation, dictation16k] = speak(script, 'dictation');
const [, mic16k] = speak(micScript, 'mic');
// A dictation whose last sentence the bundled speech model never heard in training (it writes a sentence of its
// training data instead, measured in docs/asr.md).
const [, recalled16k] = speak(`${micScript} Our solicitor recommends mediation before anyone files a claim with the small claims court.`,
                              'recalled');

// Word error rate of hyp against ref (lowercase words, punctuation dropped).
function wer(ref, hyp) {
  const w = (t) => t.toLowerCase().replace(/[^a-z0-9%.' ]+/g, ' ').replace(/\.(\s|$)/g, ' ').split(/\s+/).filter((x) => x);
  const r = w(ref), h = w(hyp);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[h.length] / Math.max(1, r.length);
}

// ---- the server
const { server, origin } = await startServe(sotto, ['--port', '0', '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '-q']);

const browser = await launchChromium(chromium, {
  webgpu: true,
  extra: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
          `--use-file-for-fake-audio-capture=${mic16k}%noloop`, '--autoplay-policy=no-user-gesture-required'],
});

const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

// The paths the app may request (page-helpers.mjs' watchedContext checks every request).
const allowed = [/^\/$/, /^\/[a-z-]+\.(js|mjs|css)$/, /^\/wasm\/(sotto|gpu-host|asr|threads-host|thread-worker|relaxed-simd)\.mjs$/,
                 /^\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/,
                 /^\/templates\/[a-z]+\.schema\.json$/, /^\/models\/[a-z0-9_.-]+\.gguf$/, /^\/samples\/visit-soap\.wav$/];
const shot = async (page, name) => { if (takeShots) await page.screenshot({ path: join(shots, `${name}.png`) }); };
const watchedContext = () => watchedContextOf(browser, origin, allowed, { acceptDownloads: true, viewport: { width: 1200, height: 860 },
                                                                         permissions: ['microphone'] });
const until = (page, fn, arg, timeout = 60000) => untilIn(page, fn, arg, timeout, ['engine-status', 'asr-status']);
const waitAttr = (page, attr, value, timeout = 60000) =>
  until(page, ([a, v]) => document.body.dataset[a] === v, [attr, value], timeout);
// axe-core on the page as it is: no accessibility violation, whatever the state.
const axeStates = [];
async function axeClean(page, where) {
  await axeCleanAt(page, where);
  axeStates.push(where);
}
// Answers the app's confirmation dialog with the choice named `choice` (its data-choice).
async function answer(page, choice) {
  await until(page, () => document.getElementById('confirm').open);
  await page.click(`#confirm [data-choice="${choice}"]`);
  await until(page, () => !document.getElementById('confirm').open);
}
// Selects a template; with a note present the app asks first, and this confirms the switch.
async function switchTemplate(page, t) {
  if (await page.inputValue('#template') === t) return;
  const hadNote = await page.evaluate(() => document.body.dataset.note === 'ready');
  await page.selectOption('#template', t);
  if (hadNote) await answer(page, 'switch');
  await waitAttr(page, 'template', t);
}

if (takeShots) mkdirSync(shots, { recursive: true });

await step('interceptor self-test: a request to another origin is caught', async () => {
  const { ctx, log } = await watchedContext();
  const page = await ctx.newPage();
  await page.goto('about:blank');
  await page.evaluate(() => fetch('http://198.51.100.7/beacon', { method: 'POST', body: 'x' }).catch(() => {}));
  assert.equal(log.violations.length, 1, JSON.stringify(log));
  await ctx.close();
});

const { ctx, log } = await watchedContext();
const page = await ctx.newPage();
const downloads = [];
let enginePhases = [];  // the engine status lines seen (the first step's observer)
let approvedAt = null;
page.on('download', async (d) => {
  downloads.push({ at: Date.now(), name: d.suggestedFilename(), text: readFileSync(await d.path(), 'utf8'), approvedAt });
});
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

await step('the engine loads in its worker with progress; on a software WebGPU adapter it stays on the wasm CPU', async () => {
  const phases = [];
  await page.exposeFunction('__phase', (p) => phases.push(p));
  await page.addInitScript(() => {
    new MutationObserver(() => {
      window.__phase?.(document.getElementById('engine-status')?.textContent ?? '');
      window.__phase?.(`plain: ${document.getElementById('plain-status')?.textContent ?? ''}`);
      window.__phase?.(`plain: ${document.getElementById('asr-plain')?.textContent ?? ''}`);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(origin + '/');
  await waitAttr(page, 'engine', 'ready');
  // ", N threads": the threaded build (sotto-mt.wasm) on a machine of N > 1 cores (tests/web/threads.test.mjs)
  // ", relaxed SIMD": the relaxed twin of that build (sotto-relaxed.wasm / sotto-mt-relaxed.wasm), where this browser runs it
  const ready = await page.textContent('#engine-status');
  assert.match(ready, new RegExp(`^Engine ready: note\\.gguf \\(${noteMiB} MiB\\) on the wasm CPU \\(SIMD128\\)(, relaxed SIMD)?(, \\d+ threads)?$`));
  assert.equal(ready.includes(', relaxed SIMD'), await page.evaluate(() => document.body.dataset.simd === 'relaxed'), ready);
  assert.match(await page.textContent('#backend-info'),
               /^Notes are written on the wasm CPU: the WebGPU adapter is a software one \(.+\), slower than the wasm CPU engine \(Settings can choose it anyway\)\.$/);
  for (const p of ['Downloading the model', 'Compiling the engine', 'Loading the model',
                   'plain: Getting ready: downloading the note-writing model (', 'plain: Getting ready: preparing the note writer…',
                   'plain: Speech recognition is getting ready']) {
    assert.ok(phases.some((x) => x.startsWith(p)), `${p}: ${[...new Set(phases)].join(' / ')}`);
  }
  // The plain lines speak no file formats, backends or adapters (those are behind "Technical details").
  for (const p of new Set(phases.filter((x) => x.startsWith('plain: ')))) assert.doesNotMatch(p, JARGON);
  assert.equal(await page.textContent('#plain-status'), 'Ready: notes are written on this device. Nothing is sent anywhere.');
  assert.equal(await page.evaluate(() => document.getElementById('tech-details').open), false);
  assert.equal(await page.isVisible('#undo-bar'), false, 'the Undo bar shows with nothing to undo');
  // Nothing to write a note from yet: Write note waits for a transcript, and says so.
  assert.ok(await page.isDisabled('#generate'), 'Write note is enabled with no transcript');
  assert.equal(await page.getAttribute('#generate', 'title'), 'Record, open or type a transcript first');
  assert.ok(await page.evaluate(() => self.crossOriginIsolated), 'the page is cross-origin isolated (COOP+COEP)');
  await waitAttr(page, 'asr', 'ready');
  assert.match(await page.textContent('#asr-status'), /^Speech recognition ready: asr\.gguf \(moonshine, [\d.]+ MiB\) on the wasm CPU \(the WebGPU adapter is a software one \(.+\), slower than the wasm CPU engine \(Settings can choose it anyway\)\)\.$/);
  assert.equal(await page.textContent('#asr-plain'), 'Speech recognition is ready: record, or open a recording.');
  await shot(page, '01-engine-ready');
  await axeClean(page, 'engine ready');
  enginePhases = phases;
});

let asrText = '';
await step('a dropped espeak-ng dictation is transcribed with progress; the text equals `sotto transcribe`', async () => {
  const progress = [];
  await page.exposeFunction('__asrProgress', (p) => progress.push(p));
  await page.evaluate(() => {
    new MutationObserver(() => window.__asrProgress(document.getElementById('audio-info').textContent))
      .observe(document.getElementById('audio-info'), { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#transcript', '');
  await page.setInputFiles('#audio-file', dictation16k);
  await waitAttr(page, 'dictation', 'done', 120000);
  const n = Number(await page.evaluate(() => document.body.dataset.audio));
  assert.equal(n, (readFileSync(dictation16k).length - 44) / 2, 'a 16 kHz WAV is read sample for sample');
  const info = await page.textContent('#audio-info');
  assert.match(info, /^dictation-16k\.wav: [\d.]+ s, \d+ samples at 16 kHz\. Transcribed \d+ phrases? in [\d.]+ s/);
  assert.ok(progress.some((p) => /Transcribing: \d+%/.test(p)), progress.join(' / '));
  asrText = await page.inputValue('#transcript');
  const native = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, dictation16k, '--json'], { encoding: 'utf8' }));
  const nativeText = native.segments.map((x) => x.text).filter((x) => x).join(' ');
  assert.equal(asrText, nativeText);
  const w = wer(script, asrText);
  console.log(`      ${native.segments.length} phrases; WER against the script ${w.toFixed(2)} (${realAsr ? 'bundled' : 'random test'} speech model)`);
  if (realAsr) assert.ok(w < 0.35, `WER ${w}`);
  await shot(page, '02-dictation-transcribed');
});

await step('a microphone recording (a fake device playing espeak-ng) is transcribed live, phrase by phrase', async () => {
  await page.fill('#transcript', '');
  await page.evaluate(() => { delete document.body.dataset.audio; });
  const seconds = (readFileSync(mic16k).length - 44) / 32000;
  await page.click('#record');
  let live;
  try {
    await waitAttr(page, 'dictation', 'listening', 10000);
    // The transcript grows while recording: the first phrase closes before the end.
    live = await until(page, () => document.getElementById('transcript').value, null, (seconds + 5) * 1000);
    assert.equal(await page.evaluate(() => document.body.dataset.dictation), 'listening');
    await shot(page, '03-recording-live');
  } finally {
    if (await page.evaluate(() => document.body.dataset.dictation === 'listening')) await page.click('#record');
  }
  await waitAttr(page, 'dictation', 'done', 30000);
  assert.ok(Number(await page.evaluate(() => document.body.dataset.audio)) > 16000 * (seconds - 1));
  assert.match(await page.textContent('#audio-info'), /^recording: [\d.]+ s, \d+ samples at 16 kHz\. Transcribed live: \d+ phrases?\.$/);
  const text = await page.inputValue('#transcript');
  assert.ok(text.startsWith(live) && text.length > 0, `live ${JSON.stringify(live)}, final ${JSON.stringify(text)}`);
  console.log(`      live: ${JSON.stringify(live)}; final WER against the script ${wer(micScript, text).toFixed(2)}`);
  if (realAsr) assert.ok(wer(micScript, text) < 0.5, text);
});

await step('a stream at 22.05 kHz (a microphone the browser cannot resample) gives the text of `sotto transcribe`', async () => {
  // The whole dictation (the model invents words after the end of a short phrase, and there a different
  // rounding can flip a word; over the dictation it is sure of every word).
  const wav = readFileSync(dictation);
  const text = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const pcm = new Float32Array((bytes.length - 44) >> 1);
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < pcm.length; i++) pcm[i] = v.getInt16(44 + 2 * i, true) / 32768;
    const { Recognizer } = await import('/asr.mjs');
    const ready = new Promise((resolve, reject) => {
      const r = new Recognizer((s) => s.state === 'ready' ? resolve(r) : s.state === 'error' && reject(new Error(s.message)));
      r.init('/engine/sotto.wasm', '/models/asr.gguf');
    });
    const r = await ready;
    const live = r.stream(() => {}, 22050);
    for (let i = 0; i < pcm.length; i += 2205) live.push(pcm.subarray(i, i + 2205));
    const segs = await live.end();
    r.worker.terminate();
    return segs.map((x) => x.text).filter((x) => x).join(' ');
  }, wav.toString('base64'));
  const native = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, dictation, '--json'], { encoding: 'utf8' }));
  assert.equal(text, native.segments.map((x) => x.text).filter((x) => x).join(' '));
  console.log(`      WER against the script ${wer(script, text).toFixed(2)}`);
});

await step('an audio file at another rate is decoded to 16 kHz PCM that matches a reference resampling', async () => {
  const wav = readFileSync(dictation);
  const pcm = await page.evaluate(async (bytes) => {
    const { decodeTo16k } = await import('/audio.mjs');
    const r = await decodeTo16k(new Blob([new Uint8Array(bytes)]));
    return Array.from(r.pcm);
  }, Array.from(wav));
  const ref = referenceResample(wav);
  // Compare where both filters are settled (away from the ends), after the best small lag.
  let best = { snr: -Infinity, lag: 0 };
  for (let lag = -3; lag <= 3; lag++) {
    let sig = 0, err = 0;
    for (let k = 200; k < Math.min(pcm.length, ref.length) - 200; k++) {
      sig += ref[k] * ref[k];
      err += (pcm[k + lag] - ref[k]) ** 2;
    }
    const snr = 10 * Math.log10(sig / err);
    if (snr > best.snr) best = { snr, lag };
  }
  console.log(`      browser vs reference resampling: ${best.snr.toFixed(1)} dB SNR at lag ${best.lag}`);
  assert.equal(best.lag, 0);
  assert.ok(best.snr > 20, `SNR ${best.snr.toFixed(1)} dB`);
  assert.ok(Math.abs(pcm.length - ref.length) <= 16, `${pcm.length} samples, reference ${ref.length}`);
});

await step('a file that is not audio gives a one-line message', async () => {
  const bad = join(tmp, 'broken.wav');
  writeFileSync(bad, 'RIFF....WAVEfmt this is not audio');
  await page.setInputFiles('#audio-file', bad);
  await until(page, () => document.getElementById('audio-info').textContent.includes('not an audio file'));
  assert.equal(await page.textContent('#audio-info'), 'broken.wav: not an audio file this browser can decode');
});

let ticks = 0, maxGap = 0, cpuNoteText = '';
await step('the reviewed transcript gives the note of `sotto note`, written while the page stays responsive', async () => {
  // The reviewer corrects what the speech model got wrong (with the random test model: all of it).
  await page.fill('#transcript', script);
  await shot(page, '04-transcript-reviewed');
  await page.evaluate(() => {
    window.__ticks = 0; window.__maxGap = 0;
    let last = performance.now();
    window.__timer = setInterval(() => { const t = performance.now(); window.__maxGap = Math.max(window.__maxGap, t - last); last = t; window.__ticks++; }, 10);
  });
  await page.click('#generate');
  await waitAttr(page, 'note', 'ready', 120000);
  [ticks, maxGap] = await page.evaluate(() => { clearInterval(window.__timer); return [window.__ticks, window.__maxGap]; });
  const status = await page.textContent('#gen-status');
  assert.match(status, /^Note written on the wasm CPU \(SIMD128\): \d+ tokens/);
  const tokens = Number(status.match(/(\d+) tokens/)[1]);
  assert.ok(ticks > 0, 'the page ran its timers during generation');
  console.log(`      ${tokens} tokens; page timer ticks during generation: ${ticks}, longest gap ${maxGap.toFixed(0)} ms`);
  cpuNoteText = await page.textContent('#stream');
  const note = JSON.parse(cpuNoteText);
  assert.deepEqual(Object.keys(note), ['subjective', 'objective', 'assessment', 'plan', 'medications', 'follow_up']);
  assert.equal(await page.inputValue('[data-path="/subjective"]'), note.subjective);
  assert.equal(await page.inputValue('[data-path="/follow_up"]'), note.follow_up);
  // The note of `sotto note` (native) for the same transcript.
  const transcriptFile = join(tmp, 'transcript.txt');
  writeFileSync(transcriptFile, script);
  const native = execFileSync(sotto, ['note', '--transcript', transcriptFile, '--template', 'soap', '-m', noteModel, '-q', '--format', 'json'],
                              { encoding: 'utf8' });
  assert.deepEqual(note, JSON.parse(native));
  assert.equal(await page.inputValue('[data-path="/medications/0/name"]'), 'amoxicillin');
  await until(page, () => document.getElementById('flag-summary').textContent);
  assert.equal(await page.textContent('#flag-summary'), 'Every value is supported by the transcript.');
  await shot(page, '05-note-written');
  await axeClean(page, 'note written');
});

await step('edits are checked against the transcript: supported spans highlighted, the rest flagged', async () => {
  await page.fill('[data-path="/subjective"]', 'Productive cough for 6 days, worse at night');
  await page.fill('[data-path="/plan"]', 'Chest x-ray, rest and fluids; add aspirin');
  await until(page, () => document.querySelector('[data-support-for="/plan"]').textContent.includes('aspirin'));
  assert.equal(await page.textContent('[data-support-for="/plan"]'), '⚠ Not in the transcript: add, aspirin');
  assert.match(await page.textContent('[data-support-for="/subjective"]'), /^✓ Supported/);
  await page.focus('[data-path="/subjective"]');
  const on = await page.$$eval('#transcript-view mark.on', (ms) => ms.map((m) => m.textContent).join('|'));
  assert.equal(on, SUBJECTIVE_MARKS);
  await shot(page, '06-edit-and-support');
  await axeClean(page, 'edits flagged');
  // Swapped numbers are flagged with what the transcript says them for (the check `sotto note` runs), then undone.
  const objective = await page.inputValue('[data-path="/objective"]');
  await page.fill('[data-path="/objective"]', 'Temperature 38.2, heart rate 95, oxygen saturation 96%, crackles at the right base');
  await until(page, () => document.querySelector('[data-support-for="/objective"]').textContent.includes('said for'));
  assert.equal(await page.textContent('[data-support-for="/objective"]'),
               '⚠ Not in the transcript: 95 (said for oxygen saturation), 96 (said for heart rate)');
  await page.fill('[data-path="/objective"]', objective);
  await until(page, () => !document.querySelector('[data-support-for="/objective"]').textContent.includes('said for'));
});

await step('uncertain speech is underlined in the review view (focusable, described) and carried into the check', async () => {
  const plan = await page.inputValue('[data-path="/plan"]');
  try {
    await uncertainSpeech();
  } finally {  // back to the reviewed transcript for the steps after this one (cleared first: text left
    // unchanged by an edit keeps its marks, and the recording starts with the same words as the script)
    await page.fill('[data-path="/plan"]', plan);
    await page.fill('#transcript', '');
    await page.fill('#transcript', script);
  }
  // Cleared, the marks are gone.
  await until(page, () => !document.querySelector('[data-support-for="/plan"]').textContent.includes('uncertain'));
  assert.equal(await page.$$eval('#transcript-view .uncertain', (es) => es.length), 0);
});
async function uncertainSpeech() {
  await page.fill('#transcript', '');
  await page.evaluate(() => { delete document.body.dataset.dictation; });
  await page.setInputFiles('#audio-file', recalled16k);
  await answer(page, 'append');  // the note stays: the recording goes into the (emptied) transcript
  await waitAttr(page, 'dictation', 'done', 120000);
  // The marks the app shows are those of `sotto transcribe --json` (phrases joined by a space, as the app does).
  const native = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, recalled16k, '--json'], { encoding: 'utf8' }));
  let text = '';
  const expected = [];
  for (const seg of native.segments.filter((x) => x.text)) {
    if (text) text += ' ';
    for (const m of phraseMarks(seg, text.length)) expected.push(m);
    text += seg.text;
  }
  assert.equal(await page.inputValue('#transcript'), text);
  assert.ok(expected.length > 0, `the speech model was sure of every word: ${text}`);
  // the review view is drawn when the support check of the new transcript comes back
  await until(page, (t) => document.getElementById('transcript-view').textContent === t, text);
  const shown = await page.$$eval('#transcript-view .uncertain', (es) => es.map((e) => ({
    text: e.textContent, tab: e.tabIndex, desc: e.getAttribute('aria-description'), title: e.title,
    underline: getComputedStyle(e).textDecorationLine })));
  assert.deepEqual(shown.map((x) => x.text), expected.map((m) => text.slice(m.from, m.to)));
  const diffs = [];
  for (const [i, x] of shown.entries()) {
    assert.equal(x.tab, 0, 'keyboard reachable');
    assert.match(x.underline, /underline/, 'not colour alone');
    // The wasm CPU engine's probabilities differ from the native ones where the model is unsure (its 8-bit
    // kernels round activations differently; the tokens are the same): a few points on an unsure word.
    const m = /^Uncertain speech \(confidence (\d+)%\): (.+)\. Listen again before relying on it\.$/.exec(x.desc);
    assert.ok(m, x.desc);
    diffs.push(Math.abs(Number(m[1]) - expected[i].confidence * 100));
    assert.ok(diffs[i] <= 10, `${x.desc} vs ${expected[i].confidence}`);
    const digits = (r) => r.replace(/\d\.\d\d/g, '#');  // the same reasons, their numbers as the engine computed them
    assert.equal(digits(m[2]), digits(expected[i].reason));
    assert.equal(x.title, x.desc);
  }
  await page.focus('#transcript-view .uncertain');
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains('uncertain')));
  console.log(`      ${shown.length} uncertain span(s): ${shown.map((x) => JSON.stringify(x.text)).join(', ')}; ` +
              `confidence shown vs native: at most ${Math.max(...diffs).toFixed(1)} points apart`);
  // A value that rests only on uncertain words is flagged, with the words and the reason.
  const sure = new Set(native.segments.flatMap((x) => x.words).filter((w) => !w.uncertain).map((w) => w.text.toLowerCase()));
  const word = native.segments.flatMap((x) => x.words).filter((w) => w.uncertain).map((w) => w.text.toLowerCase().replace(/[^a-z]/g, ''))
    .filter((w) => w.length >= 5 && ![...sure].some((s) => s.includes(w))).sort((a, b) => b.length - a.length)[0];
  assert.ok(word, 'an uncertain content word');
  await page.fill('[data-path="/plan"]', word);
  await until(page, () => document.querySelector('[data-support-for="/plan"]').textContent.includes('uncertain speech'));
  assert.match(await page.textContent('[data-support-for="/plan"]'), /^⚠ Rests on uncertain speech \(listen again\): ".+" \(.+\)$/);
  assert.match(await page.textContent('#flag-summary'), /rests? on speech the recognizer was unsure of: listen again\./);
  await shot(page, '06b-uncertain-speech');
}

await step('nothing can be exported before approval', async () => {
  for (const f of ['md', 'json', 'fhir', 'pdf']) assert.ok(await page.isDisabled(`[data-export="${f}"]`), f);
  await page.evaluate(() => document.querySelectorAll('[data-export]').forEach((b) => b.click()));
  await page.waitForTimeout(300);
  assert.equal(downloads.length, 0);
});

await step('the draft is restored after a reload', async () => {
  await page.waitForTimeout(400);  // the autosave debounce
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  assert.equal(await page.inputValue('[data-path="/subjective"]'), 'Productive cough for 6 days, worse at night');
  assert.equal(await page.inputValue('#transcript'), script);
  assert.match(await page.textContent('#draft-notice'), /^Draft restored/);
  // at rest the draft is AES-GCM ciphertext (a non-extractable WebCrypto key in IndexedDB), not the transcript
  const raw = await page.evaluate(() => localStorage.getItem('sotto.draft.v1'));
  assert.equal(JSON.parse(raw).v, 2);
  assert.ok(!raw.includes('cough') && !raw.includes('Maria'), 'plaintext in the stored draft');
  await shot(page, '07-draft-restored');
});

let approvedNote;
await step('approval names the approver and needs each flagged value accepted', async () => {
  assert.ok(await page.isDisabled('#approve'), 'no approver yet');
  await page.fill('#enc-patient', 'Maria Garcia');
  await page.fill('#enc-patient-id', 'MRN-1234');
  await page.fill('#enc-date', '2026-12-06');
  await page.fill('#enc-author', 'Dr Test');
  await page.fill('#approver', 'Dr Test, GP');
  await page.click('#approve');
  await until(page, () => document.getElementById('ack').open);
  assert.deepEqual(await page.$$eval('#ack-list input', (is) => is.map((i) => i.dataset.path)), ['/plan']);
  assert.ok(await page.isDisabled('#ack-ok'), 'a flag not ticked blocks the approval');
  await axeClean(page, 'flags to accept before approval');
  await page.click('#ack-cancel');
  assert.equal(await page.evaluate(() => document.body.dataset.approved), 'no');
  approvedAt = Date.now();
  await page.click('#approve');
  await until(page, () => document.getElementById('ack').open);
  await page.check('#ack-list input[data-path="/plan"]');
  await page.click('#ack-ok');
  await waitAttr(page, 'approved', 'yes');
  assert.match(await page.textContent('#approval'), /^Approved by Dr Test, GP, .* \(1 flagged value accepted\)\.$/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.export), 'md', 'focus moves to the exports, not the page top');
});

const sha = (b) => createHash('sha256').update(b).digest('hex');
await step('after approval each format is exported with the review state and logged', async () => {
  approvedNote = await page.evaluate(async () => (await (await import('/store.mjs')).loadDraft()).note);
  for (const f of ['md', 'json', 'fhir']) {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-export="${f}"]`)]);
    await d.path();
  }
  // window.print() is replaced by a recorder (a real print job races page.pdf below); the print view is checked there.
  await page.evaluate(() => { window.print = () => { document.body.dataset.printed = 'yes'; window.dispatchEvent(new Event('afterprint')); }; });
  await page.click('[data-export="pdf"]');
  await waitAttr(page, 'printed', 'yes');
  await until(page, () => document.querySelectorAll('#audit-log li').length >= 5);
  await page.waitForTimeout(300);
  assert.equal(downloads.length, 3);
  const [md, json, fhir] = downloads;
  assert.ok(downloads.every((d) => d.approvedAt && d.at >= d.approvedAt));
  assert.match(md.name, /^soap-note-.*\.md$/);
  assert.match(md.text, /^# Clinical SOAP note\n\n- Patient: Maria Garcia \(identifier MRN-1234\)\n- Visit date: 2026-12-06\n- Author: Dr Test\n\n## Subjective\n\nProductive cough for 6 days, worse at night\n/);
  assert.match(md.text, /`\/plan`: not in the transcript: add, aspirin/);
  assert.match(md.text, /\n## Review\n\n- Approved by Dr Test, GP on .*\n- Flagged and accepted by the approver: \/plan "Chest x-ray, rest and fluids; add aspirin"/);
  assert.match(md.text, /- Audit log head: [0-9a-f]{64}\n$/);
  assert.deepEqual(JSON.parse(json.text).note, approvedNote);
  assert.deepEqual(JSON.parse(json.text).encounter, { patient: 'Maria Garcia', patient_id: 'MRN-1234', visit_date: '2026-12-06', author: 'Dr Test' });
  const review = JSON.parse(json.text).review;
  assert.equal(review.approver, 'Dr Test, GP');
  assert.deepEqual(review.acknowledged.map((a) => a.path), ['/plan']);
  assert.deepEqual(review.edits.map((e) => e.path).sort(), ['/plan', '/subjective']);
  assert.equal(review.model.sha256, sha(readFileSync(noteModel)));
  assert.equal(review.transcript_sha256, sha(script));
  assert.equal(review.template_sha256, sha(readFileSync(join(root, 'templates', 'soap.schema.json'))));
  const b = JSON.parse(fhir.text);
  assert.equal(b.resourceType, 'Bundle');
  assert.equal(b.type, 'document');
  assert.match(b.identifier.value, /^urn:uuid:[0-9a-f-]{36}$/);
  const c = b.entry[0].resource;
  assert.equal(c.resourceType, 'Composition');
  assert.equal(b.entry[0].fullUrl, `urn:uuid:${c.id}`);
  assert.ok(c.status && c.date && c.author.length && c.title && c.type.coding[0].code === '11506-3');
  assert.deepEqual(c.section.map((s) => s.code?.coding[0].code ?? null), ['61150-9', '61149-1', '51848-0', '18776-5', '10160-0', null, null]);
  assert.equal(c.section.at(-1).title, 'Review');
  assert.match(c.section.at(-1).text.div, /Flagged and accepted by the approver: \/plan/);
  assert.deepEqual(c.attester.map((a) => [a.mode, a.party.display]), [['legal', 'Dr Test, GP']]);
  assert.deepEqual(c.subject, { identifier: { value: 'MRN-1234' }, display: 'Maria Garcia' });
  assert.equal(c.encounter.display, 'Visit on 2026-12-06');
  assert.deepEqual(c.author.map((a) => a.display), ['Dr Test']);
  assert.equal(c.section[0].text.div, '<div xmlns="http://www.w3.org/1999/xhtml"><p>Productive cough for 6 days, worse at night</p></div>');
  const audit = await page.$$eval('#audit-log li', (ls) => ls.map((l) => l.textContent));
  const exports = audit.filter((t) => t.includes('exported'));
  assert.deepEqual(exports.map((t) => t.match(/exported (\w+)/)[1]), ['MD', 'JSON', 'FHIR', 'PDF']);
  await shot(page, '08-approved-exported');
  await axeClean(page, 'approved and exported');
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => document.getElementById('print-view').innerText);
  assert.match(printed, /^Clinical SOAP note\n/);
  assert.ok(printed.includes('Productive cough for 6 days, worse at night'));
  assert.ok(printed.includes('Approved by Dr Test, GP') && printed.includes('Flagged and accepted by the approver: /plan'), printed);
  assert.ok(printed.includes('Patient: Maria Garcia (identifier MRN-1234)') && printed.includes('Visit date: 2026-12-06'), printed);
  assert.equal(await page.evaluate(() => document.body.dataset.audit), 'intact');
  await shot(page, '09-print-view');
  const pdf = await page.pdf({ format: 'A4' });
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  await page.emulateMedia({ media: 'screen' });
});

await step('the audit log is a hash chain: an edited entry is detected', async () => {
  const key = 'sotto.audit.v1';
  const original = await page.evaluate((k) => localStorage.getItem(k), key);
  const log = JSON.parse(original);
  assert.ok(log.length >= 5 && log.every((e, i) => /^[0-9a-f]{64}$/.test(e.hash) && e.prev === (i ? log[i - 1].hash : '')));
  const approveEntry = log.find((e) => e.action === 'approve');
  assert.equal(approveEntry.approver, 'Dr Test, GP');
  assert.equal(approveEntry.model.sha256, sha(readFileSync(noteModel)));
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-audit')]);
  assert.equal(JSON.parse(readFileSync(await d.path(), 'utf8')).verified.ok, true);
  downloads.pop();  // not a note export
  log[0].approver = 'Someone else';
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, JSON.stringify(log)]);
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  await waitAttr(page, 'audit', 'altered');
  assert.match(await page.textContent('#audit-status'), /^The audit log was altered: entry 1 its content does not match its hash\.$/);
  await page.evaluate(([k, v]) => localStorage.setItem(k, v), [key, original]);
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  await waitAttr(page, 'audit', 'intact');
});

await step('an edit after approval revokes it', async () => {
  await page.fill('[data-path="/assessment"]', 'Angina');
  await waitAttr(page, 'approved', 'no');
  for (const f of ['md', 'json', 'fhir', 'pdf']) assert.ok(await page.isDisabled(`[data-export="${f}"]`), f);
});

await step('every template: the form generated from its schema shows the model\'s note', async () => {
  for (const t of ['legal', 'hr', 'finance']) {
    await switchTemplate(page, t);
    await page.evaluate(() => { delete document.body.dataset.note; });
    await page.click('#generate');
    await waitAttr(page, 'note', 'ready', 120000);
    const mismatches = await page.evaluate(() => {
      const note = JSON.parse(document.getElementById('stream').textContent);
      const bad = [];
      const walk = (v, path) => {
        if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) walk(x, `${path}/${k}`);
          return;
        }
        const el = document.querySelector(`[data-path="${path}"]`);
        const shown = !el ? undefined : el.dataset.notStated === '1' ? null : el.type === 'checkbox' ? el.checked
          : el.type === 'number' ? Number(el.value) : el.value;
        if (shown !== v) bad.push(`${path}: ${JSON.stringify(shown)} != ${JSON.stringify(v)}`);
      };
      walk(note, '');
      return bad;
    });
    assert.deepEqual(mismatches, [], t);
    const kinds = await page.$$eval('[data-path]', (els) => [...new Set(els.map((e) => e.type || e.tagName))].sort());
    if (t === 'finance') await shot(page, '10-finance-note');
    console.log(`      ${t}: controls ${kinds.join(', ')}`);
  }
});

await step('offline after the first load: the app and its models come from the caches', async () => {
  await page.waitForTimeout(300);
  await ctx.setOffline(true);
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  assert.match(await page.textContent('#engine-status'), /from cache/);
  await waitAttr(page, 'asr', 'ready');
  assert.match(await page.textContent('#asr-status'), /from cache/);
  await ctx.setOffline(false);
});

await step('WebGPU chosen in Settings: the note model is put on the GPU with progress, notes are written there', async () => {
  const phases = enginePhases;
  phases.length = 0;
  await switchTemplate(page, 'soap');
  await waitAttr(page, 'template', 'soap');
  await page.fill('#transcript', script);
  await page.click('#settings summary');
  await page.selectOption('#backend', 'webgpu');
  await page.click('#save-settings');
  await page.click('#settings summary');
  await waitAttr(page, 'backend', 'webgpu', 180000);
  await waitAttr(page, 'engine', 'ready');
  assert.match(await page.textContent('#engine-status'), new RegExp(`^Engine ready: note\\.gguf \\(${noteMiB} MiB, from cache\\) on WebGPU \\(.+, software\\)$`));
  assert.match(await page.textContent('#backend-info'), /^The note model is on the GPU \(uploaded and \d+ pipelines compiled in [\d.]+ s\)\. Notes are written on WebGPU, the template's schema masking the tokens there\.$/);
  assert.equal(await page.evaluate(() => document.body.dataset.noteBackend), 'webgpu');
  for (const p of ['Loading the model onto the GPU', 'Compiling the WebGPU pipelines']) {
    assert.ok(phases.some((x) => x.startsWith(p)), `${p}: ${[...new Set(phases)].join(' / ')}`);
  }
});

await step('WebGPU chosen in Settings: speech is recognised on the GPU too, with the text of `sotto transcribe`', async () => {
  await waitAttr(page, 'asrBackend', 'webgpu', 180000);
  await waitAttr(page, 'asr', 'ready');
  assert.match(await page.textContent('#asr-status'), /^Speech recognition ready: asr\.gguf \(moonshine, [\d.]+ MiB, from cache\) on WebGPU \(.+, software\)\.$/);
  await page.fill('#transcript', '');
  await page.evaluate(() => { document.body.dataset.dictation = ''; });
  await page.setInputFiles('#audio-file', mic16k);
  await waitAttr(page, 'dictation', 'done', 300000);
  const text = await page.inputValue('#transcript');
  const native = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, mic16k, '--json'], { encoding: 'utf8' }));
  assert.equal(text, native.segments.map((x) => x.text).filter((x) => x).join(' '));
  console.log(`      on WebGPU (SwiftShader): ${JSON.stringify(text)}`);
  await page.fill('#transcript', script);
});

await step('the GPU warm-up\'s greedy tokens agree with the wasm CPU backend (teacher-forced, margin 0.05)', async () => {
  const got = (await page.evaluate(() => document.body.dataset.gpuWarmup)).split(',').map(Number);
  assert.ok(got.length >= 2, `warm-up tokens: ${got}`);
  const cpu = await Sotto.create(readFileSync(join(wasmDir, 'sotto.wasm')), { log: () => {} });
  await cpu.load(readFileSync(noteModel), { name: 'note.gguf', nCtx: 4096 });
  const nVocab = cpu.call('sotto_n_vocab', cpu.session);
  cpu.start(cpu.tokenize(WARMUP_PROMPT, true), { temperature: 0, seed: 1 });
  let worst = 0;
  for (const id of got) {
    const l = new Float32Array(cpu.memory.buffer, cpu.call('sotto_logits', cpu.session), nVocab);
    let best = -Infinity;
    for (const v of l) best = Math.max(best, v);
    worst = Math.max(worst, best - l[id]);
    assert.ok(best - l[id] <= MARGIN, `GPU token ${id}: logit ${l[id]}, CPU best ${best}`);
    if (cpu.isEog(id)) break;
    cpu.call('sotto_feed', cpu.session, id);
  }
  console.log(`      ${got.length} warm-up tokens on WebGPU; worst gap to the CPU's best logit ${worst.toFixed(4)}`);
  cpu.dispose();
});

await step('a note on WebGPU streams the greedy note of the CPU, and can be cancelled', async () => {
  await page.click('#generate');
  // The first tokens (prefill, grammar mask and sampler on the GPU) equal the CPU's note; SwiftShader is too
  // slow for the whole note here (minutes), so the rest is cancelled.
  const streamed = await until(page, () => { const t = document.getElementById('stream').textContent; return t.length >= 24 && t; }, null, 180000);
  await page.evaluate(() => { document.getElementById('stream-box').open = true; });
  assert.match(await page.textContent('#gen-status'), /^Writing on WebGPU: \d+ tokens, [\d.]+ tokens\/s$/);
  await shot(page, '11-webgpu-note');
  await page.click('#cancel');
  await until(page, () => document.getElementById('gen-status').textContent === 'Cancelled.', null, 60000);
  assert.ok(cpuNoteText.startsWith(streamed), `WebGPU ${JSON.stringify(streamed)} vs CPU ${JSON.stringify(cpuNoteText.slice(0, 80))}`);
  assert.ok(!(await page.isDisabled('#generate')));
  console.log(`      WebGPU streamed ${JSON.stringify(streamed)} before the cancel`);
});

await step('the wasm CPU engine can be chosen in Settings', async () => {
  await page.click('#settings summary');
  await page.selectOption('#backend', 'cpu');
  await page.click('#save-settings');
  await waitAttr(page, 'backend', 'wasm-cpu-simd128', 30000);
  await waitAttr(page, 'engine', 'ready');
  assert.match(await page.textContent('#engine-status'), /^Engine ready: note\.gguf .* on the wasm CPU \(SIMD128\)(, relaxed SIMD)?(, \d+ threads)?$/);
  assert.equal(await page.textContent('#backend-info'), 'Notes are written on the wasm CPU: the wasm CPU engine was chosen in Settings.');
  await waitAttr(page, 'asrBackend', 'wasm-cpu-simd128', 60000);
  await waitAttr(page, 'asr', 'ready');
  assert.match(await page.textContent('#asr-status'), /on the wasm CPU \(the wasm CPU engine was chosen in Settings\)\.$/);
  await page.click('#settings summary');
});

await step('a model URL that does not exist gives a one-line engine error; the last good model stays', async () => {
  await page.click('#settings summary');
  await page.fill('#model-url', '/models/missing.gguf');
  await page.click('#save-settings');
  await until(page, () => document.body.dataset.engine === 'ready' && document.body.dataset.engineError, null, 20000);
  assert.equal(await page.textContent('#engine-status'),
               'Engine error: /models/missing.gguf: cannot be fetched and is not cached (/models/missing.gguf: HTTP 404) (still using note.gguf)');
  assert.equal(await page.textContent('#plain-status'),
               'The chosen note-writing model could not be loaded; the previous one is still in use (see Technical details).');
  assert.ok(!(await page.isDisabled('#generate')));
});

await step('a transcript longer than the model was trained on is read in windows, as `sotto note` reads it', async () => {
  const long = readFileSync(join(root, 'tests', 'fixtures', 'notes', 'long-consultation.txt'), 'utf8');
  if (await page.inputValue('#template') !== 'soap') {
    await switchTemplate(page, 'soap');
    await waitAttr(page, 'template', 'soap');
  }
  await page.fill('#transcript', long);
  await page.evaluate(() => { delete document.body.dataset.note; });
  await page.click('#generate');
  await until(page, () => /\(window \d+ of \d+\)/.test(document.getElementById('gen-status').textContent), null, 120000);
  await waitAttr(page, 'note', 'ready', 300000);
  const status = await page.textContent('#gen-status');
  assert.match(status, /read in \d+ overlapping windows of up to [\d,]+ tokens, their notes merged under the template\.$/);
  assert.match(status, /longer than the note model was trained on \(1,024 tokens\)/);
  const note = JSON.parse(await page.textContent('#stream').then((t) => t.slice(t.lastIndexOf('\n') + 1)));
  const file = join(tmp, 'long.txt');
  writeFileSync(file, long);
  // The encounter's visit date (filled in an earlier step) is in the app's prompt, as --visit-date gives it.
  const date = await page.inputValue('#enc-date');
  assert.equal(date, '2026-12-06');
  const r = spawnSync(sotto, ['note', '--transcript', file, '--template', 'soap', '-m', noteModel, '--format', 'json',
                              '--visit-date', date], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(note, JSON.parse(r.stdout));
  const windows = Number(r.stderr.match(/read in (\d+) overlapping windows/)[1]);
  assert.equal(await page.evaluate(() => document.body.dataset.noteWindows), String(windows));
  console.log(`      ${windows} windows; ${status}`);
  await axeClean(page, 'a note from windows');
});

await step('Cancel acts within 200 ms while a long transcript is read, which shows progress', async () => {
  const long = readFileSync(join(root, 'tests', 'fixtures', 'notes', 'long-consultation.txt'), 'utf8');
  await page.fill('#transcript', long);
  await page.evaluate(() => {
    window.__statuses = [];
    new MutationObserver(() => window.__statuses.push(document.getElementById('gen-status').textContent))
      .observe(document.getElementById('gen-status'), { subtree: true, childList: true, characterData: true });
  });
  await page.click('#generate');
  assert.ok(await page.isDisabled('#template'), 'the template is fixed while the note is written');
  await until(page, () => /^Reading the transcript \(window 1 of \d+\): [1-9]\d*%$/.test(document.getElementById('gen-status').textContent), null, 60000);
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    new MutationObserver((_, obs) => {
      if (document.getElementById('gen-status').textContent === 'Cancelled.') { obs.disconnect(); resolve(performance.now() - t0); }
    }).observe(document.getElementById('gen-status'), { subtree: true, childList: true, characterData: true });
    document.getElementById('cancel').click();
  }));
  const seen = await page.evaluate(() => window.__statuses);
  assert.ok(seen.some((x) => /^Reading the transcript \(window 1 of \d+\): \d+%$/.test(x)), seen.join(' / '));
  console.log(`      cancelled ${ms.toFixed(0)} ms after the click, during the prompt's reading`);
  // The bar is 200 ms (142 ms measured on this 2-core machine with other tests running); 400 here so a loaded CI
  // machine does not fail it, while a prefill that cannot be interrupted (seconds) still does.
  assert.ok(ms <= 400, `Cancel took ${ms.toFixed(0)} ms`);
  assert.ok(!(await page.isDisabled('#template')));
});

await step('switching template with a note asks first; the note is set aside and Undo brings it back', async () => {
  await page.fill('#transcript', script);
  await page.evaluate(() => { delete document.body.dataset.note; });
  await page.focus('#generate');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'cancel', 'focus on Cancel while writing');
  await waitAttr(page, 'note', 'ready', 120000);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'generate', 'focus back on Write note');
  const before = await page.textContent('#stream');
  await page.selectOption('#template', 'finance');
  await until(page, () => document.getElementById('confirm').open);
  await axeClean(page, 'confirm a template switch');
  await answer(page, 'cancel');
  assert.equal(await page.inputValue('#template'), 'soap');
  assert.equal(await page.textContent('#stream'), before);
  assert.equal(await page.inputValue('[data-path="/subjective"]'), JSON.parse(before).subjective);
  await page.selectOption('#template', 'finance');
  await answer(page, 'switch');
  await waitAttr(page, 'template', 'finance');
  await waitAttr(page, 'undo', 'ready');
  assert.equal(await page.evaluate(() => document.body.dataset.note), undefined);
  assert.equal(await page.$('[data-path="/subjective"]'), null, 'no SOAP field under the Finance template');
  assert.equal(await page.inputValue('#transcript'), script, 'the transcript stays');
  await page.click('#undo');
  await waitAttr(page, 'undo', 'done');
  assert.equal(await page.inputValue('#template'), 'soap');
  assert.equal(await page.textContent('#stream'), before);
  assert.equal(await page.inputValue('[data-path="/subjective"]'), JSON.parse(before).subjective);
});

await step('New note asks first; the transcript and note are set aside and Undo brings them back', async () => {
  const before = await page.textContent('#stream');
  await page.click('#new-note');
  await answer(page, 'cancel');
  assert.equal(await page.inputValue('#transcript'), script);
  await page.click('#new-note');
  await answer(page, 'discard');
  await waitAttr(page, 'undo', 'ready');
  assert.equal(await page.inputValue('#transcript'), '');
  assert.equal(await page.evaluate(() => document.body.dataset.note), undefined);
  assert.equal(await page.evaluate(async () => (await (await import('/store.mjs')).loadDraft())?.transcript ?? ''), '');
  await page.click('#undo');
  await waitAttr(page, 'undo', 'done');
  assert.equal(await page.inputValue('#transcript'), script);
  assert.equal(await page.textContent('#stream'), before);
  assert.equal(await page.evaluate(() => document.body.dataset.note), 'ready');
});

await step('a second recording starts a new encounter unless the user chooses to add it', async () => {
  await page.evaluate(() => { delete document.body.dataset.dictation; });
  await page.setInputFiles('#audio-file', dictation16k);
  await answer(page, 'append');
  await waitAttr(page, 'dictation', 'done', 120000);
  const appended = await page.inputValue('#transcript');
  assert.ok(appended.startsWith(script) && appended.length > script.length + 10, appended);
  await page.evaluate(() => { delete document.body.dataset.dictation; });
  await page.setInputFiles('#audio-file', dictation16k);
  await answer(page, 'new');
  await waitAttr(page, 'dictation', 'done', 120000);
  assert.equal(await page.inputValue('#transcript'), asrText, 'the new encounter holds only the new recording');
  assert.equal(await page.evaluate(() => document.body.dataset.note), undefined, 'no note of the other encounter');
  await page.click('#undo');
  await waitAttr(page, 'undo', 'done');
  assert.equal(await page.inputValue('#transcript'), appended);
});

await step('every template is kept for offline use, also those never opened online', async () => {
  // A fresh profile that opens only the SOAP template online (the second load: the service worker, installed
  // by the first, keeps the app shell), then goes offline and opens Finance.
  const { ctx: c2, log: log2 } = await watchedContext();
  const p2 = await c2.newPage();
  await p2.goto(origin + '/');
  await waitAttr(p2, 'templatesCached', 'yes');
  await p2.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await p2.reload();
  await until(p2, () => !!navigator.serviceWorker.controller);
  await waitAttr(p2, 'templatesCached', 'yes');
  await p2.waitForTimeout(300);
  await c2.setOffline(true);
  await p2.reload();
  await until(p2, () => document.getElementById('template'));
  await p2.selectOption('#template', 'finance');
  await waitAttr(p2, 'template', 'finance');
  await c2.setOffline(false);
  await c2.close();
  assert.deepEqual(log2.violations, []);
});

await step('drafts older than the policy are cleared; a shared computer keeps none', async () => {
  // a draft last saved two days ago (the envelope's time), with the default policy of 24 hours
  await page.evaluate(() => {
    const d = JSON.parse(localStorage.getItem('sotto.draft.v1'));
    d.savedAt = new Date(Date.now() - 48 * 3600e3).toISOString();
    localStorage.setItem('sotto.draft.v1', JSON.stringify(d));
  });
  // (read through the app's store: a reload would save the open page's draft again on its way out)
  const r = await page.evaluate(async () => (await import('/store.mjs')).loadDraft());
  assert.match(r.cleared, /^a draft last saved .* was cleared: drafts are kept 24 hours \(Settings\)$/);
  assert.equal(await page.evaluate(() => localStorage.getItem('sotto.draft.v1')), null);
  const settingsOpen = (open) => page.evaluate((o) => { document.getElementById('settings').open = o; }, open);
  await settingsOpen(true);
  await page.check('#shared-computer');
  await page.click('#save-settings');
  await waitAttr(page, 'engine', 'ready', 60000);
  await page.fill('#transcript', script);
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => localStorage.getItem('sotto.draft.v1')), null, 'a draft stored on a shared computer');
  assert.equal((await page.evaluate(async () => (await import('/store.mjs')).loadDraft())).transcript, script, 'kept in the page');
  await page.uncheck('#shared-computer');
  await page.click('#save-settings');
  await waitAttr(page, 'engine', 'ready', 60000);
  await settingsOpen(false);
});

await step('a passphrase protects the draft: after a reload it opens only with it; a forgotten one can clear it', async () => {
  const settingsOpen = (open) => page.evaluate((o) => { document.getElementById('settings').open = o; }, open);
  const text = 'Passphrase check: the patient reports a dry cough since Sunday.';
  await settingsOpen(true);
  assert.equal(await page.textContent('#passphrase-state'), 'No passphrase: drafts are encrypted with a key only this browser can use.');
  await page.fill('#transcript', text);
  await page.fill('#passphrase', 'short');
  await page.click('#set-passphrase');
  await until(page, () => document.getElementById('passphrase-state').textContent.startsWith('Not changed'));
  assert.equal(await page.textContent('#passphrase-state'), 'Not changed: the passphrase needs at least 8 characters.');
  await page.fill('#passphrase', 'correct horse battery');
  await page.click('#set-passphrase');
  await until(page, () => document.getElementById('passphrase-state').textContent.endsWith('(Passphrase set.)'), null, 30000);
  // The stored draft is under the passphrase's key now: the browser's own key no longer opens it.
  const deviceKeyOpens = () => page.evaluate(async () => {
    const raw = JSON.parse(localStorage.getItem('sotto.draft.v1'));
    const db = await new Promise((r) => { const q = indexedDB.open('sotto-keys'); q.onsuccess = () => r(q.result); });
    const k = await new Promise((r) => { const q = db.transaction('keys').objectStore('keys').get('draft'); q.onsuccess = () => r(q.result); });
    db.close();
    const u8 = (b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
    try { await crypto.subtle.decrypt({ name: 'AES-GCM', iv: u8(raw.iv) }, k, u8(raw.ct)); return true; } catch { return false; }
  });
  for (let i = 0; await deviceKeyOpens(); i++) { assert.ok(i < 50, 'the draft is still under the device key'); await page.waitForTimeout(100); }
  assert.ok(!(await page.evaluate(() => localStorage.getItem('sotto.draft.v1'))).includes('cough'));
  const reloadLocked = async () => {
    await page.reload();
    await until(page, () => document.getElementById('unlock')?.open, null, 30000);
  };
  await reloadLocked();
  await axeClean(page, 'the draft locked');
  await page.fill('#unlock-pass', 'wrong horse battery');
  await page.click('#unlock-ok');
  await until(page, () => document.getElementById('unlock-error').textContent.startsWith('That'), null, 30000);
  assert.equal(await page.textContent('#unlock-error'), 'That passphrase does not open the draft.');
  await page.fill('#unlock-pass', 'correct horse battery');
  await page.click('#unlock-ok');
  await until(page, () => !document.getElementById('unlock').open, null, 30000);
  await until(page, (t) => document.getElementById('transcript').value === t, text);
  await waitAttr(page, 'engine', 'ready', 60000);
  // Forgotten: the locked draft can be cleared (confirmed), and the lock goes with it.
  await reloadLocked();
  await page.click('#unlock-forget');
  await answer(page, 'forget');
  await until(page, () => document.getElementById('transcript').value === '' && !document.getElementById('unlock').open);
  assert.equal(await page.evaluate(() => localStorage.getItem('sotto.lock.v1')), null);
  await waitAttr(page, 'engine', 'ready', 60000);
  // Set again, then removed: the draft opens with no question.
  await page.fill('#transcript', text);
  await settingsOpen(true);
  await page.fill('#passphrase', 'correct horse battery');
  await page.click('#set-passphrase');
  await until(page, () => document.getElementById('passphrase-state').textContent.endsWith('(Passphrase set.)'), null, 30000);
  await page.click('#remove-passphrase');
  await until(page, () => document.getElementById('passphrase-state').textContent.endsWith('(Passphrase removed.)'), null, 30000);
  for (let i = 0; !(await deviceKeyOpens()); i++) { assert.ok(i < 50, 'the draft is not back under the device key'); await page.waitForTimeout(100); }
  await page.reload();
  await waitAttr(page, 'engine', 'ready', 60000);
  assert.equal(await page.evaluate(() => document.getElementById('unlock').open), false);
  assert.equal(await page.inputValue('#transcript'), text);
  await settingsOpen(false);
});

let exampleNative = null;  // `sotto transcribe --json` of samples/visit-soap.wav
await step('"Try an example" transcribes the bundled dictation in a new encounter', async () => {
  await page.evaluate(() => { delete document.body.dataset.dictation; });
  await page.click('#try-example');
  if (await until(page, () => document.getElementById('confirm').open || document.body.dataset.dictation, null, 30000) === true) {
    await answer(page, 'new');
  }
  await waitAttr(page, 'dictation', 'done', 120000);
  const wav = join(root, 'samples', 'visit-soap.wav');
  const native = exampleNative = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, wav, '--json'], { encoding: 'utf8' }));
  assert.equal(await page.inputValue('#transcript'), native.segments.map((x) => x.text).filter((x) => x).join(' '));
  assert.match(await page.textContent('#audio-info'), /^Example dictation \(samples\/visit-soap\.wav\): [\d.]+ s/);
  assert.equal(await page.inputValue('#template'), 'soap');
});

// Every byte the page holds in IndexedDB (all databases and stores; WebCrypto keys are not bytes), and whether a
// window of `probes` (base64) occurs in them: the recording must be absent without consent, encrypted with it.
const storedBytes = (probes = []) => page.evaluate(async (probes) => {
  const wins = probes.map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
  const has = (u8, w) => { for (let i = u8.indexOf(w[0]); i >= 0 && i + w.length <= u8.length; i = u8.indexOf(w[0], i + 1)) {
    let k = 0; while (k < w.length && u8[i + k] === w[k]) k++; if (k === w.length) return true; } return false; };
  let bytes = 0, found = 0;
  const scan = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const u8 = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      bytes += u8.length; found += wins.filter((w) => has(u8, w)).length;
    } else if (v && typeof v === 'object' && !(v instanceof CryptoKey)) Object.values(v).forEach(scan);
  };
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((res, rej) => { const r = indexedDB.open(name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    for (const s of db.objectStoreNames) {
      (await new Promise((res) => { const q = db.transaction(s).objectStore(s).getAll(); q.onsuccess = () => res(q.result); })).forEach(scan);
    }
    db.close();
  }
  const local = Object.keys(localStorage).reduce((a, k) => a + localStorage.getItem(k).length, 0);
  return { bytes, found, local };
}, probes);
async function storedWhen(ok, what, probes) {  // the writes are asynchronous: polled for up to 5 s
  for (let i = 0; ; i++) {
    const r = await storedBytes(probes);
    if (ok(r)) return r;
    assert.ok(i < 50, `${what}: ${JSON.stringify(r)}`);
    await page.waitForTimeout(100);
  }
}

await step('audio evidence: a supported passage plays its phrases; the recording is kept only with consent, encrypted', async () => {
  const wav = readFileSync(join(root, 'samples', 'visit-soap.wav'));
  const data = wav.subarray(44);  // 16 kHz mono 16-bit: the samples the app keeps (as 16-bit PCM) with consent
  const probes = [0.3, 0.5, 0.7].map((f) => data.subarray(Math.floor(f * data.length) & ~1, (Math.floor(f * data.length) & ~1) + 64).toString('base64'));
  // The phrases' transcript ranges and times, from `sotto transcribe --json` (the app joins phrases with a space).
  const phrases = [];
  let text = '';
  for (const seg of exampleNative.segments.filter((x) => x.text)) {
    if (text) text += ' ';
    phrases.push({ from: text.length, to: text.length + seg.text.length, start: seg.start, end: seg.end });
    text += seg.text;
  }
  assert.equal(await page.inputValue('#transcript'), text);
  assert.equal(await page.isChecked('#keep-audio'), false, 'consent is off by default');
  await page.click('#generate');
  await waitAttr(page, 'note', 'ready', 120000);
  await until(page, () => document.querySelector('#transcript-view button.play'));
  const mmss = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}`;
  const expectFor = (from, to) => {
    const under = phrases.filter((p) => p.from < to && p.to > from);
    return { start: Math.min(...under.map((p) => p.start)), end: Math.max(...under.map((p) => p.end)) };
  };
  const buttons = await page.$$eval('#transcript-view button.play', (bs) => bs.map((b) => ({
    from: Number(b.dataset.from), to: Number(b.dataset.to), label: b.getAttribute('aria-label'), text: b.textContent,
    // the view's text before the control (a control after a passage that ends inside underlined uncertain speech
    // follows that underlined run)
    before: (() => { const r = document.createRange(); r.setStart(b.closest('#transcript-view'), 0); r.setEndBefore(b); return r.toString().length; })(),
    afterUncertain: b.previousElementSibling?.classList.contains('uncertain') ?? false })));
  for (const b of buttons) {
    const e = expectFor(b.from, b.to);
    assert.equal(b.label, `Play the audio of this passage (${mmss(e.start)}-${mmss(e.end)})`);
    assert.ok(b.before === b.to || (b.afterUncertain && b.before > b.to), `a play control after its passage: ${JSON.stringify(b)}`);
    assert.ok(await page.evaluate(([f, t]) => [...document.querySelectorAll('#transcript-view mark')].some((m) => {
      const r = document.createRange(); r.setStart(m.closest('#transcript-view'), 0); r.setEndAfter(m);
      return r.toString().length === t; }), [b.from, b.to]), 'the passage is a supported (highlighted) one');
    assert.equal(b.text, '', 'the view\'s text stays the transcript\'s');
  }
  // Played from the keyboard: the samples of the phrases under the passage (times as the native CLI gives them).
  const play = async (i) => {
    await page.evaluate(() => { delete document.body.dataset.audioPlayed; });
    await page.focus(`#transcript-view button.play >> nth=${i}`);
    await page.keyboard.press('Enter');
    const got = JSON.parse(await until(page, () => document.body.dataset.audioPlayed));
    const e = expectFor(buttons[i].from, buttons[i].to);
    assert.ok(Math.abs(got.start - e.start) < 0.011 && Math.abs(got.end - e.end) < 0.011, `played ${JSON.stringify(got)}, phrases ${JSON.stringify(e)}`);
    assert.equal(got.samples, Math.round(got.end * 16000) - Math.round(got.start * 16000));
    return got;
  };
  const last = buttons.length - 1;
  const played = await play(last);
  await waitAttr(page, 'audioPlaying', 'done', (played.end - played.start + 5) * 1000);
  assert.match(await page.textContent('#keep-audio-status'), /memory only/);
  await page.waitForTimeout(400);  // the autosave
  const none = await storedBytes(probes);
  assert.equal(none.bytes, 0, 'without consent no audio is written to IndexedDB');
  assert.ok(none.local < data.length / 4, `without consent localStorage holds ${none.local} characters`);
  // With consent: kept encrypted (AES-GCM: the samples' length + a 16-byte tag, none of the WAV's bytes in it).
  await page.check('#keep-audio');
  await until(page, () => document.getElementById('keep-audio-status').textContent.startsWith('The recording is kept'));
  const kept = await storedWhen((r) => r.bytes > 0, 'consent given: kept', probes);
  assert.equal(kept.bytes, data.length + 16 + 12, 'the samples (16-bit) + the 16-byte GCM tag, and the 12-byte IV');
  assert.equal(kept.found, 0, 'the stored recording is not the raw PCM');
  const decrypted = await page.evaluate(async () => { const b = await (await import('/store.mjs')).loadAudio(); return btoa(String.fromCharCode(...b.subarray(0, 4096))) + ':' + b.length; });
  assert.equal(decrypted, `${data.subarray(0, 4096).toString('base64')}:${data.length}`, 'it decrypts to the recording');
  // It survives a reload, playable.
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  assert.equal(await page.isChecked('#keep-audio'), true);
  await until(page, () => document.querySelector('#transcript-view button.play'));
  await play(0);
  await axeClean(page, 'a kept recording played');
  // New note sets it aside (nothing stored), Undo brings it back (stored again).
  await page.click('#new-note');
  await answer(page, 'discard');
  await until(page, async () => !document.querySelector('#transcript-view button.play'));
  await storedWhen((r) => r.bytes === 0, 'New note: the kept recording gone from storage');
  assert.equal(await page.isChecked('#keep-audio'), false);
  await page.click('#undo');
  await waitAttr(page, 'undo', 'done');
  assert.equal(await page.isChecked('#keep-audio'), true);
  await storedWhen((r) => r.bytes === data.length + 16 + 12, 'Undo: kept again');
  await play(0);
  // Consent withdrawn: removed from storage; after a reload the passages have no play control and the page says why.
  await page.uncheck('#keep-audio');
  await storedWhen((r) => r.bytes === 0, 'consent withdrawn: removed');
  await page.waitForTimeout(400);
  await page.reload();
  await waitAttr(page, 'engine', 'ready');
  await until(page, () => document.getElementById('transcript-view').textContent.length > 0);
  assert.equal(await page.$$eval('#transcript-view button.play', (bs) => bs.length), 0);
  assert.equal(await page.textContent('#keep-audio-status'), 'The recording was not kept with this note, so its passages cannot be played.');
  console.log(`      ${buttons.length} play controls; played ${played.start.toFixed(2)}-${played.end.toFixed(2)} s (${played.samples} samples); ` +
              `kept: ${kept.bytes} bytes of AES-GCM`);
});

await step('speakers: a two-person recording is labelled by speaker, the labels those of `sotto transcribe --speakers 2`', async () => {
  const file = conversation16k(tmp);
  await page.selectOption('#speakers', '2');
  await page.evaluate(() => { delete document.body.dataset.dictation; delete document.body.dataset.speakers; });
  await page.setInputFiles('#audio-file', file);
  if (await until(page, () => document.getElementById('confirm').open || document.body.dataset.dictation, null, 30000) === true) {
    await answer(page, 'new');
  }
  await waitAttr(page, 'dictation', 'done', 120000);
  assert.equal(await page.evaluate(() => document.body.dataset.speakers), '2', await page.textContent('#audio-info'));
  const native = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, file, '--json', '--speakers', '2'], { encoding: 'utf8' }));
  const lines = [];
  native.segments.filter((x) => x.text).forEach((x, i, a) => {
    if (i > 0 && a[i - 1].speaker === x.speaker) lines[lines.length - 1] += ` ${x.text}`;
    else lines.push(`Speaker ${x.speaker}: ${x.text}`);
  });
  assert.ok(lines.length >= 4, `the CLI found ${lines.length} turns: ${lines.join(' | ')}`);
  assert.equal(await page.inputValue('#transcript'), lines.join('\n'));
  assert.match(await page.textContent('#audio-info'), /2 speakers, labelled in the transcript\.$/);
  await page.selectOption('#speakers', 'off');
});

await step('narrow screens and the keyboard: no sideways scroll at 320 px, the file button shows focus', async () => {
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 800 });
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getClientRects().length &&
      e.getBoundingClientRect().right > innerWidth + 1).slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}`).join(', '));
    assert.ok(sw <= cw, `${width} px: the page scrolls sideways (${sw} > ${cw}: ${wide})`);
    await axeClean(page, `${width} px wide`);
  }
  await page.setViewportSize({ width: 1200, height: 860 });
  await page.focus('#record');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'audio-file');
  const outline = await page.$eval('label[for="audio-file"]', (l) => getComputedStyle(l).outlineStyle);
  assert.equal(outline, 'solid', 'the label of the focused file input shows the focus ring');
  console.log(`      axe-core clean at: ${axeStates.join('; ')}`);
});

await step('privacy: only this origin, only static GETs, no cookies, no page errors', async () => {
  assert.deepEqual(log.violations, []);
  assert.ok(log.requests.length > 5, 'the interceptor saw the session');
  // The engine worker's and the service worker's fetches pass through the same interceptor.
  // The engine: sotto-mt.wasm in this cross-origin-isolated page with threads, else sotto.wasm (web/engine-wasm.mjs).
  assert.ok(log.requests.some((r) => /\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/.test(r)), `no engine wasm seen: ${log.requests.join(', ')}`);
  for (const p of ['/models/note.gguf', '/models/asr.gguf', '/wasm/sotto.mjs', '/wasm/gpu-host.mjs',
                   '/engine-worker.js', '/asr-worker.js', '/pcm-worklet.js', '/sw.js', '/gpu-policy.mjs']) {
    assert.ok(log.requests.some((r) => r.endsWith(p)), `${p} not seen: ${log.requests.join(', ')}`);
  }
  assert.deepEqual(await ctx.cookies(), []);
  assert.deepEqual(pageErrors, []);
});

await ctx.close();
await browser.close();
server.kill();
process.exit(tally.summary());
