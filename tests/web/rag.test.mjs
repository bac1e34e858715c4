// rag.test.mjs — the private documents page (web/rag; issue 21, point 5) in headless Chromium against `sotto serve`,
// with the tiny random-weight BERT of the fixtures (tests/fixtures/embed, served as /models/ with --models), compared
// with the native CLI over the same files (`sotto index add`, `sotto ask --extractive --json`):
//   * the page loads (engine and model in its worker), axe-core clean;
//   * a .txt, a .md, an .html and a .pdf file added through the file input: each listed with the passage count `sotto
//     index add` stores for it; the PDF's passages (page, byte offsets, text) == the native index's, read from its
//     SQLite file (SQLite's wasm build in Node), its text layer read by pdf.js in the page and by poppler natively;
//     a PDF without a text layer, an encrypted one, a corrupt one, a binary .txt and an unsupported file each one
//     line, as the CLI words it, the others indexed;
//   * questions (one per document, one not found): the answer shown == the native answer, each citation's verdict ==
//     native, and the highlighted text == the native citation's bytes of its passage; axe-core clean with the answer;
//   * the index is kept: after a reload the documents are listed and the answer is the same;
//   * the same file again: unchanged; a changed file: its passages replaced (count == index add's), answers from
//     the new text == native;
//   * removing a document: gone from the list, and its question is then not found, as after `sotto index rm`;
//   * a folder (the directory picker): its readable files named by their path in it, passages as `index add` of the
//     folder, the rest left out and counted; a question over it == native;
//   * an answer written elsewhere (a quote, a paraphrase, an unknown document, a missing page, a document by the tail
//     of its path) checked in the page == `sotto ask --check --json`: verdicts, reasons, highlights;
//   * a model that is not an embedding model: one line as `sotto embed` words it, the stored index untouched; another
//     embedding model: the stored index (another model's vectors) emptied, and said so;
//   * privacy: every request is a GET of this origin's page, engine or model files, and once the engine is ready
//     adding, asking, removing and reloading's own work make no request but the reload's page, engine and model.
// Usage: node tests/web/rag.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR; under flock
// /tmp/sotto-browser.lock). Prints `N passed, M failed`. ~10 s.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { makePdf, linesAt } from './rag-pdf.mjs';
import { startServe } from './serve.mjs';
import { axeClean, launchChromium, until as untilIn, watchedContext as watchedContextOf } from './page-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const dir = join(root, 'tests', 'fixtures', 'embed');
const MODEL = 'bert-f32.gguf';
execFileSync('bash', [join(root, 'web', 'rag', 'vendor.sh')], { stdio: 'inherit' });  // pdf.js, SQLite wasm (npm)
const { default: sqlite3Init } = await import(join(root, 'web', 'rag', 'vendor', 'node_modules', '@sqlite.org', 'sqlite-wasm', 'dist', 'node.mjs'));
const sqlite3 = await sqlite3Init();
const tmp = mkdtempSync(join(tmpdir(), 'sotto-rag-page-'));

