// speaker-labels.mjs — speaker labels written into the transcript: "Speaker N: " before each phrase where the
// speaker changes (the first phrase of a recording too), the phrase before it ending its line — the text `sotto
// transcribe --speakers` prints, one line per turn.
// Pure (tests/web/speaker-labels.test.mjs):
//   labelEdits(text, phrases, labels)  phrases [{from, to}] (UTF-16 indices of one recording's phrases in the
//                                      transcript, in order), labels (1-based, one per phrase) -> the edits
//                                      [{at, remove, insert}], last first: applied one at a time in that order,
//                                      each leaves the indices of the phrases before it valid, and each is one
//                                      change (an insertion, or the space between two phrases replaced), so
//                                      the marks and audio ranges that follow edits (speech-marks.mjs,
//                                      audio-evidence.mjs) keep every phrase's place
//   applyEdit(text, edit) -> text
// Does not: find the speakers (wasm/speaker-abi.cpp does, in the speech worker).

export function labelEdits(text, phrases, labels) {
  const edits = [];
  for (let i = phrases.length - 1; i >= 0; i--) {
    if (i > 0 && labels[i] === labels[i - 1]) continue;
    const at = phrases[i].from, tag = `Speaker ${labels[i]}: `;
    if (at === 0 || text[at - 1] === '\n') edits.push({ at, remove: 0, insert: tag });
    else if (text[at - 1] === ' ') edits.push({ at: at - 1, remove: 1, insert: `\n${tag}` });
    else edits.push({ at, remove: 0, insert: `\n${tag}` });
  }
  return edits;
}

export const applyEdit = (text, { at, remove, insert }) => text.slice(0, at) + insert + text.slice(at + remove);
