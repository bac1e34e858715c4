// index.h — the retrieval index (issue 21, point 3): one SQLite file (Debian's libsqlite3) holding the documents,
// their chunks with embeddings as float32 BLOBs, an FTS5 table over the chunk texts for BM25, and the identity of the
// embedding model that made the vectors. Search: BM25 through FTS5 and dense (cosine) fused by reciprocal rank
// fusion (RRF). Dense search is exact (every stored vector) below DenseOptions::threshold passages and an HNSW graph
// (ann.h) at or above it; the graph lives in the sidecar INDEX.hnsw, stamped with the index's generation (bumped by
// every put and remove), kept up to date incrementally by put/remove (markDelete + add) and saved by flush() (also
// on destruction); a missing, stale or corrupt sidecar is rebuilt from the stored embeddings, with one line on stderr.
// Schema (application_id 0x536F7474 'Sott', user_version 1):
//   meta(key PRIMARY KEY, value)          model_name, model_sha256, model_file, n_embd, chunk_tokens, chunk_overlap,
//                                         generation
//   documents(id, path UNIQUE, sha256, kind, bytes, pages, n_chunks, added_at)
//   chunks(id, doc_id, page, begin, end, text, embedding BLOB)   begin/end: bytes into the page's text
//   chunks_fts USING fts5(text, tokenize 'unicode61 remove_diacritics 2'); rowid = chunks.id, kept by triggers
// Every change is one transaction: a document's chunks (table and FTS) are replaced or removed together.
// Errors are one-line Errors naming the file: not a database, not a sotto index, corrupt, another model's index.
// A file that is not a sotto index is never written to.
// Does not: embed (the caller passes vectors from rag::Embedder), parse files (ingest.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "rag/ingest.h"

struct sqlite3;

namespace sotto::rag {

class Ann;

// Exact or approximate dense search. from_env(): SOTTO_DENSE=auto|exact|hnsw, SOTTO_HNSW_THRESHOLD=N passages.
struct DenseOptions {
  enum Mode { kAuto, kExact, kHnsw } mode = kAuto;
  int64_t threshold = 20000;  // kAuto: HNSW at or above this many passages
  int build_threads = 0;      // graph (re)builds; 0: the machine's cores; 1: the same graph every time
  static DenseOptions from_env();  // a bad value is an Error naming the variable
};

struct ModelId {
  std::string name;    // general.name
  std::string sha256;  // of the GGUF file
  std::string file;    // where it was when the index was made (a default for search)
  int n_embd = 0;
};

struct DocInfo {
  std::string path, sha256, kind;
  int64_t bytes = 0, pages = 0, n_chunks = 0, added_at = 0;
};

struct Hit {
  int64_t chunk_id = 0;
  std::string document;
  int page = 0;
  int64_t begin = 0, end = 0;
  std::string text;
  double bm25 = 0, dense = 0, fused = 0;  // bm25: -FTS5 bm25() (higher is better); dense: cosine
  int bm25_rank = 0, dense_rank = 0;      // 1-based; 0 when not among that list's candidates
};

struct SearchOptions {
  int k = 5;
  int candidates = 100;  // depth of each list fed to the fusion
  double rrf_k = 60;     // fused = sum over lists of 1 / (rrf_k + rank)
};

// Hex SHA-256 of bytes (OpenSSL's libcrypto).
std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);  // streamed; an unreadable file is an Error
// An FTS5 query of a free-text one: its words (letters and digits), each quoted, joined by OR; "" when none.
std::string fts_query(const std::string& text);

class Index {
 public:
  // create: make the file when it does not exist (else a missing file is an Error). read_only: search and ls.
  static std::unique_ptr<Index> open(const std::string& path, bool create, bool read_only);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  const std::string& path() const { return path_; }
  // The model the index was made with; n_embd 0 when it has none yet (empty new index).
  ModelId model() const;
  // Records the model on first use; afterwards a different sha256 or n_embd is an Error naming both.
  void check_model(const ModelId& m, bool record);

  // The stored document at path, if any (found: false otherwise).
  bool find(const std::string& path, DocInfo* out) const;
  // Replaces path's chunks (table and FTS) with these, in one transaction. emb: [chunks.size()][n_embd].
  void put(const Document& d, const std::string& sha256, int64_t bytes, const std::vector<Chunk>& chunks,
           const std::vector<float>& emb);
  // Removes the documents at path or under it (a folder); returns their paths.
  std::vector<std::string> remove(const std::string& path);
  std::vector<DocInfo> list() const;
  int64_t n_chunks() const;
  void set_meta(const std::string& key, const std::string& value);
  std::string meta(const std::string& key) const;

  // Dense search mode; takes effect at the next put, remove or search.
  void set_dense(const DenseOptions& d) { dense_ = d; }
  // Whether dense search uses the HNSW graph at the index's present size.
  bool uses_hnsw() const;
  // Bumped by every put and remove (0 for an index that has had neither).
  int64_t generation() const;
  // Saves the graph to the sidecar if it changed (the destructor calls it too, reporting errors on stderr).
  void flush();
  std::string sidecar_path() const { return path_ + ".hnsw"; }

  // The passages of one page of a stored document, in page order (scores 0); none when it has no such page.
  std::vector<Hit> page_passages(const std::string& document, int page) const;
  // BM25 and cosine (query: the normalised query embedding, n_embd floats) fused by RRF; the top o.k.
  std::vector<Hit> search(const std::string& text, const std::vector<float>& query, const SearchOptions& o) const;

 private:
  Index();
  bool uses_hnsw(int64_t n_chunks) const;
  // The graph, loaded from the sidecar or rebuilt (saved when it can be), matching the present generation; with
  // apply, the passages put since are added to it first (put and remove leave them pending, to add them in one batch
  // on all cores when the graph is next searched or saved).
  Ann* graph(bool apply = true) const;
  void apply_pending() const;
  void drop_pending() const;
  int threads() const;  // for graph builds
  void build_graph(int64_t generation, const char* why) const;  // from the stored embeddings; saves the sidecar
  int64_t n_chunks_now() const;  // n_chunks(), cached per generation
  // After a committed put/remove that moved the index from generation before to before + 1: marks gone deleted and
  // adds added (vecs [added][n_embd]) to the pending ones; drops the graph if it was not of generation before.
  void update_graph(int64_t before, const std::vector<int64_t>& gone, const std::vector<int64_t>& added,
                    const float* vecs);
  std::vector<int64_t> chunk_ids_of(const std::string& doc_path) const;
  std::string path_;
  sqlite3* db_ = nullptr;
  DenseOptions dense_;
  mutable std::unique_ptr<Ann> ann_;
  mutable int64_t ann_gen_ = -1;  // the generation ann_ matches
  mutable bool ann_dirty_ = false;  // differs from the sidecar
  mutable int64_t count_gen_ = -1, count_ = 0;
  mutable std::vector<int64_t> pending_ids_;  // committed, not yet in ann_
  mutable std::vector<float> pending_vecs_;   // [pending_ids_][n_embd]
  mutable std::unordered_map<int64_t, size_t> pending_at_;  // id -> its place in pending_ids_ (-1 there: removed)
};

}  // namespace sotto::rag
