// index.cpp — see index.h. SQLite (FTS5 for BM25), exact cosine over the stored vectors or the HNSW graph of ann.h,
// RRF fusion.
#include "rag/index.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <map>
#include <thread>

#include "core/error.h"
#include "rag/ann.h"

namespace sotto::rag {

namespace {

constexpr int kAppId = 0x536F7474;  // 'Sott'
constexpr int kVersion = 1;

// The tables: web/rag/schema.sql, shared with the page (web/rag/store.mjs); CMake embeds it as a raw string.
const char* const kSchema =
#include "rag-schema.gen.inc"
    ;

// A prepared statement; errors name the index file.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& path, const char* sql) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) die();
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& bind(int i, int64_t v) { return ok(sqlite3_bind_int64(s_, i, v)); }
  Stmt& bind(int i, const std::string& v) { return ok(sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT)); }
  Stmt& blob(int i, const void* p, size_t n) { return ok(sqlite3_bind_blob(s_, i, p, int(n), SQLITE_STATIC)); }
  bool step() {  // true: a row
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) die();
    return false;
  }
  void run() {
    step();
    sqlite3_reset(s_);
  }
  void reset() { sqlite3_reset(s_); }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  double f64(int c) const { return sqlite3_column_double(s_, c); }
  std::string str(int c) const {
    const auto* t = sqlite3_column_text(s_, c);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, c))) : std::string();
  }
  const void* blob_data(int c) const { return sqlite3_column_blob(s_, c); }
  size_t blob_size(int c) const { return size_t(sqlite3_column_bytes(s_, c)); }

 private:
  Stmt& ok(int rc) {
    if (rc != SQLITE_OK) die();
    return *this;
  }
  [[noreturn]] void die() const { fail(path_, ": ", sqlite3_errmsg(db_)); }
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* s_ = nullptr;
};

void exec(sqlite3* db, const std::string& path, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    fail(path, ": ", m);
  }
}

// Rolls back unless committed.
class Txn {
 public:
  Txn(sqlite3* db, const std::string& path) : db_(db), path_(path) { exec(db, path, "BEGIN IMMEDIATE"); }
  void commit() {
    exec(db_, path_, "COMMIT");
    done_ = true;
  }
  ~Txn() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_;
  std::string path_;
  bool done_ = false;
};

const char* const kBumpGeneration =
    "INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', "
    "COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation'), 0) + 1)";

bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::string hex(const unsigned char* md, unsigned int n) {
  static const char* const kHex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < n; i++) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr) != 1) fail("sha256: libcrypto failed");
  return hex(md, n);
}

std::string sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) fail(path, ": cannot open (", std::strerror(errno), ")");
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) fail("sha256: libcrypto failed");
  std::vector<char> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), n);
  if (std::ferror(f.get())) fail(path, ": read error");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return hex(md, len);
}

std::string fts_query(const std::string& text) {
  std::string q;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && !word_byte(static_cast<unsigned char>(text[i]))) i++;
    const size_t b = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) i++;
    if (i > b) q += (q.empty() ? "\"" : " OR \"") + text.substr(b, i - b) + "\"";
  }
  return q;
}

DenseOptions DenseOptions::from_env() {
  DenseOptions d;
  if (const char* m = std::getenv("SOTTO_DENSE"); m && *m) {
    const std::string v = m;
    if (v == "auto") d.mode = kAuto;
    else if (v == "exact") d.mode = kExact;
    else if (v == "hnsw") d.mode = kHnsw;
    else fail("SOTTO_DENSE=", v, ": expected auto, exact or hnsw");
  }
  if (const char* t = std::getenv("SOTTO_HNSW_THRESHOLD"); t && *t) {
    char* end = nullptr;
    const long long v = std::strtoll(t, &end, 10);
    if (*end || v < 0) fail("SOTTO_HNSW_THRESHOLD=", t, ": expected a number of passages (0 or more)");
    d.threshold = v;
  }
  return d;
}

Index::Index() = default;