// An SQLite file's rows (SQLite's own wasm build, opened from the file's bytes; nothing written back).
function sqliteRows(file, sql, bind = []) {
  const bytes = new Uint8Array(readFileSync(file));
  const db = new sqlite3.oo1.DB();
  try {
    const p = sqlite3.wasm.allocFromTypedArray(bytes);
    const { capi } = sqlite3;
    const rc = capi.sqlite3_deserialize(db.pointer, 'main', p, bytes.length, bytes.length,
                                        capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_READONLY);
    if (rc) throw new Error(`${file}: sqlite3_deserialize: ${rc}`);
    return db.selectObjects(sql, bind).map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

const docs = {
  'invoices.md': '# Invoice handling\n\nInvoices are payable within thirty days of receipt. Late invoices incur interest of 2% per month.\n\nInvoices over 10,000 EUR need the approval of the finance director before payment. Invoices are not payable in cash.\n',
  'leave.txt': 'Staff leave policy.\n\nEvery employee receives twenty-five days of paid annual leave per calendar year. Unused leave of up to five days may be carried over into the next year, and any further unused days lapse on 31 March.\n\nSick leave does not count against annual leave. A medical certificate is required after three consecutive days of absence.\n',
  'records.html': '<!doctype html><html><head><title>Records</title><style>p { color: red }</style></head><body><h1>Patient records</h1>\n<p>Patient records are kept for ten years after the last treatment.\n   Records of minors are kept until the patient turns <b>twenty-eight</b>.</p><ul><li>Access to a patient file is logged.</li><li>The log is reviewed every quarter by the data protection officer.</li></ul><script>var x = "not text";</script></body></html>\n',
};
// A PDF with what poppler's layout keeps: a heading, paragraphs, an indented item, a table, a superscript, accents,
// kerning, an empty page; written here (rag-pdf.mjs), no PDF tool needed.
const handbook = [
  [{ text: 'Expenses handbook', x: 220, y: 740, size: 16, font: 'F2' },
   ...linesAt([{ text: 'Travel expenses are reimbursed when the claim is filed within sixty days of the trip.' },
               { text: 'Receipts are required for every item over twenty-five euros, including taxi fares.' },
               { text: '- Hotel bills must show the room rate and the dates of the stay.', x: 90 },
               { text: 'The caf\u00e9 allowance in Z\u00fcrich is a na\u00efve r\u00e9sum\u00e9 of daily costs.', font: 'F3', size: 12, gap: 6 },
               { text: 'Kil|ometre allow|ances are paid at the standard rate.', kern: 30 }], { top: 700 }),
   { text: 'Item', x: 72, y: 560, font: 'F2' }, { text: 'Rate', x: 300, y: 560, font: 'F2' },
   { text: 'Breakfast', x: 72, y: 544 }, { text: '12 EUR', x: 300, y: 544 },
   { text: 'Dinner', x: 72, y: 528 }, { text: '30 EUR', x: 300, y: 528 },
   { text: 'See note', x: 72, y: 500 }, { text: '2', x: 118, y: 505, size: 7 }, { text: 'below.', x: 124, y: 500 }],
  [],
  linesAt([{ text: 'Claims filed late are refused unless the finance director approves an exception in writing.' },
           { text: 'Approved claims are paid with the next monthly salary.', gap: 10 }]),
];
const pdfs = { 'handbook.pdf': makePdf(handbook) };
const names = [...Object.keys(docs), ...Object.keys(pdfs)].sort();
for (const n of Object.keys(docs)) writeFileSync(join(tmp, n), docs[n]);
for (const n of Object.keys(pdfs)) writeFileSync(join(tmp, n), pdfs[n]);
writeFileSync(join(tmp, 'scan.pdf'), makePdf([[], []]));  // pages without a text layer
writeFileSync(join(tmp, 'locked.pdf'), makePdf(handbook, { encrypted: true }));
writeFileSync(join(tmp, 'broken.pdf'), '%PDF-1.4\n%%EOF\n');
writeFileSync(join(tmp, 'blob.txt'), Buffer.from([0x41, 0x00, 0x42]));
writeFileSync(join(tmp, 'notes.docx'), 'PK');
const db = join(tmp, 'i.sqlite');
const run = (args) => execFileSync(sotto, args, { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
run(['index', 'add', ...names.map((n) => join(tmp, n)), '--db', db, '-m', join(dir, MODEL), '-q', '-t', '1']);
const nativeError = (file) => {
  try {
    run(['index', 'add', join(tmp, file), '--db', join(tmp, 'errors.sqlite'), '-m', join(dir, MODEL), '-q', '-t', '1']);
  } catch (e) {
    return e.stderr.toString().trim().replace(/^sotto: /, '').replace(`${tmp}/`, '');
  }
  return 'indexed';
};
const nativeAsk = (q) => JSON.parse(run(['ask', q, '--index', db, '--extractive', '--json', '-q']));

const { server, origin } = await startServe(sotto, ['--port', '0', '--wasm-dir', wasmDir, '--models', dir, '-q']);
const browser = await launchChromium(chromium);
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

const allowed = [/^\/rag\/(index\.html)?$/, /^\/rag\/[a-z-]+\.(mjs|css)$/, /^\/rag\/schema\.sql$/, /^\/rag\/vendor\/(pdf|pdf-worker)\.mjs$/,
                 /^\/rag\/vendor\/(sqlite3\.mjs|sqlite3\.wasm|sqlite3-opfs-async-proxy\.js)$/, /^\/[a-z-]+\.(mjs|css)$/,
                 /^\/wasm\/(sotto|rag|threads-host|thread-worker|relaxed-simd)\.mjs$/, /^\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/,
                 /^\/models\/(bert-f32|bert-q8_0|wordpiece-uncased)\.gguf$/];
const { ctx, log } = await watchedContextOf(browser, origin, allowed, { viewport: { width: 1000, height: 900 } });
const until = (page, fn, arg, timeout = 30000) => untilIn(page, fn, arg, timeout, ['engine-status', 'index-status', 'ask-error']);
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

async function ask(q) {
  const n = Number(await page.evaluate(() => document.body.dataset.answered || 0));
  await page.fill('#question', q);
  await page.press('#question', 'Enter');  // the keyboard submits the form
  await until(page, (k) => Number(document.body.dataset.answered || 0) > k, n);
  return page.evaluate(() => ({
    answer: document.getElementById('answer').textContent,
    error: document.getElementById('ask-error').textContent,
    citations: [...document.querySelectorAll('#citations > li')].map((li) => ({
      verdict: li.querySelector('.verdict')?.textContent ?? li.textContent,
      head: li.querySelector('div')?.textContent ?? '',
      mark: li.querySelector('mark')?.textContent ?? null,
    })),
    flagged: [...document.querySelectorAll('#flagged li')].map((li) => li.textContent),
  }));
}

// The page's answer against the native JSON: the answer, each citation's document (by name), verdict, and the
// highlighted text == the native citation's bytes of its passage.
function sameAsNative(got, ref, { paths = 'relative' } = {}) {
  assert.equal(got.error, '');
  assert.equal(got.answer, ref.answer);
  if (ref.citations.length === 0) {
    assert.equal(got.citations.length, 1);
    assert.match(got.citations[0].verdict, /^None/);
    return;
  }
  assert.equal(got.citations.length, ref.citations.length);
  ref.citations.forEach((c, i) => {
    const g = got.citations[i];
    assert.ok(g.head.includes(`— ${c.document.startsWith('/') && paths === 'relative' ? relative(tmp, c.document) : c.document}, page ${c.page}: “${c.quote}”`), `citation ${i + 1}: ${g.head}`);
    assert.equal(g.verdict.startsWith('✓'), c.supported, `citation ${i + 1}: ${g.verdict}`);
    if (c.supported) {
      const p = ref.passages[c.passage - 1];
      const want = Buffer.from(p.text).subarray(c.begin - p.begin, c.end - p.begin).toString();
      assert.equal(g.mark, want, `citation ${i + 1}: highlighted "${g.mark}", native "${want}"`);
    }
  });
  assert.equal(got.flagged.length, ref.n_flagged);
}

let readyRequests = 0;
await step('the page loads: engine and model in its worker; axe-core clean', async () => {
  await page.goto(`${origin}/rag/#model=${MODEL}`);
  await until(page, () => document.body.dataset.engine === 'ready', null, 60000);
  assert.match(await page.textContent('#engine-status'), /^Ready \(bert-f32\.gguf, 64 dims, \d+ threads?\)$/);
  await axeClean(page, 'ready');
  readyRequests = log.requests.length;
});

await step('files added: passages as sotto index add stores them; bad PDFs, a binary file, a .docx each one line', async () => {
  const bad = ['scan.pdf', 'locked.pdf', 'broken.pdf', 'blob.txt', 'notes.docx'];
  await page.setInputFiles('#files', [...names, ...bad].map((n) => join(tmp, n)));
  await until(page, (k) => Number(document.body.dataset.indexed || 0) >= k && !document.body.dataset.busy, names.length + bad.length);
  const rows = await page.$$eval('#docs tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(0, 2).map((c) => c.textContent)));
  const listed = JSON.parse(run(['index', 'ls', '--db', db, '--json']));
  const want = listed.documents.map((d) => [basename(d.path), String(d.passages)]).sort();
  assert.deepEqual(rows.sort(), want);
  const errors = await page.$$eval('#index-errors li', (lis) => lis.map((li) => li.textContent));
  assert.deepEqual(errors.sort(), [
    'blob.txt: binary data (a NUL byte), not text',
    'broken.pdf: corrupt PDF (pdf.js cannot read it: Invalid PDF structure.)',
    nativeError('locked.pdf'),  // x.pdf: encrypted PDF (needs a password); decrypt it first
    'notes.docx: unsupported file type \'.docx\' (this page reads .txt, .md, .html, .htm, .pdf)',
    nativeError('scan.pdf'),  // x.pdf: no text layer in its 2 page(s) (a scanned PDF? run OCR on it first)
  ]);
  assert.match(nativeError('broken.pdf'), /^broken\.pdf: corrupt PDF \(poppler cannot read it\)$/);
});

// The page's index file, saved through its button (a download of the worker's SQLite database), and a document's
// passages in it.
let saves = 0;
async function savedIndex(p = page) {
  const [dl] = await Promise.all([p.waitForEvent('download'), p.click('#save-index')]);
  const file = join(tmp, `page-${++saves}.sqlite`);
  await dl.saveAs(file);
  return file;
}
const PASSAGES = 'SELECT c.page, c.begin, c.end, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ? ORDER BY c.id';
const pagePassages = async (name) => sqliteRows(await savedIndex(), PASSAGES, [name]);

await step('a PDF: pages and passages (page, byte offsets, text) == the native index\'s (pdf.js here, poppler there)', async () => {
  const want = sqliteRows(db, PASSAGES, [join(tmp, 'handbook.pdf')]);
  assert.ok(want.length > 3 && new Set(want.map((p) => p.page)).size === 2, `native passages: ${JSON.stringify(want).slice(0, 200)}`);
  assert.ok(!want.some((p) => p.page === 2), 'the empty page 2 has passages');
  const got = await pagePassages('handbook.pdf');
  assert.deepEqual(got, want);
  // the layout poppler keeps is in them: the table's columns, the indent, the accents, the superscript on its line
  const all = want.map((p) => p.text).join('\n');
  for (const re of [/Breakfast {10,}12 EUR/, /\n {2,}- Hotel bills/, /caf\u00e9 allowance in Z\u00fcrich/, /See note 2 below\./]) {
    assert.match(all, re);
  }
});

const questions = ['How many days of annual leave does an employee receive?', 'Are invoices payable in cash?',
                   'How long are patient records kept?', 'What is the boiling point of mercury?',
                   'When are approved claims paid?', 'Within how many days must a travel claim be filed?'];
await step('answers == sotto ask --extractive --json: text, verdicts, highlights; axe-core clean', async () => {
  for (const q of questions) sameAsNative(await ask(q), nativeAsk(q));
  const last = await ask(questions[0]);
  assert.ok(last.citations.length > 0 && last.citations.every((c) => c.verdict.startsWith('✓')), 'the leave answer has no supported citation');
  await axeClean(page, 'answered');
});

// sotto search's top 8 over an index file: the passages and their ranks (the scores apart: the page's vectors are the
// wasm build's, equal to native within 1e-6, rag.test.mjs in tests/wasm)
const searchHits = (file, q) => JSON.parse(run(['search', q, '--db', file, '-k', '8', '--json', '-m', join(dir, MODEL)])).results
  .map((h) => ({ document: basename(h.document), page: h.page, begin: h.begin, end: h.end, text: h.text,
                 bm25_rank: h.bm25_rank, dense_rank: h.dense_rank, scores: [h.bm25, h.dense, h.fused] }));
function sameHits(got, want, q) {
  assert.deepEqual(got.map(({ scores, ...h }) => h), want.map(({ scores, ...h }) => h), q);
  got.forEach((h, i) => h.scores.forEach((v, k) => assert.ok(Math.abs(v - want[i].scores[k]) < 1e-5, `${q}: hit ${i + 1} score ${k}: ${v} vs ${want[i].scores[k]}`)));
}
await step('the page\'s index file (SQLite, the native schema) opens in sotto: ls, search and ask == the native index', async () => {
  const file = await savedIndex();
  const ls = (f) => JSON.parse(run(['index', 'ls', '--db', f, '--json'])).documents.map((d) => [basename(d.path), d.passages, d.pages, d.sha256]);
  assert.deepEqual(ls(file), ls(db));
  for (const q of questions) {
    sameHits(searchHits(file, q), searchHits(db, q), q);
    const ref = JSON.parse(run(['ask', q, '--index', file, '--extractive', '--json', '-q', '--embed-model', join(dir, MODEL)]));
    sameAsNative(await ask(q), ref);
  }
  assert.equal(sqliteRows(file, 'PRAGMA application_id')[0].application_id, 0x536F7474);
  assert.equal(await page.getAttribute('body', 'data-storage'), 'opfs');
  assert.match(await page.textContent('#storage'), /OPFS/);
});

let beforeReload = 0;
await step('kept in this browser: after a reload the documents and the answers are the same', async () => {
  beforeReload = log.requests.length;
  await page.reload();
  await until(page, () => document.body.dataset.engine === 'ready', null, 60000);
  assert.equal(await page.$$eval('#docs tbody tr', (trs) => trs.length), names.length);
  sameAsNative(await ask(questions[2]), nativeAsk(questions[2]));
});

await step('a document removed is gone: its question is not found, as after sotto index rm', async () => {
  await page.click('button[aria-label="Remove records.html"]');
  await until(page, () => ![...document.querySelectorAll('#docs tbody td')].some((td) => td.textContent === 'records.html') && !document.body.dataset.busy);
  run(['index', 'rm', join(tmp, 'records.html'), '--db', db]);
  const ref = nativeAsk(questions[2]);
  sameAsNative(await ask(questions[2]), ref);
  assert.ok(!ref.passages.some((p) => p.document.endsWith('records.html')), 'native still has the removed document');
  const file = await savedIndex();
  assert.deepEqual(sqliteRows(file, "SELECT count(*) n FROM documents WHERE path = 'records.html'"), [{ n: 0 }]);
  assert.deepEqual(sqliteRows(file, "SELECT count(*) n FROM chunks_fts WHERE chunks_fts MATCH 'minors OR quarter'"), [{ n: 0 }]);
  assert.deepEqual(sqliteRows(db, "SELECT count(*) n FROM chunks_fts WHERE chunks_fts MATCH 'minors OR quarter'"), [{ n: 0 }]);
  assert.ok(sqliteRows(file, "SELECT count(*) n FROM chunks_fts WHERE chunks_fts MATCH 'leave'")[0].n > 0);
});

await step('a folder: its .txt/.md/.html/.pdf files indexed by their path in it, the others left out and counted', async () => {
  const more = join(tmp, 'more');
  mkdirSync(join(more, 'sub'), { recursive: true });
  writeFileSync(join(more, 'policy.txt'), 'Visitors sign in at the front desk and wear a badge at all times.\n');
  writeFileSync(join(more, 'sub', 'note.md'), '# Note\n\nBackups are encrypted and kept off site for ninety days.\n');
  writeFileSync(join(more, 'photo.png'), 'not read');
  writeFileSync(join(more, 'sub', 'form.pdf'), makePdf([linesAt([{ text: 'Parking permits are renewed every January at the facilities office.' }])]));
  const n = Number(await page.evaluate(() => document.body.dataset.indexed || 0));
  await page.setInputFiles('#folder', more);
  await until(page, (k) => Number(document.body.dataset.indexed || 0) >= k + 3 && !document.body.dataset.busy, n);
  const rows = await page.$$eval('#docs tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(0, 2).map((c) => c.textContent)));
  run(['index', 'add', more, '--db', db, '-q', '-t', '1']);
  const listed = JSON.parse(run(['index', 'ls', '--db', db, '--json'])).documents;
  for (const [name, file] of [['more/policy.txt', join(more, 'policy.txt')], ['more/sub/note.md', join(more, 'sub', 'note.md')],
                              ['more/sub/form.pdf', join(more, 'sub', 'form.pdf')]]) {
    const d = listed.find((x) => x.path === file);
    assert.ok(d, `native did not index ${file}`);
    assert.deepEqual(rows.find((r) => r[0] === name), [name, String(d.passages)]);
  }
  assert.deepEqual(await page.$$eval('#index-errors li', (lis) => lis.map((li) => li.textContent)),
                   ['1 file of the folder left out (not .txt, .md, .html or .pdf)']);
  sameAsNative(await ask('How long are backups kept?'), nativeAsk('How long are backups kept?'));
  sameAsNative(await ask('When are parking permits renewed?'), nativeAsk('When are parking permits renewed?'));
});

await step('the same file again is unchanged; a changed one replaces its passages, as index add does', async () => {
  const add = async (file) => {
    const n = Number(await page.evaluate(() => document.body.dataset.indexed || 0));
    await page.setInputFiles('#files', file);
    await until(page, (k) => Number(document.body.dataset.indexed || 0) > k && !document.body.dataset.busy, n);
    return page.textContent('#index-status');
  };
  const inv = join(tmp, 'invoices.md');
  assert.equal(await add(inv), 'File 1 of 1, invoices.md: unchanged');
  writeFileSync(inv, docs['invoices.md'].replace('thirty days', 'sixty days').replace('in cash', 'in cash or by cheque'));
  assert.match(await add(inv), /^File 1 of 1, invoices\.md: \d+ passages replaced \(\d+\.\d\d s\)$/);
  assert.match(run(['index', 'add', inv, '--db', db, '-t', '1']), /replaced 1/);
  const listed = JSON.parse(run(['index', 'ls', '--db', db, '--json'])).documents;
  const rows = await page.$$eval('#docs tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(0, 2).map((c) => c.textContent)));
  assert.deepEqual(rows.find((r) => r[0] === 'invoices.md'), ['invoices.md', String(listed.find((d) => d.path === inv).passages)]);
  const q = 'Are invoices payable in cash?';
  const got = await ask(q);
  sameAsNative(got, nativeAsk(q));
  assert.ok(got.answer.includes('sixty days') || got.answer.includes('cheque'), `the old text answered: ${got.answer}`);
});

await step('an answer written elsewhere, checked: verdicts, reasons and highlights == sotto ask --check --json', async () => {
  const answer = {
    answer: 'Employees get twenty-five days of paid annual leave [1]. Unused days carry over without limit [2]. Backups are kept for ninety days [5].',
    citations: [
      { document: 'leave.txt', page: 1, quote: 'twenty-five days of paid annual leave' },
      { document: 'leave.txt', page: 1, quote: 'all unused days carry over' },
      { document: 'nope.txt', page: 1, quote: 'anything at all' },
      { document: 'leave.txt', page: 2, quote: 'Staff leave policy' },
      { document: 'note.md', page: 1, quote: 'kept off site for ninety days' },
    ],
  };
  const file = join(tmp, 'answer.json');
  writeFileSync(file, JSON.stringify(answer));
  const ref = JSON.parse(run(['ask', 'x', '--index', db, '--check', file, '--json']));
  await page.click('#check-box summary');
  await page.fill('#check-json', JSON.stringify(answer));
  const n = Number(await page.evaluate(() => document.body.dataset.answered || 0));
  await page.click('#check');
  await until(page, (k) => Number(document.body.dataset.answered || 0) > k, n);
  const got = await page.evaluate(() => ({
    answer: document.getElementById('answer').textContent,
    error: document.getElementById('ask-error').textContent,
    citations: [...document.querySelectorAll('#citations > li')].map((li) => ({
      verdict: li.querySelector('.verdict')?.textContent ?? li.textContent,
      head: li.querySelector('div')?.textContent ?? '',
      mark: li.querySelector('mark')?.textContent ?? null,
    })),
    flagged: [...document.querySelectorAll('#flagged li')].map((li) => li.textContent),
  }));
  sameAsNative(got, ref);
  assert.deepEqual(got.citations.map((c) => c.verdict), ref.citations.map((c) => (c.supported ? '✓ Supported' : `✗ Not supported: ${c.why}`)));
  assert.deepEqual(ref.citations.map((c) => c.supported), [true, false, false, false, true]);
  await axeClean(page, 'checked');
});

await step('privacy: only this origin\'s page, engine and model files; nothing else after ready', async () => {
  assert.deepEqual(log.violations, []);
  // adding files, asking and answering between ready and the reload made no request but the PDF reader's two files
  // (pdf.js and its worker, fetched from this origin when the first PDF is read)
  assert.deepEqual(log.requests.slice(readyRequests, beforeReload), [`GET ${origin}/rag/vendor/pdf.mjs`, `GET ${origin}/rag/vendor/pdf-worker.mjs`]);
  // the reload fetches the page, its scripts and the engine (the model comes from the Cache API), all checked above
  assert.ok(log.requests.slice(beforeReload).every((r) => r.startsWith(`GET ${origin}/`)));
  assert.deepEqual(pageErrors, []);
});

await step('a model that is not an embedder: one line as the CLI words it; the stored index is untouched', async () => {
  const p2 = await ctx.newPage();
  await p2.goto(`${origin}/rag/#model=wordpiece-uncased.gguf`);
  await until(p2, () => document.body.dataset.engine === 'error');
  const want = `The model could not be loaded: wordpiece-uncased.gguf: not an embedding model (general.architecture is '', expected 'bert', or a decoder with {arch}.pooling_type such as Qwen3-Embedding)`;
  assert.equal(await p2.textContent('#engine-status'), want);
  await p2.goto('about:blank');  // (a new fragment alone would not load the page again)
  await p2.goto(`${origin}/rag/#model=${MODEL}`);
  await until(p2, () => document.body.dataset.engine === 'ready');
  assert.equal(await p2.$$eval('#docs tbody tr', (trs) => trs.length), names.length - 1 + 3);
  await p2.close();
});

await step('another embedding model: the index made with the first one is emptied, and the status says so', async () => {
  await page.goto('about:blank');
  await page.goto(`${origin}/rag/#model=bert-q8_0.gguf`);
  await until(page, () => document.body.dataset.engine === 'ready');
  assert.match(await page.textContent('#engine-status'), /; the 6 stored documents were indexed with another model and have been cleared$/);
  assert.equal(await page.$$eval('#docs tbody tr', (trs) => trs.length), 0);
});

await step('a native index file opens in the page: listed, answered == sotto ask; bad files one line, the index kept', async () => {
  const open = async (file) => {
    const n = Number(await page.evaluate(() => document.body.dataset.indexed || 0));
    await page.setInputFiles('#open-index', file);
    await until(page, () => !document.body.dataset.busy && (document.getElementById('index-status').textContent.includes('opened') ||
                                                              document.querySelector('#index-errors li')));
    return page.$$eval('#index-errors li', (lis) => lis.map((li) => li.textContent));
  };
  // made with another model than the page's (bert-q8_0 now): refused, nothing changes
  await open(db);
  assert.match((await page.$$eval('#index-errors li', (lis) => lis.map((li) => li.textContent)))[0], /^i\.sqlite: not made with this page's embedding model \(made with '.*', 64 dims, sha256 [0-9a-f]{12}\.\.\.; this is 'bert-q8_0\.gguf', 64 dims, sha256 [0-9a-f]{12}\.\.\.\)$/);
  const garbage = join(tmp, 'garbage.sqlite');
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  const other = join(tmp, 'other.sqlite');
  const odb = new sqlite3.oo1.DB(':memory:');
  odb.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1);');
  writeFileSync(other, sqlite3.capi.sqlite3_js_db_export(odb));
  odb.close();
  const nativeLs = (f) => { try { run(['index', 'ls', '--db', f]); return 'read'; } catch (e) { return e.stderr.toString().trim().replace(/^sotto: /, '').replace(`${tmp}/`, ''); } };
  assert.deepEqual(await open(garbage), [nativeLs(garbage)]);
  assert.deepEqual(await open(other), [nativeLs(other)]);
  // with the index's model: opened, listed as sotto index ls, answers == sotto ask over the same file
  await page.goto('about:blank');
  await page.goto(`${origin}/rag/#model=${MODEL}`);
  await until(page, () => document.body.dataset.engine === 'ready');
  assert.deepEqual(await open(db), []);
  const rows = await page.$$eval('#docs tbody tr', (trs) => trs.map((tr) => [...tr.cells].slice(0, 2).map((c) => c.textContent)));
  assert.deepEqual(rows, JSON.parse(run(['index', 'ls', '--db', db, '--json'])).documents.map((d) => [d.path, String(d.passages)]));
  for (const q of [...questions, 'How long are backups kept?']) sameAsNative(await ask(q), nativeAsk(q), { paths: 'as-is' });
  // kept over a reload (the file on OPFS)
  await page.reload();
  await until(page, () => document.body.dataset.engine === 'ready');
  sameAsNative(await ask(questions[5]), nativeAsk(questions[5]), { paths: 'as-is' });
});

await step('without OPFS (#storage=indexeddb): the index in memory, saved to IndexedDB; kept over a reload; opens in sotto', async () => {
  const p3 = await ctx.newPage();
  await p3.goto(`${origin}/rag/#model=${MODEL}&storage=indexeddb`);
  await until(p3, () => document.body.dataset.engine === 'ready');
  assert.equal(await p3.getAttribute('body', 'data-storage'), 'indexeddb');
  assert.match(await p3.textContent('#storage'), /IndexedDB/);
  await p3.setInputFiles('#files', [join(tmp, 'leave.txt'), join(tmp, 'handbook.pdf')]);
  await until(p3, () => Number(document.body.dataset.indexed || 0) >= 2 && !document.body.dataset.busy);
  await p3.reload();
  await until(p3, () => document.body.dataset.engine === 'ready');
  assert.equal(await p3.$$eval('#docs tbody tr', (trs) => trs.length), 2);
  const file = await savedIndex(p3);
  assert.deepEqual(sqliteRows(file, PASSAGES, ['handbook.pdf']), sqliteRows(db, PASSAGES, [join(tmp, 'handbook.pdf')]));
  const listed = JSON.parse(run(['index', 'ls', '--db', db, '--json'])).documents;
  assert.deepEqual(JSON.parse(run(['index', 'ls', '--db', file, '--json'])).documents.map((d) => [d.path, d.passages]),
                   ['handbook.pdf', 'leave.txt'].map((n) => [n, listed.find((d) => d.path === join(tmp, n)).passages]));
  await p3.close();
});

await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());
