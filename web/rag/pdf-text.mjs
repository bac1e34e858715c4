// pdf-text.mjs — a PDF's text layer in the page (web/rag; issue 21, point 2), page by page, laid out as `sotto index
// add` gets it from poppler (`poppler::page::text()`: poppler's physical layout), so the passages, their pages and
// their byte offsets are the native ones and a citation names the same page on both sides.
//   const pages = await pdfPages(bytes, name)   -> [{page, text}] (pages 1..n; a page without text: '\f')
//   layoutPage(items)                            -> the page's text from pdf.js getTextContent() items (no DOM, no pdf.js)
// The PDF is parsed by pdf.js (npm pdfjs-dist, web/rag/vendor.sh), in pdf.js's own worker served from this origin
// (/rag/vendor/pdf-worker.mjs); nothing is fetched from elsewhere (no font, CMap or wasm URL is given to pdf.js).
// Errors: one line naming the file, worded as the CLI (apps/rag/ingest.cpp): `x.pdf: not a PDF (no %PDF- header)`,
// `x.pdf: corrupt PDF (pdf.js cannot read it: REASON)`, `x.pdf: encrypted PDF (needs a password); decrypt it first`;
// without web/rag/vendor/ (vendor.sh not run): one line saying so.
//
// The layout, as poppler's physical layout does it (TextOutputDev, `pdftotext -layout`), written here from its
// observable rules and checked against poppler's output (tests/web/rag.test.mjs):
//   * characters on one baseline (within half the font size), of one font size, closer than a tenth of the font size
//     form a word; words on one baseline (a superscript included) closer than 1.5 font sizes form a fragment, joined
//     by one space; a line's baseline and size are its first word's;
//   * a fragment joins the block whose last line is just above it (at most 1.5 font sizes), of the same font size,
//     starting where the block starts; otherwise it starts a block;
//   * each block gets a column: blocks sorted by left edge; right of an earlier block, that block's column + its
//     widest line's length + 3; inside it, its column + the proportional position (truncated); the largest wins;
//   * fragments are written top to bottom, left to right, padded with spaces to their block's column; after a line,
//     as many newlines as whole font sizes to the next baseline (1 to 5); the page ends with "\n\f".
// Limits: poppler's block building is reproduced for the common cases only (paragraphs, headings, indented lines,
// tables, columns, superscripts); where it groups lines otherwise, the spaces before a line can differ (the words,
// their order and the pages do not). Rotated text is laid out as if it were horizontal.
const MAX_INTRA_LINE = 0.5;  // baseline difference within a line, in font sizes
const WORD_BREAK = 0.1;      // gap between characters that ends a word, in font sizes
const MAX_WORD_GAP = 1.5;    // gap between words that ends a fragment, in font sizes
const MAX_LINE_GAP = 1.5;    // baseline distance from a block's last line to a line that joins it, in font sizes
const MAX_SIZE_DELTA = 0.05; // font size difference within a word or a block, as a fraction
const SAME_START = 0.3;      // left edges of the lines of a block differ by less, in font sizes

let pdfjsPromise = null;
function pdfjs() {  // pdf.js and one worker of its own for every document of the page's life
  pdfjsPromise ??= import('/rag/vendor/pdf.mjs').then((m) => {
    m.GlobalWorkerOptions.workerSrc = '/rag/vendor/pdf-worker.mjs';
    return { lib: m, worker: new m.PDFWorker({ name: 'sotto-pdf' }) };
  }, () => { pdfjsPromise = null; throw new Error('the PDF reader (pdf.js) is not installed: run bash web/rag/vendor.sh'); });
  return pdfjsPromise;
}

