// rag-worker.mjs — the private retrieval page's engine worker (web/rag; issue 21): fetches and caches the wasm engine and
// the embedding model (fetch-cache.mjs, cache-first, so the page works offline after the first load), splits each
// document's text into passages as `sotto index add` does (the model's tokenizer counts the words: wasm/rag.mjs
// chunkPage), embeds them, keeps them in one SQLite database with the native index's schema (store.mjs: SQLite's
// official wasm build, the file on OPFS, or in memory saved to IndexedDB where OPFS cannot be used), searches them as `sotto search` does (web/rag/search.mjs: FTS5's BM25,
// cosine, reciprocal rank fusion) and answers extractively with every citation checked, as `sotto ask --extractive`
// (wasm/rag-abi.cpp). Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl, preferOpfs}
//                                            -> progress* then {type: 'ready', model, n_embd, threads, docs, cleared,
//                                               storage: 'opfs' | 'indexeddb'}
//   {type: 'add', id, name, kind, pages: [{page, text}], size, sha256 (the file's), chunkTokens, overlap}
//                                            -> {type: 'added', id, name, status: added|replaced|unchanged, passages,
//                                               seconds, docs}
//   {type: 'remove', id, name}               -> {type: 'removed', id, name, docs}
//   {type: 'ask', id, question, k}           -> {type: 'answer', id, result (sotto ask --json's object), seconds}
//   {type: 'check', id, answer}              -> the same for an answer written elsewhere ({answer, citations}), as
//                                               `sotto ask --check` checks it against the stored passages
//   {type: 'export', id}                     -> {type: 'exported', id, bytes} (the index file, for `sotto ask --index`)
//   {type: 'import', id, name, bytes}        -> {type: 'imported', id, name, docs, passages}: an index file (e.g.
//                                               `sotto index add`'s) replaces the stored one, once checked
// docs: [{name, kind, size, passages, added}]. Any failure: {type: 'error', id, message} (one line); nothing is
// written for a document that failed.
// A stored index made with another embedding model (its SHA-256 differs) is emptied at init, and 'ready' says so
// (cleared: n): vectors of two models cannot be compared.
// Does not: send anything anywhere (the only requests are the engine, model and SQLite downloads from this origin), read
// files (the page does, and hands over their text), approximate search (every vector is scanned).
import { SottoEmbed, SottoRag, chunkPage } from '../wasm/rag.mjs';
import { fetchEngine } from '../engine-wasm.mjs';
import { fetchWithProgress, modelBudget, oneLine } from '../fetch-cache.mjs';
import { search, tokens } from './search.mjs';
import { Store } from './store.mjs';

let store = null;
let emb = null;
let rag = null;
let model = null;  // {name, sha256, n_embd}
let passages = [];  // what search scans: {id, document, page, begin, end, text, vector, tokens}
let busy = Promise.resolve();

const post = (m, transfer) => self.postMessage(m, transfer ?? []);
const progress = (p) => post({ type: 'progress', ...p });

async function sha256(u8) {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', u8))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function loadPassages() {
  passages = store.passages().map((p) => ({ ...p, tokens: tokens(p.text) }));
}

async function init({ wasmUrl, modelUrl, preferOpfs = true }) {
  const { module, threaded } = await fetchEngine(wasmUrl, progress);
  const m = await fetchWithProgress(modelUrl, 'embedding model', true, progress, modelBudget());
  progress({ phase: 'load', what: 'model' });
  const name = modelUrl.split('/').pop();
  const e = await SottoEmbed.create(module, { threads: threaded ? undefined : 1, log: (fd, line) => { if (fd === 2) console.warn(line); } });
  const info = await e.load(m.bytes, { name });
  emb = e;
  rag = await SottoRag.create(e.engine);
  model = { name, sha256: await sha256(m.bytes), file: new URL(modelUrl, self.location.href).pathname, n_embd: info.n_embd };
  store = await Store.open({ preferOpfs });
  const stored = store.model();
  let cleared = 0;
  if (stored && (stored.sha256 !== model.sha256 || stored.n_embd !== model.n_embd)) {
    cleared = store.docs().length;
    await store.clear();
  }
  if (!stored || cleared) await store.setModel(model);
  loadPassages();
  post({ type: 'ready', model: name, n_embd: info.n_embd, pooling: info.pooling, threads: e.engine.threads ?? 1,
         docs: store.docs(), cleared, storage: store.storage });
}

