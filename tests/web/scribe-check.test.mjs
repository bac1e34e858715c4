// scribe-check.test.mjs — the support check is the same natively and in the app: every case of
// tests/fixtures/scribe-check/cases.json (a note, its transcript and its template's schema; the exact rules of
// apps/scribe/support.h, and the bundled model's held-out examples) goes through the native CLI
// (`sotto note --check NOTE.json`) and through the wasm build (web/engine-cpu.mjs check(), which the app's engine
// worker calls with the template's schema), and the two answers must be identical: the same support entries
// (flags, "not checked", reasons, spans) and the same Markdown. Each case's expected flags are checked too; a
// case with a visit_date gives it to both (`--visit-date`, the engine's visitDate as the app's worker does).
// Uncertain speech (tests/fixtures/scribe-check/speech-cases.json): the CLI reads the transcript as `sotto
// transcribe --json` output (--transcript T.json), the app's path turns the same segments into marks
// (web/speech-marks.mjs phraseMarks, as app.js does when a phrase arrives) and sends them as byte spans; both must
// flag the same values "rests on uncertain speech".
// Usage: node tests/web/scribe-check.test.mjs [sotto.wasm] [native sotto]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { ScribeEngineCpu } from '../../web/engine-cpu.mjs';
import { marksToBytes, phraseMarks } from '../../web/speech-marks.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const { schemas, cases } = JSON.parse(readFileSync(join(root, 'tests', 'fixtures', 'scribe-check', 'cases.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'sotto-check-'));

const tally = new Tally();
// The check needs no model, but the engine is a note session: the smallest fixture model.
const e = await ScribeEngineCpu.create(wasmModule, readFileSync(join(root, 'tests/fixtures/models/qwen25-q8_0.gguf')));

for (const [i, c] of cases.entries()) {
  await tally.test(`native check == wasm check: ${c.name}`, async () => {
    let schemaFile = join(root, 'templates', `${c.template}.schema.json`);
    if (schemas[c.template]) {
      schemaFile = join(dir, `${c.template}.schema.json`);
      writeFileSync(schemaFile, JSON.stringify(schemas[c.template]));
    }
    const noteFile = join(dir, `note-${i}.json`), transcriptFile = join(dir, `transcript-${i}.txt`);
    const noteText = JSON.stringify(c.note);
    writeFileSync(noteFile, noteText);
    writeFileSync(transcriptFile, c.transcript);
    const visit = c.visit_date ? ['--visit-date', c.visit_date] : [];
    const native = JSON.parse(execFileSync(nativePath, ['note', '--check', noteFile, '--transcript', transcriptFile,
                                                       '--template', schemaFile, '--format', 'json', ...visit]).toString());
    e.visitDate(c.visit_date ?? '');  // relative dates resolve against it, as the app's worker sets it
    const wasm = e.check(readFileSync(schemaFile, 'utf8'), noteText, c.transcript);
    e.visitDate('');
    assert.deepEqual(wasm.support, native.support);
    assert.equal(wasm.markdown, native.markdown);
    assert.deepEqual(wasm.support.filter((f) => f.flagged).map((f) => f.path), c.flags);
  });
}

// ---- uncertain speech
const speech = JSON.parse(readFileSync(join(root, 'tests', 'fixtures', 'scribe-check', 'speech-cases.json'), 'utf8'));
const enc = new TextEncoder();
// A segment written as {text, conf, flags} in the form `sotto transcribe --json` prints (words at UTF-8 offsets;
// uncertain: under the word threshold 0.9 or inside a flag, as runtime/speech-confidence.h marks them).
function asTranscribed(seg) {
  const words = [];
  let at = 0;
  for (const [i, w] of seg.text.split(' ').entries()) {
    const b = enc.encode(seg.text.slice(0, at)).length;
    words.push({ text: w, begin: b, end: b + enc.encode(w).length, confidence: seg.conf[i],
                 uncertain: seg.conf[i] < 0.9 || seg.flags.some((f) => i >= f.words[0] && i < f.words[1]) });
    at += w.length + 1;
  }
  return { start: 0, end: 1, text: seg.text, words, flags: seg.flags };
}
for (const [i, c] of speech.cases.entries()) {
  await tally.test(`uncertain speech, native check == wasm check: ${c.name}`, async () => {
    let schemaFile = join(root, 'templates', `${c.template}.schema.json`);
    if (speech.schemas[c.template]) {
      schemaFile = join(dir, `speech-${c.template}.schema.json`);
      writeFileSync(schemaFile, JSON.stringify(speech.schemas[c.template]));
    }
    const transcribed = c.recorded ? JSON.parse(readFileSync(join(root, 'tests', 'fixtures', 'scribe-check', c.recorded), 'utf8'))
                                   : { segments: c.segments.map(asTranscribed), duration: 1 };
    const noteFile = join(dir, `speech-note-${i}.json`), transcriptFile = join(dir, `speech-transcript-${i}.json`);
    const noteText = JSON.stringify(c.note);
    writeFileSync(noteFile, noteText);
    writeFileSync(transcriptFile, JSON.stringify(transcribed));
    const native = JSON.parse(execFileSync(nativePath, ['note', '--check', noteFile, '--transcript', transcriptFile,
                                                       '--template', schemaFile, '--format', 'json']).toString());
    // The app's way: phrases appended one per line here (the CLI's transcript form), marks from each phrase.
    let transcript = '';
    const marks = [];
    for (const seg of transcribed.segments) {
      if (!seg.text) continue;
      marks.push(...phraseMarks(seg, transcript.length));
      transcript += seg.text + '\n';
    }
    assert.ok(marks.length > 0, 'the case has uncertain speech');
    const wasm = e.check(readFileSync(schemaFile, 'utf8'), noteText, transcript, marksToBytes(transcript, marks));
    assert.deepEqual(wasm.support, native.support);
    assert.equal(wasm.markdown, native.markdown);
    assert.deepEqual(wasm.support.filter((f) => f.flagged).map((f) => f.path), c.flags);
    assert.deepEqual(wasm.support.filter((f) => f.uncertain_speech).map((f) => f.path), c.uncertain);
    if (c.uncertain.length) assert.match(wasm.markdown, /rests on uncertain speech \(listen again\)/);
    // Without the marks, the plain check flags none of these for speech.
    const plain = e.check(readFileSync(schemaFile, 'utf8'), noteText, transcript);
    assert.equal(plain.support.filter((f) => f.uncertain_speech).length, 0);
  });
}

await tally.test('"not checked" is reported, never passed silently', async () => {
  const c = cases.find((x) => x.name === 'not checked');
  const r = e.check(readFileSync(join(root, 'templates', 'finance.schema.json'), 'utf8'), JSON.stringify(c.note), c.transcript);
  const risk = r.support.find((f) => f.path === '/risk_profile');
  assert.equal(risk.checked, false);
  assert.equal(risk.flagged, false);
  assert.match(risk.why, /no option of risk profile/);
  assert.match(r.markdown, /`\/fees_disclosed`: not checked/);
});

// Last: the trap leaves the instance unusable for the calls after it.
await tally.test('uncertain speech spans outside the transcript are refused with one line', async () => {
  assert.throws(() => e.check(readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8'), '{"plan": "rest"}', 'rest',
                              [[0, 99, 'low confidence (0.40)']]),
                /uncertain span \[0, 99\) outside the 4-byte transcript/);
});

process.exit(tally.summary());