std::unique_ptr<Index> Index::open(const std::string& path, bool create, bool read_only) {
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && !create) fail(path, ": no such index (make one with: sotto index add FILES --db ", path, " -m MODEL)");
  if (exists && !S_ISREG(st.st_mode)) fail(path, ": not a file");
  std::unique_ptr<Index> ix(new Index());
  ix->path_ = path;
  ix->dense_ = DenseOptions::from_env();
  const int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &ix->db_, flags, nullptr) != SQLITE_OK)
    fail(path, ": cannot open (", ix->db_ ? sqlite3_errmsg(ix->db_) : "out of memory", ")");
  sqlite3_busy_timeout(ix->db_, 5000);
  sqlite3_extended_result_codes(ix->db_, 0);
  // What is there: a new (empty) file gets the schema; anything else must be a sotto index of this version.
  int64_t app = 0, ver = 0, n_tables = 0;
  try {
    Stmt a(ix->db_, path, "PRAGMA application_id");
    if (a.step()) app = a.i64(0);
    Stmt v(ix->db_, path, "PRAGMA user_version");
    if (v.step()) ver = v.i64(0);
    Stmt t(ix->db_, path, "SELECT count(*) FROM sqlite_master");
    if (t.step()) n_tables = t.i64(0);
  } catch (const Error& e) {
    fail(path, ": not a readable sotto index (", std::string(e.what()).substr(path.size() + 2), ")");
  }
  if (app == 0 && n_tables == 0 && !read_only) {
    Txn tx(ix->db_, path);
    exec(ix->db_, path, kSchema);
    exec(ix->db_, path, ("PRAGMA application_id = " + std::to_string(kAppId)).c_str());
    exec(ix->db_, path, ("PRAGMA user_version = " + std::to_string(kVersion)).c_str());
    tx.commit();
  } else if (app == 0 && n_tables == 0) {
    fail(path, ": empty index (nothing added yet)");
  } else if (app != kAppId) {
    fail(path, ": an SQLite database, but not a sotto index (application_id ", std::to_string(app), "); left as it is");
  } else if (ver != kVersion) {
    fail(path, ": sotto index version ", std::to_string(ver), ", this build reads version ", std::to_string(kVersion));
  }
  return ix;
}

Index::~Index() {
  try {
    flush();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
  sqlite3_close(db_);
}

int64_t Index::generation() const {
  const std::string g = meta("generation");
  return g.empty() ? 0 : std::stoll(g);
}

int64_t Index::n_chunks_now() const {
  const int64_t gen = generation();
  if (gen != count_gen_) count_ = n_chunks(), count_gen_ = gen;
  return count_;
}

bool Index::uses_hnsw(int64_t n) const {
  return dense_.mode == DenseOptions::kHnsw || (dense_.mode == DenseOptions::kAuto && n >= dense_.threshold);
}

bool Index::uses_hnsw() const { return uses_hnsw(n_chunks_now()); }

void Index::build_graph(int64_t gen, const char* why) const {
  const auto t0 = std::chrono::steady_clock::now();
  const int n_embd = model().n_embd;
  std::vector<int64_t> ids;
  std::vector<float> vecs;
  {
    Stmt s(db_, path_, "SELECT id, embedding FROM chunks ORDER BY id");
    while (s.step()) {
      if (s.blob_size(1) != size_t(n_embd) * sizeof(float))
        fail(path_, ": chunk ", std::to_string(s.i64(0)), " has an embedding of ", std::to_string(s.blob_size(1)),
             " bytes, expected ", std::to_string(n_embd * 4), " (corrupt index)");
      ids.push_back(s.i64(0));
      const float* v = static_cast<const float*>(s.blob_data(1));
      vecs.insert(vecs.end(), v, v + n_embd);
    }
  }
  ann_.reset();
  drop_pending();
  auto a = std::make_unique<Ann>(n_embd, ids.size() + ids.size() / 4);
  a->add(ids, vecs.data(), threads());
  ann_ = std::move(a);
  ann_gen_ = gen;
  ann_dirty_ = true;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!ids.empty() || std::string(why) != "missing")
    std::fprintf(stderr, "%s: %s; %s the HNSW graph of %zu passages from the stored embeddings (%.1f s)\n",
               sidecar_path().c_str(), why, std::string(why) == "missing" ? "built" : "rebuilt", ids.size(), secs);
  try {
    ann_->save(sidecar_path(), gen);
    ann_dirty_ = false;
  } catch (const Error& e) {  // a cache: search goes on with the graph in memory
    std::fprintf(stderr, "%s (the graph is rebuilt next time)\n", e.what());
    ann_dirty_ = false;
  }
}

