// rag-worker.mjs — the private retrieval page's engine worker (web/rag; issue 21): fetches and caches the wasm engine and
// the embedding model (fetch-cache.mjs, cache-first, so the page works offline after the first load), splits each
// document's text into passages as `sotto index add` does (the model's tokenizer counts the words: wasm/rag.mjs
// chunkPage), embeds them, keeps them in this origin's IndexedDB ('sotto-rag': documents, passages with their
// vectors, the model they were made with), searches them as `sotto search` does (web/rag/search.mjs: FTS5's BM25,
// cosine, reciprocal rank fusion) and answers extractively with every citation checked, as `sotto ask --extractive`
// (wasm/rag-abi.cpp). Messages (page -> worker):
//   {type: 'init', wasmUrl, modelUrl}        -> progress* then {type: 'ready', model, n_embd, threads, docs}
//   {type: 'add', id, name, kind, pages: [{page, text}], size, sha256 (the file's), chunkTokens, overlap}
//                                            -> {type: 'added', id, name, status: added|replaced|unchanged, passages,
//                                               seconds, docs}
//   {type: 'remove', id, name}               -> {type: 'removed', id, name, docs}
//   {type: 'ask', id, question, k}           -> {type: 'answer', id, result (sotto ask --json's object), seconds}
//   {type: 'check', id, answer}              -> the same for an answer written elsewhere ({answer, citations}), as
//                                               `sotto ask --check` checks it against the stored passages
// docs: [{name, kind, size, passages, added}]. Any failure: {type: 'error', id, message} (one line); nothing is
// written for a document that failed.
// A stored index made with another embedding model (its SHA-256 differs) is emptied at init, and 'ready' says so
// (cleared: n): vectors of two models cannot be compared.
// Does not: send anything anywhere (the only requests are the engine and model downloads from this origin), read
// files (the page does, and hands over their text), approximate search (every vector is scanned).
import { SottoEmbed, SottoRag, chunkPage } from '../wasm/rag.mjs';
import { fetchEngine } from '../engine-wasm.mjs';
import { fetchWithProgress, modelBudget, oneLine } from '../fetch-cache.mjs';
import { search, tokens } from './search.mjs';

const DB = 'sotto-rag';
let emb = null;
let rag = null;
let model = null;  // {name, sha256, n_embd}
let passages = [];  // what search scans: {id, document, page, begin, end, text, vector, tokens}
let busy = Promise.resolve();

const post = (m) => self.postMessage(m);
const progress = (p) => post({ type: 'progress', ...p });

// ---- IndexedDB
const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
const done = (tx) => new Promise((ok, no) => { tx.oncomplete = () => ok(); tx.onerror = () => no(tx.error); tx.onabort = () => no(tx.error ?? new Error('aborted')); });
let db = null;
function openDb() {
  const r = indexedDB.open(DB, 1);
  r.onupgradeneeded = () => {
    const d = r.result;
    d.createObjectStore('meta', { keyPath: 'key' });
    d.createObjectStore('docs', { keyPath: 'name' });
    d.createObjectStore('passages', { keyPath: 'id', autoIncrement: true }).createIndex('document', 'document');
  };
  return req(r);
}
async function docsList() {
  const all = await req(db.transaction('docs').objectStore('docs').getAll());
  return all.map(({ name, kind, size, passages: n, added }) => ({ name, kind, size, passages: n, added }));
}
async function loadPassages() {
  const all = await req(db.transaction('passages').objectStore('passages').getAll());
  passages = all.sort((a, b) => a.id - b.id).map((p) => ({ ...p, vector: new Float32Array(p.vector), tokens: tokens(p.text) }));
}

async function sha256(u8) {
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', u8))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function init({ wasmUrl, modelUrl }) {
  const { module, threaded } = await fetchEngine(wasmUrl, progress);
  const m = await fetchWithProgress(modelUrl, 'embedding model', true, progress, modelBudget());
  progress({ phase: 'load', what: 'model' });
  const name = modelUrl.split('/').pop();
  const e = await SottoEmbed.create(module, { threads: threaded ? undefined : 1, log: (fd, line) => { if (fd === 2) console.warn(line); } });
  const info = await e.load(m.bytes, { name });
  emb = e;
  rag = await SottoRag.create(e.engine);
  model = { name, sha256: await sha256(m.bytes), n_embd: info.n_embd };
  db = await openDb();
  const stored = await req(db.transaction('meta').objectStore('meta').get('model'));
  let cleared = 0;
  if (stored && stored.value.sha256 !== model.sha256) {
    cleared = (await docsList()).length;
    const tx = db.transaction(['meta', 'docs', 'passages'], 'readwrite');
    for (const s of ['meta', 'docs', 'passages']) tx.objectStore(s).clear();
    await done(tx);
  }
  if (!stored || cleared) {
    const tx = db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put({ key: 'model', value: model });
    await done(tx);
  }
  await loadPassages();
  post({ type: 'ready', model: name, n_embd: info.n_embd, pooling: info.pooling, threads: e.engine.threads ?? 1,
         docs: await docsList(), cleared });
}

async function add({ id, name, kind, pages, size, sha256: digest, chunkTokens = 200, overlap = 40 }) {
  if (!emb) throw new Error('the embedding model is not loaded yet');
  const t0 = performance.now();
  const old = await req(db.transaction('docs').objectStore('docs').get(name));
  if (old && old.sha256 === digest) {
    post({ type: 'added', id, name, status: 'unchanged', passages: old.passages, seconds: 0, docs: await docsList() });
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
  const tx = db.transaction(['docs', 'passages'], 'readwrite');
  const ps = tx.objectStore('passages');
  const oldKeys = await req(ps.index('document').getAllKeys(name));
  for (const k of oldKeys) ps.delete(k);
  const ids = await Promise.all(chunks.map((c, i) => req(ps.add({ document: name, page: c.page, begin: c.begin, end: c.end, text: c.text,
                                                                   vector: vectors[i].buffer.slice(vectors[i].byteOffset, vectors[i].byteOffset + vectors[i].byteLength) }))));
  tx.objectStore('docs').put({ name, kind, size, sha256: digest, passages: chunks.length, added: Date.now() });
  await done(tx);
  const gone = new Set(oldKeys);
  passages = passages.filter((p) => !gone.has(p.id));
  chunks.forEach((c, i) => passages.push({ id: ids[i], document: name, ...c, vector: vectors[i], tokens: tokens(c.text) }));
  post({ type: 'added', id, name, status: old ? 'replaced' : 'added', passages: chunks.length,
         seconds: (performance.now() - t0) / 1000, docs: await docsList() });
}

async function remove({ id, name }) {
  const tx = db.transaction(['docs', 'passages'], 'readwrite');
  const ps = tx.objectStore('passages');
  const keys = await req(ps.index('document').getAllKeys(name));
  for (const k of keys) ps.delete(k);
  tx.objectStore('docs').delete(name);
  await done(tx);
  passages = passages.filter((p) => p.document !== name);
  post({ type: 'removed', id, name, docs: await docsList() });
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
  const run = { init, add, remove, ask, check }[m.type];
  if (!run) return;
  busy = busy.then(() => run(m)).catch((e) => post({ type: 'error', id: m.id, op: m.type, name: m.name, message: oneLine(e) }));
};
