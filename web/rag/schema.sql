-- schema.sql — the private-documents index's tables (issue 21): the one definition that `sotto index`
-- (apps/rag/index.cpp, embedded at build time by CMakeLists.txt) and the page (web/rag/store.mjs, fetched from this
-- origin) both create, so one index file opens on both sides. Version and application id: index.cpp / store.mjs.
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, sha256 TEXT NOT NULL, kind TEXT NOT NULL,
                       bytes INTEGER NOT NULL, pages INTEGER NOT NULL, n_chunks INTEGER NOT NULL,
                       added_at INTEGER NOT NULL);
CREATE TABLE chunks(id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES documents(id), page INTEGER NOT NULL,
                    begin INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, embedding BLOB NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  DELETE FROM chunks_fts WHERE rowid = old.id;
END;