// items: pdf.js TextItems ({str, transform: [a, b, c, d, e, f], width}); returns poppler's physical layout of them.
export function layoutPage(items) {
  // 1. characters -> words: {chars: [string], edges: [x0, x1, ..., xn], base, size}
  const words = [];
  let cur = null;
  for (const it of items) {
    if (typeof it.str !== 'string' || !it.str.length) continue;
    const [, , c, d, e, f] = it.transform;
    const size = Math.hypot(c, d) || 1;
    const chars = [...it.str];
    const w = (it.width || 0) / chars.length;  // a run's characters share its width (only word starts and ends matter)
    const base = -f;  // downwards, as poppler's device space
    let x = e;
    chars.forEach((ch, i) => {
      const x0 = x;
      x += w;
      if (/^[ \t\n\r\f\v\u00a0]$/.test(ch)) { cur = null; return; }
      if (cur && Math.abs(base - cur.base) < MAX_INTRA_LINE * cur.size && Math.abs(size - cur.size) < MAX_SIZE_DELTA * cur.size && x0 - cur.edges[cur.edges.length - 1] < WORD_BREAK * cur.size &&
          x0 >= cur.edges[cur.edges.length - 1] - WORD_BREAK * cur.size) {
        cur.chars.push(ch);
        cur.edges.push(x0 + w);
      } else {
        cur = { chars: [ch], edges: [x0, x0 + w], base, size };
        words.push(cur);
      }
    });
    cur = cur && it.hasEOL ? null : cur;
  }
  if (!words.length) return '\f';
  // 2. words -> lines (by baseline) -> fragments (by gaps): {chars, edges, base, size, xMin, xMax, col}
  words.sort((a, b) => a.base - b.base);
  const lines = [];
  for (const wd of words) {
    const line = lines.length ? lines[lines.length - 1] : null;
    if (line && Math.abs(wd.base - line.base) < MAX_INTRA_LINE * Math.max(line.size, wd.size)) line.words.push(wd);
    else lines.push({ base: wd.base, size: wd.size, words: [wd] });
  }
  const frags = [];
  for (const line of lines) {
    line.words.sort((a, b) => a.edges[0] - b.edges[0]);
    line.base = line.words[0].base;  // a line's baseline and size are its first word's (a superscript is in its line)
    line.size = line.words[0].size;
    let fr = null;
    for (const wd of line.words) {
      const end = fr ? fr.edges[fr.edges.length - 1] : 0;
      if (fr && wd.edges[0] - end < MAX_WORD_GAP * fr.size) {
        fr.chars.push(' ', ...wd.chars);  // the space spans the gap: edges end and the word's start
        fr.edges.push(...wd.edges);
      } else {
        fr = { chars: [...wd.chars], edges: [...wd.edges], base: line.base, size: line.size };
        frags.push(fr);
      }
    }
  }
  for (const fr of frags) { fr.xMin = fr.edges[0]; fr.xMax = fr.edges[fr.edges.length - 1]; }
  // 3. fragments -> blocks: a fragment joins the block whose last line is just above it (its baseline at most 1.5 font
  // sizes higher, the same font size, starting where the block starts); columns per block, as poppler assigns them
  const blocks = [];
  for (const fr of [...frags].sort((a, b) => a.base - b.base || a.xMin - b.xMin)) {
    const blk = blocks.find((k) => k.last.base < fr.base && fr.base - k.last.base <= MAX_LINE_GAP * k.size &&
                                   Math.abs(fr.size - k.size) < MAX_SIZE_DELTA * k.size && Math.abs(fr.xMin - k.xMin) < SAME_START * k.size &&
                                   !blocks.some((o) => o !== k && o.last.base > k.last.base && o.last.base < fr.base && o.xMin < fr.xMax && o.xMax > fr.xMin));
    if (blk) {
      blk.frags.push(fr);
      blk.last = fr;
      blk.xMin = Math.min(blk.xMin, fr.xMin);
      blk.xMax = Math.max(blk.xMax, fr.xMax);
      blk.n = Math.max(blk.n, fr.chars.length);
    } else {
      blocks.push({ frags: [fr], last: fr, size: fr.size, xMin: fr.xMin, xMax: fr.xMax, n: fr.chars.length });
    }
  }
  const byX = [...blocks].sort((a, b) => a.xMin - b.xMin || a.frags[0].base - b.frags[0].base);
  byX.forEach((b0, i) => {
    let col = 0;
    for (let j = 0; j < i; j++) {
      const b1 = byX[j];
      const c = b0.xMin > b1.xMax ? b1.col + b1.n + 3
        : b1.xMax === b1.xMin ? b1.col : b1.col + Math.trunc(((b0.xMin - b1.xMin) / (b1.xMax - b1.xMin)) * b1.n);
      col = Math.max(col, c);
    }
    b0.col = col;
    for (const fr of b0.frags) fr.col = col;
  });
  // 4. out, top to bottom, left to right
  const order = [...frags].sort((a, b) => a.base - b.base || a.xMin - b.xMin);
  let s = '';
  let col = 0;
  order.forEach((fr, i) => {
    if (fr.col > col) s += ' '.repeat(fr.col - col), col = fr.col;
    s += fr.chars.join('');
    col += fr.chars.length;
    const next = order[i + 1];
    if (!next || next.col < col || Math.abs(next.base - fr.base) > MAX_INTRA_LINE * fr.size) {
      const d = next ? Math.min(5, Math.max(1, Math.trunc((next.base - fr.base) / fr.size))) : 1;
      s += '\n'.repeat(d);
      col = 0;
    }
  });
  return s + '\f';
}

// bytes: Uint8Array of the file; name: how errors name it.
export async function pdfPages(bytes, name) {
  if (new TextDecoder('latin1').decode(bytes.subarray(0, 5)) !== '%PDF-') throw new Error(`${name}: not a PDF (no %PDF- header)`);
  const { lib, worker } = await pdfjs();
  let task, doc;
  try {
    task = lib.getDocument({ data: bytes.slice(), worker, isEvalSupported: false, disableFontFace: true, useSystemFonts: false,
                                  stopAtErrors: false, verbosity: 0 });
    doc = await task.promise;
  } catch (e) {
    task?.destroy();
    if (e?.name === 'PasswordException') throw new Error(`${name}: encrypted PDF (needs a password); decrypt it first`);
    throw new Error(`${name}: corrupt PDF (pdf.js cannot read it: ${String(e?.message ?? e).split('\n')[0]})`);
  }
  try {
    const pages = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const { items } = await page.getTextContent();
      pages.push({ page: i, text: layoutPage(items) });
      page.cleanup();
    }
    return pages;
  } catch (e) {
    throw new Error(`${name}: corrupt PDF (pdf.js cannot read it: ${String(e?.message ?? e).split('\n')[0]})`);
  } finally {
    task.destroy();
  }
}