int Index::threads() const {
  return dense_.build_threads > 0 ? dense_.build_threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

void Index::drop_pending() const {
  pending_ids_.clear();
  pending_vecs_.clear();
  pending_at_.clear();
}

void Index::apply_pending() const {
  if (!ann_ || pending_ids_.empty()) return;
  try {
    const size_t n = size_t(ann_->n_embd());
    size_t live = 0;
    for (size_t i = 0; i < pending_ids_.size(); i++)
      if (pending_ids_[i] >= 0) {
        if (live != i)
          std::copy_n(pending_vecs_.begin() + ptrdiff_t(i * n), n, pending_vecs_.begin() + ptrdiff_t(live * n));
        pending_ids_[live++] = pending_ids_[i];
      }
    pending_ids_.resize(live);
    const auto t0 = std::chrono::steady_clock::now();
    ann_->add(pending_ids_, pending_vecs_.data(), threads());
    if (live >= 10000)  // a long pause otherwise unexplained (the end of a large `index add`)
      std::fprintf(stderr, "%s: added %zu passages to the HNSW graph (%.1f s)\n", sidecar_path().c_str(), live,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const std::exception&) {  // the graph is rebuilt when next needed
    ann_.reset();
  }
  drop_pending();
}

Ann* Index::graph(bool apply) const {
  const int64_t gen = generation();
  if (ann_ && ann_gen_ == gen) {
    if (apply) apply_pending();
    if (ann_) return ann_.get();
  }
  drop_pending();
  std::string why;
  ann_ = Ann::load(sidecar_path(), model().n_embd, gen, size_t(n_chunks()), &why);
  if (ann_) {
    ann_gen_ = gen;
    ann_dirty_ = false;
  } else {
    build_graph(gen, why.c_str());
  }
  return ann_.get();
}

void Index::flush() {
  if (!ann_ || !ann_dirty_) return;
  apply_pending();
  if (!ann_) return;
  if (ann_->n_deleted() > ann_->n_live() / 2 + 1000) {  // compaction: markDelete leaves the nodes in the graph
    build_graph(ann_gen_, "over half its nodes deleted");
    return;
  }
  ann_->save(sidecar_path(), ann_gen_);
  ann_dirty_ = false;
}

std::vector<int64_t> Index::chunk_ids_of(const std::string& doc_path) const {
  std::vector<int64_t> v;
  Stmt s(db_, path_, "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = ?");
  s.bind(1, doc_path);
  while (s.step()) v.push_back(s.i64(0));
  return v;
}

void Index::set_meta(const std::string& key, const std::string& value) {
  Stmt(db_, path_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)").bind(1, key).bind(2, value).run();
}

std::string Index::meta(const std::string& key) const {
  Stmt s(db_, path_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  return s.step() ? s.str(0) : std::string();
}

ModelId Index::model() const {
  ModelId m;
  m.name = meta("model_name");
  m.sha256 = meta("model_sha256");
  m.file = meta("model_file");
  const std::string d = meta("n_embd");
  m.n_embd = d.empty() ? 0 : std::stoi(d);
  return m;
}

void Index::check_model(const ModelId& m, bool record) {
  const ModelId have = model();
  if (have.n_embd == 0) {
    if (!record) fail(path_, ": the index has no embedding model recorded (nothing added yet)");
    Txn tx(db_, path_);
    set_meta("model_name", m.name);
    set_meta("model_sha256", m.sha256);
    set_meta("model_file", m.file);
    set_meta("n_embd", std::to_string(m.n_embd));
    tx.commit();
    return;
  }
  if (have.sha256 != m.sha256 || have.n_embd != m.n_embd)
    fail(m.file, ": not this index's embedding model (", path_, " was made with '", have.name, "', ",
         std::to_string(have.n_embd), " dims, sha256 ", have.sha256.substr(0, 12), "...; this is '", m.name, "', ",
         std::to_string(m.n_embd), " dims, sha256 ", m.sha256.substr(0, 12), "...)");
}

bool Index::find(const std::string& path, DocInfo* out) const {
  Stmt s(db_, path_, "SELECT path, sha256, kind, bytes, pages, n_chunks, added_at FROM documents WHERE path = ?");
  s.bind(1, path);
  if (!s.step()) return false;
  *out = {s.str(0), s.str(1), s.str(2), s.i64(3), s.i64(4), s.i64(5), s.i64(6)};
  return true;
}

void Index::put(const Document& d, const std::string& sha256, int64_t bytes, const std::vector<Chunk>& chunks,
                const std::vector<float>& emb) {
  const int n_embd = model().n_embd;
  if (n_embd <= 0 || emb.size() != chunks.size() * size_t(n_embd)) fail(path_, ": put: embeddings do not match the chunks");
  // The graph as of before this change (loaded or built), updated below once the change is committed.
  const bool keep = ann_ || (dense_.mode != DenseOptions::kExact && uses_hnsw(n_chunks_now() + int64_t(chunks.size())));
  Ann* g = keep ? graph(false) : nullptr;
  const std::vector<int64_t> old = g ? chunk_ids_of(d.path) : std::vector<int64_t>();
  std::vector<int64_t> ids;
  Txn tx(db_, path_);
  Stmt(db_, path_, "DELETE FROM chunks WHERE doc_id IN (SELECT id FROM documents WHERE path = ?)").bind(1, d.path).run();
  Stmt(db_, path_, "DELETE FROM documents WHERE path = ?").bind(1, d.path).run();
  Stmt doc(db_, path_,
           "INSERT INTO documents(path, sha256, kind, bytes, pages, n_chunks, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  doc.bind(1, d.path).bind(2, sha256).bind(3, d.kind).bind(4, bytes).bind(5, int64_t(d.pages.size()));
  doc.bind(6, int64_t(chunks.size())).bind(7, int64_t(std::time(nullptr))).run();
  const int64_t doc_id = sqlite3_last_insert_rowid(db_);
  Stmt ins(db_, path_, "INSERT INTO chunks(doc_id, page, begin, end, text, embedding) VALUES (?, ?, ?, ?, ?, ?)");
  for (size_t i = 0; i < chunks.size(); i++) {
    const Chunk& c = chunks[i];
    ins.bind(1, doc_id).bind(2, int64_t(c.page)).bind(3, int64_t(c.begin)).bind(4, int64_t(c.end)).bind(5, c.text);
    ins.blob(6, emb.data() + i * size_t(n_embd), size_t(n_embd) * sizeof(float)).run();  // little-endian float32
    ids.push_back(sqlite3_last_insert_rowid(db_));
  }
  const int64_t before = generation();  // under the write lock: the generation this change follows
  exec(db_, path_, kBumpGeneration);
  tx.commit();
  if (g) update_graph(before, old, ids, emb.data());
}

void Index::update_graph(int64_t before, const std::vector<int64_t>& gone, const std::vector<int64_t>& added,
                         const float* vecs) {
  if (!ann_) return;
  if (ann_gen_ != before) {  // another writer changed the index since the graph was read: reload or rebuild it later
    ann_.reset();
    drop_pending();
    return;
  }
  try {
    for (const int64_t id : gone) {
      const auto it = pending_at_.find(id);
      if (it == pending_at_.end()) {
        ann_->remove(id);
      } else {  // never added: dropped from the batch
        pending_ids_[it->second] = -1;
        pending_at_.erase(it);
      }
    }
    for (const int64_t id : added) pending_at_[id] = pending_ids_.size(), pending_ids_.push_back(id);
    pending_vecs_.insert(pending_vecs_.end(), vecs, vecs + added.size() * size_t(ann_->n_embd()));
    ann_gen_ = before + 1;
    ann_dirty_ = true;
  } catch (const std::exception&) {  // committed already: the graph is rebuilt when next needed
    ann_.reset();
    drop_pending();
  }
}

std::vector<std::string> Index::remove(const std::string& path) {
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  dir += '/';
  std::vector<std::string> gone;
  const bool g = ann_ || (dense_.mode != DenseOptions::kExact && uses_hnsw(n_chunks_now()));
  if (g) graph(false);
  std::vector<int64_t> gone_ids;
  Txn tx(db_, path_);
  {
    Stmt s(db_, path_, "SELECT path FROM documents WHERE path = ? OR substr(path, 1, length(?)) = ?");
    s.bind(1, path).bind(2, dir).bind(3, dir);
    while (s.step()) gone.push_back(s.str(0));
  }
  for (const std::string& p : gone) {
    if (g)
      for (const int64_t id : chunk_ids_of(p)) gone_ids.push_back(id);
    Stmt(db_, path_, "DELETE FROM chunks WHERE doc_id IN (SELECT id FROM documents WHERE path = ?)").bind(1, p).run();
    Stmt(db_, path_, "DELETE FROM documents WHERE path = ?").bind(1, p).run();
  }
  const int64_t before = generation();
  if (!gone.empty()) exec(db_, path_, kBumpGeneration);
  tx.commit();
  if (g && !gone.empty()) update_graph(before, gone_ids, {}, nullptr);
  return gone;
}

std::vector<DocInfo> Index::list() const {
  std::vector<DocInfo> v;
  Stmt s(db_, path_, "SELECT path, sha256, kind, bytes, pages, n_chunks, added_at FROM documents ORDER BY path");
  while (s.step()) v.push_back({s.str(0), s.str(1), s.str(2), s.i64(3), s.i64(4), s.i64(5), s.i64(6)});
  return v;
}

int64_t Index::n_chunks() const {
  Stmt s(db_, path_, "SELECT count(*) FROM chunks");
  return s.step() ? s.i64(0) : 0;
}

std::vector<Hit> Index::page_passages(const std::string& document, int page) const {
  std::vector<Hit> v;
  Stmt s(db_, path_,
         "SELECT c.id, c.begin, c.end, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id "
         "WHERE d.path = ? AND c.page = ? ORDER BY c.begin");
  s.bind(1, document).bind(2, int64_t(page));
  while (s.step()) {
    Hit h;
    h.chunk_id = s.i64(0);
    h.document = document;
    h.page = page;
    h.begin = s.i64(1);
    h.end = s.i64(2);
    h.text = s.str(3);
    v.push_back(std::move(h));
  }
  return v;
}

std::vector<Hit> Index::search(const std::string& text, const std::vector<float>& query, const SearchOptions& o) const {
  const int n_embd = model().n_embd;
  if (int(query.size()) != n_embd)
    fail(path_, ": the query vector has ", std::to_string(query.size()), " dims, the index ", std::to_string(n_embd));
  const size_t depth = size_t(std::max(o.candidates, o.k));
  std::map<int64_t, Hit> hits;
  // BM25 through FTS5 (its bm25() is lower-is-better; reported negated).
  const std::string q = fts_query(text);
  if (!q.empty()) {
    Stmt s(db_, path_, "SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?");
    s.bind(1, q).bind(2, int64_t(depth));
    int rank = 0;
    while (s.step()) {
      Hit& h = hits[s.i64(0)];
      h.bm25 = -s.f64(1);
      h.bm25_rank = ++rank;
    }
  }
  // Dense: the stored vectors and the query are L2-normalised, so cosine is the dot product. Exact below the
  // threshold (every vector), the HNSW graph at or above it (beam max(128, 2 * depth): 64 gave recall@10 0.92 on
  // random 64-dim vectors, test-rag-hnsw).
  struct Scored {
    double score;
    int64_t id;
  };
  std::vector<Scored> dense;
  if (uses_hnsw(n_chunks_now())) {
    for (const auto& [dot, id] : graph()->search(query.data(), depth, std::max<size_t>(128, 2 * depth)))
      dense.push_back({double(dot), id});
  } else {
    Stmt s(db_, path_, "SELECT id, embedding FROM chunks");
    while (s.step()) {
      if (s.blob_size(1) != size_t(n_embd) * sizeof(float))
        fail(path_, ": chunk ", std::to_string(s.i64(0)), " has an embedding of ", std::to_string(s.blob_size(1)),
             " bytes, expected ", std::to_string(n_embd * 4), " (corrupt index)");
      const float* v = static_cast<const float*>(s.blob_data(1));
      float dot = 0;
      for (int i = 0; i < n_embd; i++) dot += v[i] * query[size_t(i)];
      dense.push_back({double(dot), s.i64(0)});
    }
  }
  const size_t nd = std::min(depth, dense.size());
  std::partial_sort(dense.begin(), dense.begin() + ptrdiff_t(nd), dense.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  for (size_t r = 0; r < nd; r++) {
    Hit& h = hits[dense[r].id];
    h.dense = dense[r].score;
    h.dense_rank = int(r + 1);
  }
  // Reciprocal rank fusion.
  std::vector<Hit> out;
  for (auto& [id, h] : hits) {
    h.chunk_id = id;
    h.fused = (h.bm25_rank ? 1.0 / (o.rrf_k + h.bm25_rank) : 0.0) + (h.dense_rank ? 1.0 / (o.rrf_k + h.dense_rank) : 0.0);
    out.push_back(h);
  }
  std::sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) {
    return a.fused != b.fused ? a.fused > b.fused : a.chunk_id < b.chunk_id;
  });
  if (out.size() > size_t(o.k)) out.resize(size_t(o.k));
  Stmt s(db_, path_,
         "SELECT d.path, c.page, c.begin, c.end, c.text, c.embedding FROM chunks c JOIN documents d ON d.id = c.doc_id "
         "WHERE c.id = ?");
  for (Hit& h : out) {
    s.bind(1, h.chunk_id);
    if (s.step()) {
      h.document = s.str(0);
      h.page = int(s.i64(1));
      h.begin = s.i64(2);
      h.end = s.i64(3);
      h.text = s.str(4);
      if (!h.dense_rank && s.blob_size(5) == size_t(n_embd) * sizeof(float)) {  // a hit only BM25 ranked: its cosine
        const float* v = static_cast<const float*>(s.blob_data(5));
        float dot = 0;
        for (int i = 0; i < n_embd; i++) dot += v[i] * query[size_t(i)];
        h.dense = dot;
      }
    }
    s.reset();
  }
  return out;
}

}  // namespace sotto::rag
