// speech-marks.test.mjs — web/speech-marks.mjs, the app's uncertain-speech marks, in Node: marks from a segment
// (UTF-8 word offsets to UTF-16 indices, runs with one reason merged as apps/scribe/support-speech.cpp merges
// them), kept in place by edits around them and dropped where the user typed over them, and sent as UTF-8 byte
// spans. Usage: node tests/web/speech-marks.test.mjs
import assert from 'node:assert/strict';

import { editMarks, marksToBytes, phraseMarks } from '../../web/speech-marks.mjs';
import { Tally } from '../harness.mjs';

const tally = new Tally();
const enc = new TextEncoder();

// A segment of space-separated words with these confidences and flags (as the speech ABI gives it).
function segment(text, conf, flags) {
  const words = [];
  let at = 0;
  for (const [i, w] of text.split(' ').entries()) {
    const b = enc.encode(text.slice(0, at)).length;
    words.push({ text: w, begin: b, end: b + enc.encode(w).length, confidence: conf[i],
                 uncertain: conf[i] < 0.9 || flags.some((f) => i >= f.words[0] && i < f.words[1]) });
    at += w.length + 1;
  }
  return { text, words, flags };
}

await tally.test('marks of a phrase: non-ASCII text, merged runs, reasons joined', async () => {
  const seg = segment('Zoë 😀 took 100 mg of salbutamol today', [1, 1, 0.5, 0.6, 0.7, 1, 1, 1],
                      [{ kind: 'low_confidence', words: [2, 5], reason: 'low confidence (0.50)' },
                       { kind: 'repetition', words: [4, 6], reason: 'repeated 3 times: "x"' }]);
  const m = phraseMarks(seg, 10);
  assert.deepEqual(m.map((x) => [x.from - 10, x.to - 10, x.reason, x.confidence]), [
    [7, 15, 'low confidence (0.50)', 0.5],                          // "took 100" (the emoji is 2 UTF-16 units)
    [16, 18, 'low confidence (0.50); repeated 3 times: "x"', 0.7],  // "mg": in both flags
    [19, 21, 'repeated 3 times: "x"', 1],                           // "of"
  ]);
  const text = ' '.repeat(10) + seg.text;
  assert.equal(text.slice(m[0].from, m[0].to), 'took 100');
  // Bytes: the same spans in UTF-8 (ë 2 bytes, the emoji 4).
  assert.deepEqual(marksToBytes(text, m).map(([b, e]) => enc.encode(text).slice(b, e)).map((x) => new TextDecoder().decode(x)),
                   ['took 100', 'mg', 'of']);
  assert.deepEqual(phraseMarks(segment('all sure here', [1, 1, 1], []), 0), []);
});

await tally.test('edits: marks before and after a change stay in place, marks typed over are dropped', async () => {
  const text = 'alpha beta gamma delta';
  const marks = [{ from: 6, to: 10, reason: 'r1' }, { from: 17, to: 22, reason: 'r2' }];  // beta, delta
  // Insert before both: both shift.
  let e = editMarks(marks, text, 'X ' + text);
  assert.deepEqual(e.map((x) => [x.from, x.to]), [[8, 12], [19, 24]]);
  // Edit between them ("gamma" -> "g"): the first stays, the second shifts.
  e = editMarks(marks, text, 'alpha beta g delta');
  assert.deepEqual(e.map((x) => [x.from, x.to]), [[6, 10], [13, 18]]);
  // Typing over "beta": that mark goes.
  e = editMarks(marks, text, 'alpha bet gamma delta');
  assert.deepEqual(e.map((x) => x.reason), ['r2']);
  assert.equal('alpha bet gamma delta'.slice(e[0].from, e[0].to), 'delta');
  // Appending after the text keeps everything; clearing drops everything.
  assert.deepEqual(editMarks(marks, text, text + ' epsilon'), marks);
  assert.deepEqual(editMarks(marks, text, ''), []);
  assert.equal(editMarks(marks, text, text), marks);
  // Marks outside the text are not sent.
  assert.deepEqual(marksToBytes('short', [{ from: 2, to: 40, reason: 'r' }]), []);
});

process.exit(tally.summary());
