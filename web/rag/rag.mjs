// rag.mjs — the private documents page (web/rag/index.html; issue 21, point 5): the user adds .txt, .md, .html and .pdf
// files (or a folder, or drops them); each is read here into its pages' text (HTML: the text of its body as `sotto index
// add` reads it, the same walker over the platform's DOMParser; PDF: its text layer through pdf.js in pdf.js's own
// worker from this origin, page by page, laid out as poppler lays it out natively: pdf-text.mjs), handed to the
// engine worker (rag-worker.mjs), which splits
// it into passages, embeds them and keeps them in this browser's IndexedDB; a question is answered extractively from
// the best passages (BM25 and dense fused, as `sotto ask --extractive`), each citation shown with its check verdict and
// highlighted in its passage, and the sentences the check flags listed. Nothing leaves the page: the worker fetches the
// engine and the model from this origin and nothing else; the server's CSP allows this origin only.
// Model: /models/<name> with its name from the address's fragment (#model=NAME: never sent to a server), else
// embed.gguf; cached after the first load.
// Data attributes (tests): body[data-engine] loading | ready | error, body[data-indexed] counts files handled (added,
// replaced, unchanged or failed), body[data-answered] counts answers, body[data-busy] while indexing or answering.
// "Check an answer written elsewhere": an answer as JSON ({answer, citations: [{document, page, quote}]}, e.g. a language
// model's) is checked against the stored passages of the pages it cites, as `sotto ask --check`, and shown the same way.
// Does not: read scanned PDFs (no OCR) or encrypted ones, generate answers with a language model, keep questions or
// answers.
import { pdfPages } from './pdf-text.mjs';

