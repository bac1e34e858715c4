// speech-marks.mjs — the words speech recognition was unsure of, as marks on the editable transcript: made from
// a segment's words and flags (runtime/speech-confidence.h, via the speech ABI), kept in place while the user
// edits around them (text the user typed over is the user's, no longer uncertain speech), and sent to the
// support check as UTF-8 byte spans (apps/scribe/support-speech.h).
//   phraseMarks(seg, base)          marks {from, to, reason, confidence} (UTF-16 indices, + base) of one phrase:
//                                   its uncertain words, consecutive ones with the same reason merged, the
//                                   reason the flags covering the word joined by '; ' (as support-speech.cpp
//                                   merges them, so the app and `sotto note` carry the same spans)
//   editMarks(marks, before, after) the marks after the text changed from `before` to `after`
//   marksToBytes(text, marks)       [[begin, end, reason]] in UTF-8 bytes of text (what the check takes)
// Does not: touch the DOM (app.js renders the marks).

const enc = new TextEncoder();

// UTF-8 byte offset -> UTF-16 index in text (a byte inside a character maps to its character).
export function byteIndexMap(text) {
  const map = new Int32Array(enc.encode(text).length + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i);
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    if (cp > 0xffff) i++;
  }
  map[b] = text.length;
  return map;
}

export function phraseMarks(seg, base = 0) {
  const words = seg.words ?? [], flags = seg.flags ?? [];
  const map = byteIndexMap(seg.text);
  const out = [];
  let open = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!w.uncertain || w.end >= map.length) { open = false; continue; }
    let reason = flags.filter((f) => i >= f.words[0] && i < f.words[1]).map((f) => f.reason).join('; ');
    if (!reason) reason = 'uncertain speech';
    const from = base + map[w.begin], to = base + map[w.end];
    const last = out[out.length - 1];
    if (open && last.reason === reason) {
      last.to = to;
      last.confidence = Math.min(last.confidence, w.confidence);
    } else {
      out.push({ from, to, reason, confidence: w.confidence });
      open = true;
    }
  }
  return out;
}

export function editMarks(marks, before, after) {
  if (before === after) return marks;
  let p = 0;
  const n = Math.min(before.length, after.length);
  while (p < n && before[p] === after[p]) p++;
  let s = 0;
  while (s < n - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  const endOld = before.length - s, delta = after.length - before.length;
  const out = [];
  for (const m of marks) {
    if (m.to <= p) out.push(m);                                                  // before the change
    else if (m.from >= endOld) out.push({ ...m, from: m.from + delta, to: m.to + delta });  // after it
    // overlapping the change: the user rewrote it
  }
  return out;
}

export function marksToBytes(text, marks) {
  const out = [];
  for (const m of marks) {
    if (m.from < 0 || m.to > text.length || m.from >= m.to) continue;
    const b = enc.encode(text.slice(0, m.from)).length;
    out.push([b, b + enc.encode(text.slice(m.from, m.to)).length, m.reason]);
  }
  return out;
}
