// rag.test.mjs — private retrieval in the wasm build (wasm/rag-abi.cpp, wasm/rag.mjs, web/rag/search.mjs) against the
// native CLI on the same files:
//   * embeddings: SottoEmbed.embed == `sotto embed --json` for the BERT fixtures (f32, f16, q8_0; the model's pooling
//     and --pooling mean) and the decoder embedder (qwen3-embed f32, q8_0), max |diff| within a stated tolerance;
//   * chunking: SottoEmbed.words + chunkPage == the passages `sotto index add --chunk-tokens 48 --overlap 10` stores
//     (every passage's document, offsets and text, listed by `sotto search -k 500`);
//   * search: web/rag/search.mjs over the wasm vectors == `sotto search --json` (same passages in the same order,
//     the same BM25 and dense ranks, BM25 and cosine within 1e-6, fused equal);
//   * answers: SottoRag.answer over the passages native retrieval chose == `sotto ask --extractive --json`, whole JSON
//     (three questions, one not found); and over the passages the JS search chose (the page's whole path);
//   * checks: SottoRag.check of a hand-written answer (a quote, a paraphrase, another document's quote) over the
//     passages of the cited pages == `sotto ask --check --json`;
//   * bad input: a language model as the embedder, an empty text, an over-long text, malformed requests: one-line
//     Errors, and the next call works.
// Usage: node tests/wasm/rag.test.mjs [sotto.wasm] [native sotto]   (~5 s)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { SottoEmbed, SottoRag, chunkPage } from '../../wasm/rag.mjs';
import { search } from '../../web/rag/search.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const native = process.argv[3] ?? join(root, 'build', 'sotto');
const fixtures = join(root, 'tests', 'fixtures');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);
const run = (args) => execFileSync(native, args, { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const nativeError = (args) => {
  try { run(args); } catch (e) { return e.stderr.toString().trim(); }
  throw new Error(`${args.join(' ')}: did not fail`);
};

const texts = [
  'Invoices are payable within thirty days of receipt.',
  'blood pressure 120/80, pulse 72',
  'Café naïve résumé — über straße',
  'A medical certificate is required after three days.',
  'x',
];

// ---- embeddings
const cases = [
  // [file, pooling, tolerance]: f32/f16 differ only in summation order (wasm SIMD128 vs AVX2); q8_0 also in the
  // activations' 8-bit rounding where a value sits on a rounding boundary.
  ['embed/bert-f32.gguf', 'model', 1e-6],
  ['embed/bert-f16.gguf', 'model', 1e-6],
  ['embed/bert-q8_0.gguf', 'model', 1e-3],
  ['embed/bert-f32.gguf', 'mean', 1e-6],
  ['embed/qwen3-embed-f32.gguf', 'model', 1e-6],
  ['embed/qwen3-embed-q8_0.gguf', 'model', 1e-3],
];
const maxDiff = {};
for (const [file, pooling, tol] of cases) {
  await test(`embed: wasm == sotto embed --json (${file}, pooling ${pooling}, tolerance ${tol})`, async () => {
    const emb = await SottoEmbed.create(wasmModule);
    await emb.load(readFileSync(join(fixtures, file)), { name: file });
    const vecs = await emb.embed(texts, { pooling });
    const args = ['embed', '-m', join(fixtures, file), '--json', '-t', '1', ...texts.flatMap((t) => ['-p', t])];
    if (pooling !== 'model') args.push('--pooling', pooling);
    const ref = JSON.parse(run(args));
    check(ref.embeddings.length === vecs.length && ref.n_embd === emb.info.n_embd, `${vecs.length} vectors of ${emb.info.n_embd}, native ${ref.embeddings.length} of ${ref.n_embd}`);
    let d = 0;
    ref.embeddings.forEach((r, i) => r.forEach((x, j) => { d = Math.max(d, Math.abs(x - vecs[i][j])); }));
    maxDiff[`${file} ${pooling}`] = d;
    check(d <= tol, `max |diff| ${d.toExponential(2)} > ${tol}`);
    emb.dispose();
  });
}
console.log(`      max |diff| wasm vs native: ${Object.entries(maxDiff).map(([k, v]) => `${k} ${v.toExponential(1)}`).join('; ')}`);

// ---- a small corpus indexed natively and in wasm
const dir = mkdtempSync(join(tmpdir(), 'sotto-rag-'));
const docs = {
  'leave.txt': 'Staff leave policy.\n\nEvery employee receives twenty-five days of paid annual leave per calendar year. Unused leave of up to five days may be carried over into the next year, and any further unused days lapse on 31 March.\n\nSick leave does not count against annual leave. A medical certificate is required after three consecutive days of absence.\n',
  'invoices.md': '# Invoice handling\n\nInvoices are payable within thirty days of receipt. Late invoices incur interest of 2% per month.\n\nInvoices over 10,000 EUR need the approval of the finance director before payment. Invoices are not payable in cash.\n',
  'notes.txt': 'Notes from the café: the naïve résumé of Zoë Müller was filed under CAFÉ. Über-long entries — like this one — are cut; ŒUVRE, œuvre and Straße stay.\n',
  'records.txt': 'Patient records are kept for ten years after the last treatment. Records of minors are kept until the patient turns twenty-eight.\nAccess to a patient file is logged, and the log is reviewed every quarter by the data protection officer.\n',
};
const names = Object.keys(docs).sort();  // the order `index add` walks a folder
for (const n of names) writeFileSync(join(dir, n), docs[n]);
const db = join(dir, 'i.sqlite');
const model = join(fixtures, 'embed', 'bert-f32.gguf');
run(['index', 'add', ...names.map((n) => join(dir, n)), '--db', db, '-m', model, '--chunk-tokens', '48', '--overlap', '10', '-q', '-t', '1']);

const emb = await SottoEmbed.create(wasmModule);
await emb.load(readFileSync(model), { name: 'bert-f32.gguf' });
const rag = await SottoRag.create(wasmModule);
const passages = [];
for (const n of names) {
  const chunks = chunkPage(docs[n], await emb.words(docs[n]), { maxTokens: 48, overlap: 10 });
  const vecs = await emb.embed(chunks.map((c) => c.text), { truncate: true });
  chunks.forEach((c, i) => passages.push({ id: passages.length + 1, document: join(dir, n), page: 1, ...c, vector: vecs[i] }));
}

await test('chunking: wasm words + chunkPage == the passages sotto index add stored', async () => {
  const all = JSON.parse(run(['search', 'leave', '--db', db, '-k', '500', '--candidates', '500', '--json'])).results;
  const key = (p) => `${p.document}|${p.page}|${p.begin}|${p.end}|${p.text}`;
  const a = passages.map(key).sort(), b = all.map(key).sort();
  check(a.length > 6, `only ${a.length} passages`);
  check(JSON.stringify(a) === JSON.stringify(b), `${a.length} passages, native ${b.length}; first difference: ${a.find((x, i) => x !== b[i])}`);
});

const queries = ['How many days of annual leave does an employee receive?', 'invoices payable cash', 'patient records kept years',
                 'Who reviews the access log?', 'quantum chromodynamics', 'cafe RÉSUMÉ naive zoe', 'uber oeuvre œuvre strasse straße',
                 'müller\'s "files" (AND OR NOT) café*'];
const qvec = async (q) => (await emb.embed([q], { truncate: true }))[0];
for (const q of queries) {
  await test(`search: search.mjs over wasm vectors == sotto search --json ("${q}")`, async () => {
    const ref = JSON.parse(run(['search', q, '--db', db, '-k', '8', '--json'])).results;
    const got = search(passages, q, await qvec(q), { k: 8 });
    check(got.length === ref.length, `${got.length} hits, native ${ref.length}`);
    ref.forEach((r, i) => {
      const g = got[i];
      const where = `hit ${i + 1}: ${g.document}@${g.begin} (bm25 #${g.bm25_rank} ${g.bm25}, dense #${g.dense_rank} ${g.dense}), native ${r.document}@${r.begin} (bm25 #${r.bm25_rank} ${r.bm25}, dense #${r.dense_rank} ${r.dense})`;
      check(g.document === r.document && g.begin === r.begin && g.end === r.end, where);
      check(g.bm25_rank === (r.bm25_rank ?? 0) && g.dense_rank === (r.dense_rank ?? 0), where);
      check(Math.abs(g.bm25 - (r.bm25 ?? 0)) <= 1e-6 && Math.abs(g.dense - r.dense) <= 1e-6 && g.fused === r.fused, where);
    });
  });
}

const questions = ['How many days of annual leave does an employee receive?', 'Are invoices payable in cash?',
                   'What is the boiling point of mercury?'];
for (const q of questions) {
  await test(`answer: SottoRag.answer == sotto ask --extractive --json ("${q}")`, async () => {
    const ref = JSON.parse(run(['ask', q, '--index', db, '--extractive', '--json', '-q']));
    const got = await rag.answer(q, ref.passages);
    check(JSON.stringify(got) === JSON.stringify(ref), `wasm ${JSON.stringify(got).slice(0, 400)} | native ${JSON.stringify(ref).slice(0, 400)}`);
    const mine = await rag.answer(q, search(passages, q, await qvec(q), { k: 5 }));
    check(JSON.stringify(mine) === JSON.stringify(ref), `over the JS search's passages: ${JSON.stringify(mine).slice(0, 400)}`);
    if (q.includes('mercury')) check(ref.not_found && ref.citations.length === 0, 'expected not found');
    else check(ref.n_supported > 0 && !ref.not_found, 'expected a supported answer');
  });
}

await test('check: SottoRag.check == sotto ask --check --json (a quote, a paraphrase, another document\'s quote)', async () => {
  const leave = join(dir, 'leave.txt'), inv = join(dir, 'invoices.md');
  const answer = {
    answer: 'Employees get twenty-five days of paid annual leave [1]. Unused days are carried forward without limit [2]. Invoices are payable within thirty days [3].',
    citations: [
      { document: leave, page: 1, quote: 'twenty-five days of paid annual leave' },
      { document: leave, page: 1, quote: 'all unused days are carried forward' },
      { document: leave, page: 1, quote: 'Invoices are payable within thirty days of receipt' },
      { document: inv, page: 1, quote: 'not payable in cash' },
    ],
  };
  const file = join(dir, 'answer.json');
  writeFileSync(file, JSON.stringify(answer));
  const q = 'What does the leave policy say?';
  const ref = JSON.parse(run(['ask', q, '--index', db, '--check', file, '--json']));
  // the passages of the cited pages, as the CLI gathers them: each cited (document, page) once, in citation order,
  // its passages by offset
  const seen = new Set();
  const given = [];
  for (const c of answer.citations) {
    if (seen.has(`${c.document}|${c.page}`)) continue;
    seen.add(`${c.document}|${c.page}`);
    given.push(...passages.filter((p) => p.document === c.document && p.page === c.page).sort((a, b) => a.begin - b.begin));
  }
  const got = await rag.check(q, answer, given);
  check(JSON.stringify(got) === JSON.stringify(ref), `wasm ${JSON.stringify(got).slice(0, 600)} | native ${JSON.stringify(ref).slice(0, 600)}`);
  const verdicts = got.citations.map((c) => c.supported);
  check(JSON.stringify(verdicts) === '[true,false,false,true]', `verdicts ${verdicts}`);
  check(got.n_flagged >= 1, 'the paraphrased sentence is not flagged');
});

// ---- bad input
const oneLine = (e) => !String(e.message).includes('\n') && String(e.message).length > 0;
await test('bad input: one-line errors as the CLI words them, then the engine goes on', async () => {
  const lm = join(fixtures, 'models', 'llama32-f32.gguf');
  const e2 = await SottoEmbed.create(wasmModule);
  let err = await e2.load(readFileSync(lm), { name: lm }).then(() => null, (e) => e);
  check(err && oneLine(err), 'a language model loaded as an embedder');
  const want = nativeError(['embed', '-m', lm, '-p', 'x']).replace(/^sotto: /, '');
  check(err.message === want, `"${err.message}" vs native "${want}"`);
  err = await emb.embed(['fine', ' \u200b '], {}).then(() => null, (e) => e);
  check(err && oneLine(err) && /text 2 is empty/.test(err.message), `empty text: ${err?.message}`);
  const long = Array.from({ length: 80 }, () => 'word').join(' ');
  err = await emb.embed([long]).then(() => null, (e) => e);
  check(err && oneLine(err) && /more than the model's context of 64/.test(err.message), `over-long text: ${err?.message}`);
  check((await emb.embed([long], { truncate: true }))[0].length === 64, 'truncate: no vector');
  err = await rag.answer('q', []).then(() => null, (e) => e);
  check(err && oneLine(err) && /passages/.test(err.message), `no passages: ${err?.message}`);
  err = await rag.check('q', { answer: 'x', citations: [{ document: 'a' }] }, passages.slice(0, 1)).then(() => null, (e) => e);
  check(err && oneLine(err), `malformed answer: ${err?.message}`);
  const again = await emb.embed([texts[0]]);
  const ref = JSON.parse(run(['embed', '-m', model, '--json', '-t', '1', '-p', texts[0]])).embeddings[0];
  check(ref.every((x, j) => Math.abs(x - again[0][j]) <= 1e-5), 'the vector after the errors differs');
  check((await rag.answer(questions[0], passages.slice(0, 3))).question === questions[0], 'no answer after the errors');
});

rmSync(dir, { recursive: true, force: true });
process.exit(tally.summary());