async function add({ id, name, kind, pages, size, sha256: digest, chunkTokens = 200, overlap = 40 }) {
  if (!emb) throw new Error('the embedding model is not loaded yet');
  const t0 = performance.now();
  const old = store.find(name);
  if (old && old.sha256 === digest) {
    post({ type: 'added', id, name, status: 'unchanged', passages: old.n_chunks, seconds: 0, docs: store.docs() });
    return;
  }
  const maxTokens = Math.min(chunkTokens, emb.info.n_ctx - 2);
  const chunks = [];  // each page cut on its own, as index add does: offsets are into the page's text
  for (const { page, text } of pages) {
    for (const c of chunkPage(text, await emb.words(text), { maxTokens, overlap: Math.min(overlap, maxTokens - 1) })) chunks.push({ page, ...c });
  }
  if (!chunks.length) throw new Error(`${name}: no text in it`);
  const vectors = [];
  for (let i = 0; i < chunks.length; i += 8) {  // a few at a time, with progress
    vectors.push(...await emb.embed(chunks.slice(i, i + 8).map((c) => c.text), { truncate: true }));
    post({ type: 'progress', phase: 'embed', what: name, loaded: Math.min(i + 8, chunks.length), total: chunks.length });
  }
  // One transaction: the old passages go, the new ones and the document row come, or nothing changes.
  const ids = await store.put({ name, kind, size, sha256: digest, pages: pages.length }, chunks, vectors);
  passages = passages.filter((p) => p.document !== name);
  chunks.forEach((c, i) => passages.push({ id: ids[i], document: name, ...c, vector: vectors[i], tokens: tokens(c.text) }));
  post({ type: 'added', id, name, status: old ? 'replaced' : 'added', passages: chunks.length,
         seconds: (performance.now() - t0) / 1000, docs: store.docs() });
}

async function remove({ id, name }) {
  await store.remove(name);
  passages = passages.filter((p) => p.document !== name);
  post({ type: 'removed', id, name, docs: store.docs() });
}

// The index file: its bytes out (to save), or a file's bytes in (replacing the stored index once checked).
async function exportIndex({ id }) {
  const bytes = store.exportBytes();
  post({ type: 'exported', id, bytes }, [bytes.buffer]);
}
async function importIndex({ id, name, bytes }) {
  await store.importBytes(new Uint8Array(bytes), name, model);
  loadPassages();
  post({ type: 'imported', id, name, docs: store.docs(), passages: passages.length });
}

async function ask({ id, question, k = 5 }) {
  if (!emb) throw new Error('the embedding model is not loaded yet');
  if (!String(question).trim()) throw new Error('the question is empty');
  if (!passages.length) throw new Error('no documents yet: add some first');
  const t0 = performance.now();
  const [q] = await emb.embed([question], { truncate: true });
  const hits = search(passages, question, q, { k });
  const result = await rag.answer(question, hits);
  post({ type: 'answer', id, result, seconds: (performance.now() - t0) / 1000 });
}

// An answer written elsewhere, checked as `sotto ask --check` checks it: each citation's document is a stored name or
// the one stored name ending in "/" + it; the sources are every passage of the cited pages (each page once, in the
// order cited, its passages by offset); a document not found, named by several, or a page it does not have is
// unsupported with that reason.
async function check({ id, answer, question = '' }) {
  if (!rag) throw new Error('the engine is not loaded yet');
  if (!answer || typeof answer !== 'object' || !Array.isArray(answer.citations)) {
    throw new Error('the answer must be {"answer": string, "citations": [{"document", "page", "quote"}]}');
  }
  const t0 = performance.now();
  const names = [...new Set(passages.map((p) => p.document))];
  const why = [];
  const seen = new Set();
  const given = [];
  const citations = answer.citations.map((c, i) => {
    const doc = typeof c?.document === 'string' ? c.document : '';
    let found = names.filter((n) => n === doc);
    if (!found.length) found = names.filter((n) => n.length > doc.length && n.endsWith(doc) && n[n.length - doc.length - 1] === '/');
    if (!found.length) why[i] = `no document '${doc}' in the index`;
    else if (found.length > 1) why[i] = `'${doc}' names ${found.length} documents of the index; give more of its path`;
    else {
      const key = `${found[0]}\u0000${c.page}`;
      if (!seen.has(key)) {
        seen.add(key);
        given.push(...passages.filter((p) => p.document === found[0] && p.page === c.page).sort((a, b) => a.begin - b.begin));
      }
      return { ...c, document: found[0] };
    }
    return c;
  });
  if (!given.length) {  // the engine needs one passage; none cited is found, so every citation is unsupported
    given.push({ document: '', page: 1, begin: 0, end: 0, text: '' });
  }
  const result = await rag.check(question, { ...answer, citations }, given);
  result.citations.forEach((c, i) => {
    const has = given.some((p) => p.document === citations[i].document && p.page === citations[i].page);
    if (!why[i] && !has) why[i] = `${String(citations[i].document).split('/').pop()} has no page ${citations[i].page} in the index`;
    if (why[i]) { c.supported = false; c.why = why[i]; }
  });
  result.passages = result.passages.filter((p) => p.document !== '');
  post({ type: 'answer', id, result, seconds: (performance.now() - t0) / 1000 });
}

self.onmessage = ({ data: m }) => {
  const run = { init, add, remove, ask, check, export: exportIndex, import: importIndex }[m.type];
  if (!run) return;
  busy = busy.then(() => run(m)).catch((e) => post({ type: 'error', id: m.id, op: m.type, name: m.name, message: oneLine(e) }));
};
