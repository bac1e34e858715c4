// store.mjs — the private documents page's index (web/rag; issue 21, points 3 and 5): one SQLite database with the
// schema of the native index (apps/rag/index.cpp: meta, documents, chunks with float32 embedding BLOBs, the FTS5 table
// and its triggers, application_id 'Sott', user_version 1), through SQLite's official wasm build (npm
// @sqlite.org/sqlite-wasm, web/rag/vendor.sh), so a file saved here opens in `sotto ask --index` and one made by
// `sotto index add` opens here. Runs in the page's worker (rag-worker.mjs).
//   const st = await Store.open()   st.storage: 'opfs' (the file in this origin's private file system, written in place
//                                   by SQLite's OPFS VFS: needs cross-origin isolation) or 'indexeddb' (the database in
//                                   memory, its bytes saved to IndexedDB after every change)
//   st.model() -> {name, sha256, file, n_embd} | null      st.setModel(m)       st.clear()
//   st.docs() -> [{name, kind, size, passages, added}]     st.find(name) -> {sha256, ...} | null
//   st.put({name, kind, size, sha256, pages}, chunks [{page, begin, end, text}], vectors [Float32Array]) -> ids
//   st.remove(name) -> bool          st.passages() -> [{id, document, page, begin, end, text, vector}]
//   st.exportBytes() -> Uint8Array (the database file)      st.importBytes(bytes, fileName, model) (checked first)
// Errors: one line; a file that is not a sotto index of this version is refused as `sotto index` refuses it, and the
// stored index is left as it was. Does not: search (search.mjs does), approximate search, fetch anything.
import sqlite3InitModule from './vendor/sqlite3.mjs';

const APP_ID = 0x536F7474;  // 'Sott', as the native index
const VERSION = 1;
const FILE = '/sotto-rag/index.sqlite';  // in OPFS
const IDB = 'sotto-rag-sqlite';          // the fallback's IndexedDB: {key: 'index', bytes}

// The tables: schema.sql, the one definition `sotto index` embeds too (CMakeLists.txt), fetched from this origin
// when an index is first made (not at the module's load: a top-level await in the worker's imports lost the page's
// first messages).
let schemaPromise;
const schema = () => (schemaPromise ??= fetch(new URL('./schema.sql', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`schema.sql: HTTP ${r.status}`);
  return r.text();
}).then((t) => `${t}\nPRAGMA application_id = ${APP_ID};\nPRAGMA user_version = ${VERSION};\n`));
const BUMP = "INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', " +
             "COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'), 0) + 1)";

let sqlite3Promise = null;
const sqlite3 = () => (sqlite3Promise ??= sqlite3InitModule({ print: () => {}, printErr: () => {} }));

const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
async function idb() {
  const r = indexedDB.open(IDB, 1);
  r.onupgradeneeded = () => r.result.createObjectStore('files', { keyPath: 'key' });
  return req(r);
}

// What a database holds: 'empty', 'index' (a sotto index of this version), or a one-line reason it is not one.
function kindOf(db) {
  let app, ver, n;
  try {
    app = db.selectValue('PRAGMA application_id');
    ver = db.selectValue('PRAGMA user_version');
    n = db.selectValue('SELECT count(*) FROM sqlite_master');
  } catch (e) {
    return `not a readable sotto index (${String(e.message).replace(/^SQLITE_\w+: (sqlite3 result code \d+: )?/, '')})`;
  }
  if (app === 0 && n === 0) return 'empty';
  if (app !== APP_ID) return `an SQLite database, but not a sotto index (application_id ${app}); left as it is`;
  if (ver !== VERSION) return `sotto index version ${ver}, this page reads version ${VERSION}`;
  return 'index';
}

function deserialize(s3, bytes) {  // a new in-memory database holding a copy of bytes
  const db = new s3.oo1.DB(':memory:', 'c');
  const p = s3.wasm.allocFromTypedArray(bytes);
  const { capi } = s3;
  const rc = capi.sqlite3_deserialize(db.pointer, 'main', p, bytes.length, bytes.length,
                                      capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc) {
    db.close();
    throw new Error(`not a readable sotto index (${capi.sqlite3_js_rc_str(rc)})`);
  }
  return db;
}

export class Store {
  static async open({ preferOpfs = true } = {}) {
    const s3 = await sqlite3();
    const st = new Store(s3);
    if (preferOpfs && s3.oo1.OpfsDb) {
      st.storage = 'opfs';
      st.db = new s3.oo1.OpfsDb(FILE, 'c');
    } else {
      st.storage = 'indexeddb';
      const saved = await req((await idb()).transaction('files').objectStore('files').get('index'));
      st.db = saved ? deserialize(s3, new Uint8Array(saved.bytes)) : new s3.oo1.DB(':memory:', 'c');
    }
    const k = kindOf(st.db);
    if (k === 'empty') st.db.exec(await schema());
    else if (k !== 'index') throw new Error(`the stored index: ${k}`);
    st.db.exec('PRAGMA foreign_keys = OFF');
    return st;
  }

  constructor(s3) {
    this.s3 = s3;
    this.db = null;
    this.storage = '';
  }

  async saved() {  // the fallback: the whole database into IndexedDB after a change (OPFS writes in place)
    if (this.storage !== 'indexeddb') return;
    const bytes = this.exportBytes();
    const d = await idb();
    const tx = d.transaction('files', 'readwrite');
    tx.objectStore('files').put({ key: 'index', bytes: bytes.buffer });
    await new Promise((ok, no) => { tx.oncomplete = ok; tx.onerror = () => no(tx.error); tx.onabort = () => no(tx.error); });
    d.close();
  }

