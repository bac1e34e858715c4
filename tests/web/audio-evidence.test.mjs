// audio-evidence.test.mjs — web/audio-evidence.mjs in Node: the transcript ranges each phrase's audio came from,
// kept in place by edits (a correction inside a phrase keeps its audio, text typed over a whole phrase drops it),
// the audio of a passage (the phrases under it), the recording packed as 16-bit PCM and back, and what the
// consent line says. Usage: node tests/web/audio-evidence.test.mjs
import assert from 'node:assert/strict';

import { Evidence, clock, editRanges, fromInt16, keepStatus, passageAudio, toInt16 } from '../../web/audio-evidence.mjs';
import { Tally } from '../harness.mjs';

const tally = new Tally();

// Three phrases joined by a space, as app.js appends them, with their times (seconds from the clip's start).
function transcript() {
  const ev = new Evidence();
  const clip = ev.beginClip(16000);
  let text = '';
  for (const [p, start, end] of [['Cough for six days.', 0.4, 2.1], ['Temperature 38.2.', 2.9, 4.6], ['Start amoxicillin.', 5.2, 7.0]]) {
    if (text) text += ' ';
    text += p;
    ev.sync(text);
    ev.addPhrase(clip, text.length - p.length, text.length, start, end);
  }
  return { ev, text };
}
const span = (text, s) => [text.indexOf(s), text.indexOf(s) + s.length];

await tally.test('a passage plays the phrases under it, and only those', async () => {
  const { ev, text } = transcript();
  assert.equal(text, 'Cough for six days. Temperature 38.2. Start amoxicillin.');
  assert.deepEqual(passageAudio(ev.ranges, ...span(text, 'six days')), { clip: 0, start: 0.4, end: 2.1 });
  assert.deepEqual(passageAudio(ev.ranges, ...span(text, 'days. Temperature')), { clip: 0, start: 0.4, end: 4.6 });
  assert.deepEqual(passageAudio(ev.ranges, ...span(text, 'amoxicillin')), { clip: 0, start: 5.2, end: 7.0 });
  assert.equal(passageAudio(ev.ranges, 19, 20), null, 'the space between two phrases was not said');
  assert.equal(clock(5.2), '0:05');
  assert.equal(clock(127.9), '2:07');
});

await tally.test('edits: the ranges follow the text; a corrected phrase keeps its audio, one typed over loses it', async () => {
  const { ev, text } = transcript();
  // a word inserted before everything shifts every phrase
  let now = `Patient: ${text}`;
  ev.sync(now);
  assert.deepEqual(passageAudio(ev.ranges, ...span(now, 'Temperature')), { clip: 0, start: 2.9, end: 4.6 });
  assert.equal(passageAudio(ev.ranges, ...span(now, 'Patient')), null, 'typed text has no audio');
  // a correction inside the second phrase: the phrase (with the new text) still plays its audio
  now = now.replace('38.2', '38.4 degrees');
  ev.sync(now);
  assert.deepEqual(passageAudio(ev.ranges, ...span(now, '38.4 degrees')), { clip: 0, start: 2.9, end: 4.6 });
  assert.deepEqual(passageAudio(ev.ranges, ...span(now, 'amoxicillin')), { clip: 0, start: 5.2, end: 7.0 });
  // the whole third phrase typed over: the user's text, no audio
  now = now.replace('Start amoxicillin.', 'Rest and fluids.');
  ev.sync(now);
  assert.equal(passageAudio(ev.ranges, ...span(now, 'fluids')), null);
  assert.equal(ev.ranges.length, 2);
  // the end of the first phrase typed over: what is left of it keeps its audio, the new text has none
  const r = editRanges([{ from: 0, to: 10, clip: 0, start: 1, end: 2 }], 'abcdefghij klm', 'abcdeXYZ klm');
  assert.deepEqual(r, [{ from: 0, to: 5, clip: 0, start: 1, end: 2 }]);
  const h = editRanges([{ from: 4, to: 10, clip: 0, start: 1, end: 2 }], 'abc defghij', 'abc XYghij');
  assert.deepEqual(h, [{ from: 6, to: 9, clip: 0, start: 1, end: 2 }], 'its start typed over');
  ev.sync('');
  assert.deepEqual(ev.ranges, [], 'an emptied transcript has no audio');
});

await tally.test('two recordings in one transcript: a passage plays from its own clip', async () => {
  const ev = new Evidence();
  const a = ev.beginClip(16000), b = ev.beginClip(48000);
  ev.sync('one two');
  ev.addPhrase(a, 0, 3, 0.5, 1.0);
  ev.addPhrase(b, 4, 7, 0.2, 0.9);
  assert.deepEqual(passageAudio(ev.ranges, 4, 7), { clip: 1, start: 0.2, end: 0.9 });
  assert.equal(ev.complete, false, 'no samples yet (still recording)');
  ev.endClip(a, new Float32Array(16000));
  ev.endClip(b, new Float32Array(48000));
  assert.equal(ev.complete, true);
  assert.deepEqual(ev.meta().clips, [{ rate: 16000, samples: 16000 }, { rate: 48000, samples: 48000 }]);
});

await tally.test('the recording as 16-bit PCM bytes and back: the samples of a 16-bit WAV exactly', async () => {
  const pcm = Float32Array.from([0, 1 / 32768, -1, 32767 / 32768, -12345 / 32768, 0.5]);
  const bytes = toInt16([{ rate: 16000, pcm }, { rate: 8000, pcm: pcm.subarray(0, 2) }]);
  assert.equal(bytes.length, 16);
  assert.deepEqual([...new Int16Array(bytes.buffer)], [0, 1, -32768, 32767, -12345, 16384, 0, 1]);
  const back = fromInt16(bytes, [{ rate: 16000, samples: 6 }, { rate: 8000, samples: 2 }]);
  assert.deepEqual([...back[0].pcm], [...pcm]);
  assert.equal(back[1].rate, 8000);
  assert.throws(() => fromInt16(bytes, [{ rate: 16000, samples: 7 }]), /^Error: the kept recording does not match its note$/);
  const ev = new Evidence();
  ev.load({ clips: [{ rate: 16000, samples: 7 }], ranges: [{ from: 0, to: 3, clip: 0, start: 0, end: 1 }] }, 'abc', bytes);
  assert.equal(ev.audible, false, 'a recording that does not match is not played');
  assert.equal(ev.ranges.length, 1);
});

await tally.test('the consent line says what becomes of the recording', async () => {
  const { ev } = transcript();
  assert.match(keepStatus(ev, false, false), /not kept|gone/);
  ev.endClip(0, new Float32Array(16000 * 8));
  assert.equal(keepStatus(ev, false, false), 'The recording is in this page\'s memory only: it is gone when the page is closed or reloaded.');
  assert.match(keepStatus(ev, true, false), /^The recording is kept with this note, encrypted on this device/);
  assert.match(keepStatus(ev, true, true), /^Shared computer: .*nothing is kept on this device\.$/);
  assert.equal(keepStatus(new Evidence(), false, false), 'No recording with this note.');
  // No IndexedDB (issue 18): the recording cannot be kept, whether or not the draft is (a passphrase keeps the draft).
  assert.match(keepStatus(ev, true, false, true), /^This browser gives the app no IndexedDB .*nothing is kept on this device\.$/);
  assert.match(keepStatus(new Evidence(), true, false, true), /no IndexedDB/);
  assert.match(keepStatus(ev, true, true, true), /^Shared computer: /);
  assert.equal(keepStatus(ev, false, false, true), 'The recording is in this page\'s memory only: it is gone when the page is closed or reloaded.');
});

process.exit(tally.summary());
