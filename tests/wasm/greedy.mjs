// greedy.mjs — greedy generation through the JS host (wasm/sotto.mjs) as the native CLI prints it, shared by the
// Node tests (tests/wasm/run.mjs) and the cross-browser page (tests/browsers/engine-worker.mjs); no Node APIs.
//   const { bytes, ids } = wasmGreedy(engine, prompt, n)   // engine: a Sotto with a model loaded
// bytes: the UTF-8 text of the n tokens (special tokens left out, stopping at end of generation), an incomplete
// UTF-8 tail written as U+FFFD, as `sotto generate --temp 0` streams it (runtime/generate.h).

// Length of the longest prefix of b that does not end inside an incomplete UTF-8 sequence.
export function completePrefix(b) {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue;  // continuation byte: look further back
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}

export function wasmGreedy(engine, prompt, n) {
  engine.start(engine.tokenize(prompt), { temperature: 0 });
  const bytes = [];
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = engine.step();
    if (id < 0) break;
    ids.push(id);
    if (engine.isEog(id)) break;
    if (!engine.isSpecial(id)) bytes.push(...engine.piece(id));
  }
  const k = completePrefix(bytes);
  if (k < bytes.length) bytes.splice(k, bytes.length - k, 0xef, 0xbf, 0xbd);
  return { bytes: Uint8Array.from(bytes), ids };
}