  meta(key) { return this.db.selectValue('SELECT value FROM meta WHERE key = ?', [key]) ?? null; }

  model() {
    const n = this.meta('n_embd');
    return n ? { name: this.meta('model_name'), sha256: this.meta('model_sha256'), file: this.meta('model_file'), n_embd: Number(n) } : null;
  }

  async setModel(m) {
    this.db.transaction((db) => {
      for (const [k, v] of [['model_name', m.name], ['model_sha256', m.sha256], ['model_file', m.file], ['n_embd', String(m.n_embd)]]) {
        db.exec({ sql: 'INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)', bind: [k, v] });
      }
    });
    await this.saved();
  }

  async clear() {  // every document and the model: an index made with another model cannot be searched with this one
    this.db.transaction((db) => {
      db.exec('DELETE FROM chunks; DELETE FROM documents;');
      db.exec("DELETE FROM meta WHERE key IN ('model_name', 'model_sha256', 'model_file', 'n_embd')");
      db.exec(BUMP);
    });
    await this.saved();
  }

  docs() {
    return this.db.selectObjects('SELECT path, kind, bytes, n_chunks, added_at FROM documents ORDER BY path')
      .map((d) => ({ name: d.path, kind: d.kind, size: d.bytes, passages: d.n_chunks, added: d.added_at * 1000 }));
  }

  find(name) {
    return this.db.selectObject('SELECT path, sha256, kind, bytes, pages, n_chunks FROM documents WHERE path = ?', [name]) ?? null;
  }

  // One transaction, as `index add`'s put: the old passages and row go, the new ones come, the generation moves on.
  async put(doc, chunks, vectors) {
    const ids = [];
    this.db.transaction((db) => {
      db.exec({ sql: 'DELETE FROM chunks WHERE doc_id IN (SELECT id FROM documents WHERE path = ?)', bind: [doc.name] });
      db.exec({ sql: 'DELETE FROM documents WHERE path = ?', bind: [doc.name] });
      db.exec({ sql: 'INSERT INTO documents(path, sha256, kind, bytes, pages, n_chunks, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
                bind: [doc.name, doc.sha256, doc.kind, doc.size, doc.pages, chunks.length, Math.floor(Date.now() / 1000)] });
      const docId = db.selectValue('SELECT last_insert_rowid()');
      const ins = db.prepare('INSERT INTO chunks(doc_id, page, begin, end, text, embedding) VALUES (?, ?, ?, ?, ?, ?)');
      try {
        chunks.forEach((c, i) => {
          const v = vectors[i];  // little-endian float32, as the native BLOB (wasm and every browser are little-endian)
          ins.bind([docId, c.page, c.begin, c.end, c.text, new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]).stepReset();
          ids.push(db.selectValue('SELECT last_insert_rowid()'));
        });
      } finally {
        ins.finalize();
      }
      db.exec(BUMP);
    });
    await this.saved();
    return ids;
  }

  async remove(name) {
    let n = 0;
    this.db.transaction((db) => {
      db.exec({ sql: 'DELETE FROM chunks WHERE doc_id IN (SELECT id FROM documents WHERE path = ?)', bind: [name] });
      db.exec({ sql: 'DELETE FROM documents WHERE path = ?', bind: [name] });
      n = db.changes();
      db.exec(BUMP);
    });
    await this.saved();
    return n > 0;
  }

  passages() {
    const out = [];
    this.db.exec({
      sql: 'SELECT c.id, d.path, c.page, c.begin, c.end, c.text, c.embedding FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY c.id',
      rowMode: 'array',
      callback: ([id, document, page, begin, end, text, blob]) => {
        const v = new Float32Array(blob.byteLength / 4);
        new Uint8Array(v.buffer).set(blob);
        out.push({ id, document, page, begin, end, text, vector: v });
      },
    });
    return out;
  }

  exportBytes() { return this.s3.capi.sqlite3_js_db_export(this.db); }

  // An index file from elsewhere (e.g. `sotto index add`'s) replaces the stored one, once it is known to be a sotto
  // index of this version made with `model` (its SHA-256 and dimensions); otherwise one line and nothing changes.
  async importBytes(bytes, fileName, model) {
    let tmp;
    try {
      tmp = deserialize(this.s3, bytes);
    } catch (e) {
      throw new Error(`${fileName}: ${e.message}`);
    }
    try {
      const k = kindOf(tmp);
      if (k === 'empty') throw new Error(`${fileName}: empty index (nothing added yet)`);
      if (k !== 'index') throw new Error(`${fileName}: ${k}`);
      const check = tmp.selectValue('PRAGMA quick_check');
      if (check !== 'ok') throw new Error(`${fileName}: not a readable sotto index (${check})`);
      const m = Object.fromEntries(tmp.selectArrays("SELECT key, value FROM meta WHERE key IN ('model_name', 'model_sha256', 'n_embd')"));
      if (m.model_sha256 !== model.sha256 || Number(m.n_embd) !== model.n_embd) {
        throw new Error(`${fileName}: not made with this page's embedding model (made with '${m.model_name}', ${m.n_embd} dims, ` +
                        `sha256 ${String(m.model_sha256).slice(0, 12)}...; this is '${model.name}', ${model.n_embd} dims, sha256 ` +
                        `${model.sha256.slice(0, 12)}...)`);
      }
    } finally {
      tmp.close();
    }
    if (this.storage === 'opfs') {
      this.db.close();
      await this.s3.oo1.OpfsDb.importDb(FILE, bytes);
      this.db = new this.s3.oo1.OpfsDb(FILE, 'c');
    } else {
      this.db.close();
      this.db = deserialize(this.s3, bytes);
      await this.saved();
    }
  }
}