const $ = (id) => document.getElementById(id);
const NAME = /^[A-Za-z0-9_.-]+\.gguf$/;
const KINDS = { txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', html: 'html', htm: 'html', pdf: 'pdf' };
const worker = new Worker('/rag/rag-worker.mjs', { type: 'module' });
let nextId = 1;
let pending = 0;
let indexed = 0;
let answered = 0;
let currentAsk = 0;
let batch = { done: 0, total: 0 };  // the files of the last add, for the progress line

function modelUrl() {
  const v = new URLSearchParams(location.hash.slice(1)).get('model');
  return `/models/${v && NAME.test(v) ? v : 'embed.gguf'}`;
}
// #storage=indexeddb: keep the index in memory and IndexedDB even where OPFS works (the fallback, for tests)
const preferOpfs = new URLSearchParams(location.hash.slice(1)).get('storage') !== 'indexeddb';
const STORAGE = { opfs: 'SQLite file in this browser\'s private file system (OPFS)',
                  indexeddb: 'SQLite in memory, saved to IndexedDB (OPFS not available)' };

function setBusy() {
  const ready = document.body.dataset.engine === 'ready';
  const busy = pending > 0 || currentAsk > 0;
  document.body.dataset.busy = busy ? '1' : '';
  for (const id of ['files', 'folder', 'question', 'check-json', 'open-index']) $(id).disabled = !ready;
  $('save-index').disabled = !ready || busy;
  $('ask').disabled = !ready || currentAsk > 0;
  $('check').disabled = !ready || currentAsk > 0;
  for (const b of document.querySelectorAll('#docs button')) b.disabled = !ready || busy;
}

const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

function showDocs(docs) {
  const body = $('docs').tBodies[0];
  body.replaceChildren();
  for (const d of docs) {
    const tr = body.insertRow();
    tr.insertCell().textContent = d.name;
    tr.insertCell().textContent = String(d.passages);
    tr.insertCell().textContent = size(d.size);
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Remove';
    b.setAttribute('aria-label', `Remove ${d.name}`);
    b.addEventListener('click', () => {
      pending++;
      setBusy();
      worker.postMessage({ type: 'remove', id: nextId++, name: d.name });
    });
    tr.insertCell().append(b);
  }
  $('docs').hidden = docs.length === 0;
}

// ---- reading files (as apps/rag/ingest.cpp parse_document, its one-line errors)
function htmlText(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const BLOCK = new Set(['p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'section',
                         'article', 'header', 'footer', 'nav', 'aside', 'blockquote', 'pre', 'hr', 'dl', 'dt', 'dd',
                         'figure', 'figcaption', 'main', 'form', 'title', 'td', 'th']);
  const SKIP = new Set(['script', 'style', 'head', 'noscript', 'template']);
  let s = '';
  let space = false;
  const line = () => { if (s && !s.endsWith('\n')) s += '\n'; space = false; };
  const walk = (node) => {
    for (let n = node; n; n = n.nextSibling) {
      if (n.nodeType === Node.TEXT_NODE || n.nodeType === Node.CDATA_SECTION_NODE) {
        for (const ch of n.data) {
          if (/[ \t\n\r\f\v]/.test(ch)) { space = true; continue; }
          if (space && s && !s.endsWith('\n')) s += ' ';
          space = false;
          s += ch;
        }
      } else if (n.nodeType === Node.ELEMENT_NODE) {
        const name = n.localName;
        if (SKIP.has(name)) continue;
        const block = BLOCK.has(name);
        if (block) line();
        walk(n.firstChild);
        if (block) line();
      }
    }
  };
  walk(doc.documentElement);
  return s.replace(/\n+$/, '');
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

// A file -> {kind, pages: [{page, text}], size, sha256}: its pages' text as `sotto index add` reads it (a PDF's text
// layer through pdf.js, laid out as poppler does: pdf-text.mjs), or one line naming the file.
async function readText(file, name) {
  const ext = (name.match(/\.([^./]+)$/)?.[1] ?? '').toLowerCase();
  const kind = KINDS[ext];
  if (!kind) throw new Error(`${name}: unsupported file type '.${ext}' (this page reads .txt, .md, .html, .htm, .pdf)`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!bytes.length) throw new Error(`${name}: empty file`);
  const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (kind === 'pdf') {
    const pages = await pdfPages(bytes, name);
    if (!pages.some((p) => /[^ \t\n\r\f\v]/.test(p.text))) {
      throw new Error(`${name}: no text layer in its ${pages.length} page(s) (a scanned PDF? run OCR on it first)`);
    }
    return { kind, pages, size: bytes.length, sha256 };
  }
  if (bytes.includes(0)) throw new Error(`${name}: binary data (a NUL byte), not text`);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${name}: not UTF-8 text`);
  }
  if (kind === 'html') text = htmlText(text);
  if (!/[^ \t\n\r\f\v]/.test(text)) throw new Error(`${name}: no text in it`);
  return { kind, pages: [{ page: 1, text }], size: bytes.length, sha256 };
}

// entries: [{file, name, inFolder}]; files of a folder that this page does not read are left out, counted.
async function addFiles(entries) {
  const ext = (n) => (n.match(/\.([^./]+)$/)?.[1] ?? '').toLowerCase();
  const list = entries.filter((e) => !e.inFolder || KINDS[ext(e.name)]);
  const skipped = entries.length - list.length;
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));  // the order `index add` walks a folder
  $('index-errors').replaceChildren();
  if (skipped) indexError(`${skipped} file${skipped === 1 ? '' : 's'} of the folder left out (not .txt, .md, .html or .pdf)`);
  if (!list.length) return;
  $('index-progress').hidden = false;
  batch = { done: 0, total: list.length };
  for (const { file, name } of list) {
    pending++;
    setBusy();
    try {
      const { kind, pages, size: n, sha256 } = await readText(file, name);
      worker.postMessage({ type: 'add', id: nextId++, name, kind, pages, size: n, sha256 });
    } catch (e) {
      fileDone();
      indexError(String(e.message).split('\n')[0]);
    }
  }
}
const picked = (files) => [...files].map((file) => ({ file, name: file.webkitRelativePath || file.name, inFolder: !!file.webkitRelativePath }));

// A drop: files, and the files of dropped folders (recursively, named by their path in the folder).
async function dropped(dt) {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return picked(dt.files);
  const out = [];
  const walk = async (entry, inFolder) => {
    if (entry.isFile) {
      out.push({ file: await new Promise((ok, no) => entry.file(ok, no)), name: entry.fullPath.replace(/^\//, ''), inFolder });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batchOf = await new Promise((ok, no) => reader.readEntries(ok, no));
        if (!batchOf.length) break;
        for (const e of batchOf) await walk(e, true);
      }
    }
  };
  for (const e of entries) await walk(e, false);
  return out;
}

function indexError(message) {
  const li = document.createElement('li');
  li.textContent = message;
  $('index-errors').append(li);
}

function fileDone() {
  pending--;
  batch.done++;
  document.body.dataset.indexed = String(++indexed);
  if (!pending) $('index-progress').hidden = true;
  $('index-progress').value = batch.done / Math.max(1, batch.total);
  setBusy();
}

// ---- the answer, its citations highlighted in their passages
const enc = new TextEncoder();
const dec = new TextDecoder();

function passageWithMark(p, c) {
  const div = document.createElement('div');
  div.className = 'passage';
  const b = enc.encode(p.text);
  const from = c.begin - p.begin, to = c.end - p.begin;
  const mark = document.createElement('mark');
  mark.textContent = dec.decode(b.subarray(from, to));
  div.append(dec.decode(b.subarray(0, from)), mark, dec.decode(b.subarray(to)));
  return div;
}

function showAnswer(r, seconds) {
  $('answer').textContent = r.answer;
  $('answer-info').textContent = `${r.passages.length} passages ${r.mode === 'checked' ? 'of the cited pages' : 'searched'}; ${r.n_supported} of ${r.citations.length} citations supported; ` +
    `${r.n_flagged} sentences flagged; ${seconds.toFixed(2)} s`;
  const ol = $('citations');
  ol.replaceChildren();
  for (const c of r.citations) {
    const li = document.createElement('li');
    const head = document.createElement('div');
    const v = document.createElement('span');
    v.className = `verdict ${c.supported ? 'ok' : 'bad'}`;
    v.textContent = c.supported ? '✓ Supported' : `✗ Not supported: ${c.why}`;
    head.append(v, ` — ${c.document}, page ${c.page}: “${c.quote}”`);
    li.append(head);
    if (c.supported) li.append(passageWithMark(r.passages[c.passage - 1], c));
    ol.append(li);
  }
  if (!r.citations.length) {
    const li = document.createElement('li');
    li.textContent = r.not_found ? 'None: the documents do not answer this question.' : 'None.';
    ol.append(li);
  }
  const flagged = r.sentences.filter((s) => !s.supported);
  $('flagged').replaceChildren(...flagged.map((s) => {
    const li = document.createElement('li');
    li.textContent = `${s.text} — ${s.why}`;
    return li;
  }));
  $('flagged-box').hidden = flagged.length === 0;
  $('result').hidden = false;
}

worker.onmessage = ({ data: m }) => {
  if (m.type === 'progress') {
    if (m.phase === 'embed') {
      $('index-status').textContent = `File ${batch.done + 1} of ${batch.total}, ${m.what}: ${m.loaded} of ${m.total} passages embedded`;
      $('index-progress').value = (batch.done + m.loaded / m.total) / Math.max(1, batch.total);
      return;
    }
    $('engine-status').textContent = m.phase === 'download'
      ? `Downloading the ${m.what}… ${m.total ? Math.round((100 * m.loaded) / m.total) : 0}%`
      : m.phase === 'compile' ? 'Preparing the engine…' : 'Loading the model…';
    if (m.phase === 'download' && m.total) $('engine-progress').value = m.loaded / m.total;
  } else if (m.type === 'ready') {
    document.body.dataset.engine = 'ready';
    document.body.dataset.storage = m.storage;
    $('engine-status').textContent = `Ready (${m.model}, ${m.n_embd} dims, ${m.threads} thread${m.threads === 1 ? '' : 's'})` +
      (m.cleared ? `; the ${m.cleared} stored documents were indexed with another model and have been cleared` : '');
    $('storage').textContent = `The index: ${STORAGE[m.storage]}.`;
    $('engine-progress').hidden = true;
    showDocs(m.docs);
    setBusy();
  } else if (m.type === 'added') {
    $('index-status').textContent = `File ${batch.done + 1} of ${batch.total}, ${m.name}: ` +
      `${m.status === 'unchanged' ? 'unchanged' : `${m.passages} passages ${m.status}`}` + (m.seconds ? ` (${m.seconds.toFixed(2)} s)` : '');
    showDocs(m.docs);
    fileDone();
  } else if (m.type === 'exported') {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([m.bytes], { type: 'application/vnd.sqlite3' }));
    a.download = 'sotto-index.sqlite';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    $('index-status').textContent = `The index file saved (${size(m.bytes.byteLength)})`;
    pending--;
    setBusy();
  } else if (m.type === 'imported') {
    $('index-status').textContent = `${m.name}: opened, ${m.docs.length} documents, ${m.passages} passages`;
    showDocs(m.docs);
    pending--;
    setBusy();
  } else if (m.type === 'removed') {
    $('index-status').textContent = `${m.name}: removed`;
    showDocs(m.docs);
    pending--;
    setBusy();
  } else if (m.type === 'answer' && m.id === currentAsk) {
    showAnswer(m.result, m.seconds);
    currentAsk = 0;
    document.body.dataset.answered = String(++answered);
    setBusy();
  } else if (m.type === 'error') {
    if (m.op === 'init') {
      document.body.dataset.engine = 'error';
      $('engine-status').textContent = `The model could not be loaded: ${m.message}`;
    } else if (m.op === 'add') {
      indexError(m.message);
      fileDone();
    } else if (m.op === 'remove' || m.op === 'import' || m.op === 'export') {
      indexError(m.message);
      pending--;
      setBusy();
    } else if (m.op === 'ask' || m.op === 'check') {
      $('ask-error').textContent = m.message;
      currentAsk = 0;
      document.body.dataset.answered = String(++answered);
      setBusy();
    }
  }
};

$('open-index').addEventListener('change', async () => {
  const f = $('open-index').files[0];
  $('open-index').value = '';
  if (!f) return;
  $('index-errors').replaceChildren();
  pending++;
  setBusy();
  const bytes = await f.arrayBuffer();
  worker.postMessage({ type: 'import', id: nextId++, name: f.name, bytes }, [bytes]);
});
$('save-index').addEventListener('click', () => {
  pending++;
  setBusy();
  worker.postMessage({ type: 'export', id: nextId++ });
});
$('files').addEventListener('change', () => { addFiles(picked($('files').files)); $('files').value = ''; });
$('folder').addEventListener('change', () => { addFiles(picked($('folder').files)); $('folder').value = ''; });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('dragging'); });
drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('dragging');
  if (document.body.dataset.engine === 'ready') dropped(e.dataTransfer).then(addFiles, (err) => indexError(`the drop could not be read: ${err.message}`));
});

$('ask-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = $('question').value.trim();
  if (!q || currentAsk) return;
  currentAsk = nextId++;
  $('ask-error').textContent = '';
  setBusy();
  worker.postMessage({ type: 'ask', id: currentAsk, question: q, k: 5 });
});

$('check-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (currentAsk) return;
  let answer;
  try {
    answer = JSON.parse($('check-json').value);
  } catch (e) {
    $('ask-error').textContent = `The answer is not JSON: ${String(e.message).split('\n')[0]}`;
    return;
  }
  currentAsk = nextId++;
  $('ask-error').textContent = '';
  setBusy();
  worker.postMessage({ type: 'check', id: currentAsk, answer });
});

document.body.dataset.engine = 'loading';
showDocs([]);
setBusy();
worker.postMessage({ type: 'init', wasmUrl: '/engine/sotto.wasm', modelUrl: modelUrl(), preferOpfs });
