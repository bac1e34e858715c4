// speaker-labels.test.mjs — web/speaker-labels.mjs in Node: speaker labels written into a transcript ("Speaker N: "
// where the speaker changes, one line per turn, as `sotto transcribe --speakers` prints them), and the audio ranges
// (audio-evidence.mjs) and uncertain-speech marks (speech-marks.mjs) still on their phrases after the edits are
// applied one at a time, as app.js applies them. Usage: node tests/web/speaker-labels.test.mjs
import assert from 'node:assert/strict';

import { Evidence } from '../../web/audio-evidence.mjs';
import { editMarks } from '../../web/speech-marks.mjs';
import { applyEdit, labelEdits } from '../../web/speaker-labels.mjs';
import { Tally } from '../harness.mjs';

const tally = new Tally();

// Phrases appended as app.js appends them (a space between), after `before` (earlier text of the transcript).
function transcript(phrases, before = '') {
  const ev = new Evidence();
  const clip = ev.beginClip(16000);
  let text = before;
  ev.sync(text);
  phrases.forEach((p, i) => {
    text = text && !/\s$/.test(text) ? `${text} ${p}` : text + p;
    ev.sync(text);
    ev.addPhrase(clip, text.length - p.length, text.length, i, i + 1);
  });
  return { ev, text, clip };
}

// The labels applied the app's way: one edit at a time, the ranges and marks following each.
function label(ev, text, labels, marks = []) {
  const phrases = ev.ranges.slice().sort((a, b) => a.from - b.from);
  let t = text;
  for (const e of labelEdits(t, phrases, labels)) {
    const next = applyEdit(t, e);
    ev.sync(next);
    marks = editMarks(marks, t, next);
    t = next;
  }
  return { text: t, marks };
}

const phrases = ['Good morning.', 'What brings you in?', 'A sore throat.', 'Since Monday.', 'Any cough?'];

await tally.test('a label where the speaker changes, one line per turn', async () => {
  const { ev, text } = transcript(phrases);
  const r = label(ev, text, [1, 1, 2, 2, 1]);
  assert.equal(r.text, 'Speaker 1: Good morning. What brings you in?\nSpeaker 2: A sore throat. Since Monday.\nSpeaker 1: Any cough?');
});

await tally.test('every phrase keeps its audio range through the edits', async () => {
  const { ev, text } = transcript(phrases);
  const r = label(ev, text, [1, 2, 1, 2, 2]);
  const got = ev.ranges.slice().sort((a, b) => a.from - b.from).map((x) => [r.text.slice(x.from, x.to), x.start]);
  assert.deepEqual(got, phrases.map((p, i) => [p, i]));
});

await tally.test('an uncertain word stays marked on the same word', async () => {
  const { ev, text } = transcript(phrases);
  const at = text.indexOf('Monday');
  const r = label(ev, text, [1, 1, 2, 2, 1], [{ from: at, to: at + 6, confidence: 0.3 }]);
  assert.equal(r.marks.length, 1);
  assert.equal(r.text.slice(r.marks[0].from, r.marks[0].to), 'Monday');
});

await tally.test('a recording added to a transcript: its first turn starts a line; the earlier text is untouched', async () => {
  const { ev, text } = transcript(phrases.slice(0, 2), 'Typed earlier.');
  const r = label(ev, text, [2, 1]);
  assert.equal(r.text, 'Typed earlier.\nSpeaker 2: Good morning.\nSpeaker 1: What brings you in?');
  const { ev: ev2, text: t2 } = transcript(phrases.slice(0, 1), 'Line one.\n');
  assert.equal(label(ev2, t2, [1]).text, 'Line one.\nSpeaker 1: Good morning.');
});

await tally.test('one speaker throughout: one label at the start', async () => {
  const { ev, text } = transcript(phrases.slice(0, 3));
  assert.equal(label(ev, text, [1, 1, 1]).text, 'Speaker 1: Good morning. What brings you in? A sore throat.');
  assert.deepEqual(labelEdits('', [], []), []);
});

process.exit(tally.summary());
