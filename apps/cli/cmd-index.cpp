// cmd-index.cpp — `sotto index add | rm | ls` and `sotto search`: the retrieval index of apps/rag (index.h: SQLite
// with FTS5 and the chunk embeddings; ingest.h: text, Markdown, HTML, PDF -> chunks with page and byte offsets).
//   index add PATH... --db FILE [-m MODEL]  files, or folders walked recursively (their .txt .md .html .htm .pdf);
//                                            an unchanged file (same SHA-256) is skipped, a changed one replaced;
//                                            progress a file on stderr; -m is needed for a new index only.
//   index rm PATH... --db FILE               a document, or every document under a folder, from table and FTS.
//   index ls --db FILE                       the model and the documents.
//   search "QUERY" --db FILE [-k 5] [--json] [-m MODEL]   BM25 + cosine, fused by RRF; the model is the index's.
// A file that fails (unreadable, corrupt, encrypted, empty) is one line on stderr; the others go on; exit status 1.
// Paths are stored absolute (so rm and search agree from any folder). Also load_embed_model (embed-model.h), which
// `sotto ask` shares.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "backend/backend.h"
#include "cli.h"
#include "embed-model.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "rag/embedder.h"
#include "rag/index.h"
#include "rag/ingest.h"

namespace sotto::cli {

namespace {

namespace fs = std::filesystem;

std::string num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string abs_path(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal().string() : a.string();
}

}  // namespace

EmbedModel load_embed_model(rag::Index* ix, const std::string& model_arg, int n_threads, bool quiet, const char* flag) {
  EmbedModel m;
  std::string path = model_arg;
  if (path.empty()) {
    path = ix ? ix->model().file : "";
    if (path.empty()) throw UsageError("sotto index add: -m MODEL.gguf is required for a new index (see sotto index add --help)");
    if (!fs::exists(path)) fail(ix->path(), ": its embedding model ", path, " is not there any more; give ", flag, " MODEL.gguf");
  }
  m.file = GgufFile::open(path);
  m.pool = std::make_unique<ThreadPool>(resolve_threads(n_threads, quiet));
  m.be = make_cpu_backend(*m.pool);
  m.emb = std::make_unique<rag::Embedder>(*m.file, *m.be);
  m.id.name = m.file->get_string_or("general.name", fs::path(path).filename().string());
  m.id.sha256 = rag::sha256_file(path);
  m.id.file = abs_path(path);
  m.id.n_embd = m.emb->n_embd();
  return m;
}

namespace {

int index_add(int argc, char** argv) {
  std::string db, model;
  std::vector<std::string> paths;
  int n_threads = 0, chunk_tokens = 200, overlap = 40;
  bool quiet = false;
  ArgParser ap("sotto index add", "PATH... --db INDEX.sqlite [-m EMBED.gguf] [--chunk-tokens N] [--overlap N]",
               "Adds files and folders (walked recursively: .txt .md .html .htm .pdf) to a retrieval index: each "
               "document is cut into passages of about --chunk-tokens tokens overlapping by --overlap, embedded, and "
               "stored with its page and byte offsets. A file already indexed with the same content is skipped; a "
               "changed one replaces its passages.");
  ap.positionals("PATH...", &paths, "files or folders");
  ap.option("--db", &db, "FILE", "the index (SQLite; made when missing)");
  ap.model("-m,--model", &model, "the embedding model (GGUF); default: the one the index was made with");
  ap.option("--chunk-tokens", &chunk_tokens, "N", "tokens a passage, at most the model's context - 2 (200)", 8, 1 << 16);
  ap.option("--overlap", &overlap, "N", "tokens shared by neighbouring passages (40)", 0, 1 << 16);
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all (0)", 0, kMaxThreads);
  ap.flag("-q,--quiet", &quiet, "no progress lines");
  if (!ap.parse(argc, argv, 2)) return 0;
  if (db.empty()) ap.usage_error("--db INDEX.sqlite is required");
  if (paths.empty()) ap.usage_error("give the files or folders to add");
  if (overlap >= chunk_tokens) ap.usage_error("--overlap must be less than --chunk-tokens");

  const auto t0 = std::chrono::steady_clock::now();
  size_t failed = 0, skipped_types = 0;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        if (rag::document_kind(it->path().string()).empty()) {
          skipped_types++;
          continue;
        }
        found.push_back(it->path().string());
      }
      if (ec) {
        std::fprintf(stderr, "sotto: %s: %s\n", p.c_str(), ec.message().c_str());
        failed++;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "sotto: %s: no such file or folder\n", p.c_str());
      failed++;
    }
  }

  if (files.empty() && failed) return 1;  // nothing to add: no index made
  // A new index file is made only once the model has loaded.
  std::unique_ptr<rag::Index> ix;
  if (fs::exists(db)) ix = rag::Index::open(db, false, false);
  EmbedModel m = load_embed_model(ix.get(), model, n_threads, quiet);
  if (!ix) ix = rag::Index::open(db, true, false);
  ix->check_model(m.id, true);
  rag::ChunkOptions co;
  co.max_tokens = std::min(chunk_tokens, m.emb->n_ctx() - 2);
  co.overlap = std::min(overlap, co.max_tokens - 1);
  const Tokenizer& tok = m.emb->tokenizer();
  co.word_tokens = [&tok](std::string_view w) { return int(tok.encode(w, false, false).size()); };
  rag::EmbedOptions eo;
  eo.truncate = true;  // a single word longer than a passage (rare): cut to the context

  size_t added = 0, updated = 0, unchanged = 0, n_new_chunks = 0;
  for (size_t i = 0; i < files.size(); i++) {
    const std::string path = abs_path(files[i]);
    const auto f0 = std::chrono::steady_clock::now();
    std::string bytes;
    try {
      bytes = read_file(files[i]);
    } catch (const Error& e) {
      std::fprintf(stderr, "sotto: %s\n", e.what());
      failed++;
      continue;
    }
    const std::string sha = rag::sha256_hex(bytes);
    rag::DocInfo have;
    const bool known = ix->find(path, &have);
    if (known && have.sha256 == sha) {
      unchanged++;
      if (!quiet) std::fprintf(stderr, "[%zu/%zu] %s: unchanged\n", i + 1, files.size(), files[i].c_str());
      continue;
    }
    rag::Document d;
    std::vector<rag::Chunk> chunks;
    try {
      d = rag::parse_document(files[i], bytes);
      d.path = path;
      chunks = rag::chunk_document(d, co);
    } catch (const Error& e) {
      std::fprintf(stderr, "sotto: %s\n", e.what());
      failed++;
      continue;
    }
    std::vector<std::string> texts;
    for (const auto& c : chunks) texts.push_back(c.text);
    const std::vector<float> vecs = m.emb->embed(texts, eo);
    ix->put(d, sha, int64_t(bytes.size()), chunks, vecs);
    (known ? updated : added)++;
    n_new_chunks += chunks.size();
    if (!quiet) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
      std::fprintf(stderr, "[%zu/%zu] %s: %zu passages, %zu page%s%s; %.2f s\n", i + 1, files.size(), files[i].c_str(),
                   chunks.size(), d.pages.size(), d.pages.size() == 1 ? "" : "s", known ? " (replaced)" : "", s);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: added %zu, replaced %zu, unchanged %zu, failed %zu (%zu passages embedded); %zu documents, %lld "
              "passages in the index; %.2f s\n",
              db.c_str(), added, updated, unchanged, failed, n_new_chunks, ix->list().size(),
              static_cast<long long>(ix->n_chunks()), secs);
  if (skipped_types && !quiet)
    std::fprintf(stderr, "sotto: %zu files in the folders were not .txt .md .html .htm .pdf and were left out\n",
                 skipped_types);
  return failed ? 1 : 0;
}

int index_rm(int argc, char** argv) {
  std::string db;
  std::vector<std::string> paths;
  ArgParser ap("sotto index rm", "PATH... --db INDEX.sqlite",
               "Removes documents (a file, or every document under a folder) from the index: their passages leave "
               "the table and the full-text index in one transaction.");
  ap.positionals("PATH...", &paths, "files or folders, as they were added");
  ap.option("--db", &db, "FILE", "the index");
  if (!ap.parse(argc, argv, 2)) return 0;
  if (db.empty()) ap.usage_error("--db INDEX.sqlite is required");
  if (paths.empty()) ap.usage_error("give the files or folders to remove");
  auto ix = rag::Index::open(db, false, false);
  size_t failed = 0;
  for (const std::string& p : paths) {
    const std::vector<std::string> gone = ix->remove(abs_path(p));
    if (gone.empty()) {
      std::fprintf(stderr, "sotto: %s: not in the index %s\n", p.c_str(), db.c_str());
      failed++;
    }
    for (const std::string& g : gone) std::printf("removed %s\n", g.c_str());
  }
  return failed ? 1 : 0;
}

int index_ls(int argc, char** argv) {
  std::string db;
  bool json = false;
  ArgParser ap("sotto index ls", "--db INDEX.sqlite [--json]", "Lists the index's embedding model and documents.");
  ap.option("--db", &db, "FILE", "the index");
  ap.flag("--json", &json, "one JSON object on stdout");
  if (!ap.parse(argc, argv, 2)) return 0;
  if (db.empty()) ap.usage_error("--db INDEX.sqlite is required");
  auto ix = rag::Index::open(db, false, true);
  const rag::ModelId m = ix->model();
  const std::vector<rag::DocInfo> docs = ix->list();
  if (json) {
    std::string s = "{\"model\":{\"name\":" + json::quote(m.name) + ",\"sha256\":" + json::quote(m.sha256) +
                    ",\"file\":" + json::quote(m.file) + ",\"n_embd\":" + std::to_string(m.n_embd) + "},\"documents\":[";
    for (size_t i = 0; i < docs.size(); i++) {
      const auto& d = docs[i];
      s += std::string(i ? "," : "") + "{\"path\":" + json::quote(d.path) + ",\"kind\":" + json::quote(d.kind) +
           ",\"sha256\":" + json::quote(d.sha256) + ",\"bytes\":" + std::to_string(d.bytes) +
           ",\"pages\":" + std::to_string(d.pages) + ",\"passages\":" + std::to_string(d.n_chunks) + "}";
    }
    s += "]}\n";
    std::fputs(s.c_str(), stdout);
    return 0;
  }
  std::printf("model: %s (%d dims, sha256 %s, %s)\n", m.name.c_str(), m.n_embd, m.sha256.substr(0, 12).c_str(),
              m.file.c_str());
  int64_t n = 0;
  for (const auto& d : docs) {
    std::printf("%-8s %4lld pages %5lld passages %10lld bytes  %s\n", d.kind.c_str(), static_cast<long long>(d.pages),
                static_cast<long long>(d.n_chunks), static_cast<long long>(d.bytes), d.path.c_str());
    n += d.n_chunks;
  }
  std::printf("%zu documents, %lld passages\n", docs.size(), static_cast<long long>(n));
  return 0;
}

std::string one_line(const std::string& s, size_t max) {
  std::string o;
  bool sp = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      sp = !o.empty();
      continue;
    }
    if (sp) o += ' ';
    sp = false;
    o += c;
  }
  if (o.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(o[cut]) & 0xC0) == 0x80) cut--;  // not inside a UTF-8 sequence
    o = o.substr(0, cut) + "...";
  }
  return o;
}

}  // namespace

int run_index(int argc, char** argv) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "add") return index_add(argc, argv);
  if (sub == "rm") return index_rm(argc, argv);
  if (sub == "ls") return index_ls(argc, argv);
  if (sub == "-h" || sub == "--help") {  // the three subcommands' help, one after the other
    for (const char* s : {"add", "rm", "ls"}) {
      char a0[] = "index", a2[] = "--help";
      std::string a1 = s;
      char* args[] = {a0, a1.data(), a2};
      run_index(3, args);
      if (s[0] != 'l') std::printf("\n");
    }
    return 0;
  }
  throw UsageError(sub.empty() ? "sotto index: give add, rm or ls (see sotto index add --help)"
                               : "sotto index: unknown subcommand '" + sub + "' (add, rm or ls)");
}

int run_search(int argc, char** argv) {
  std::string db, model, query;
  int k = 5, n_threads = 0, candidates = 100;
  bool json = false;
  ArgParser ap("sotto search", "\"QUERY\" --db INDEX.sqlite [-k 5] [--json] [-m EMBED.gguf]",
               "Searches an index: BM25 over the passages (SQLite FTS5) and cosine similarity of the query's embedding "
               "to every passage's (exact), fused by reciprocal rank fusion (1/(60 + rank) summed over the two lists). "
               "The query is embedded with the index's own model; another model is refused.");
  ap.positional("QUERY", &query, "the question or keywords");
  ap.option("--db", &db, "FILE", "the index");
  ap.option("-k", &k, "N", "passages to show (5)", 1, 1000);
  ap.option("--candidates", &candidates, "N", "depth of each ranked list before fusion (100)", 1, 1 << 20);
  ap.model("-m,--model", &model, "the embedding model (default: the one recorded in the index)");
  ap.flag("--json", &json, "one JSON object on stdout");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all (0)", 0, kMaxThreads);
  if (!ap.parse(argc, argv, 1)) return 0;
  if (db.empty()) ap.usage_error("--db INDEX.sqlite is required");
  if (std::all_of(query.begin(), query.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }))
    ap.usage_error("the query is empty");
  auto ix = rag::Index::open(db, false, true);
  if (ix->model().n_embd == 0) fail(db, ": empty index (nothing added yet)");
  EmbedModel m = load_embed_model(ix.get(), model, n_threads, true);
  ix->check_model(m.id, false);
  rag::EmbedOptions eo;
  eo.truncate = true;
  std::vector<float> q;
  try {
    q = m.emb->embed({query}, eo);
  } catch (const Error& e) {
    fail("the query: ", e.what());
  }
  rag::SearchOptions so;
  so.k = k;
  so.candidates = candidates;
  const std::vector<rag::Hit> hits = ix->search(query, q, so);
  if (json) {
    std::string s = "{\"query\":" + json::quote(query) + ",\"model\":" + json::quote(m.id.name) + ",\"results\":[";
    for (size_t i = 0; i < hits.size(); i++) {
      const auto& h = hits[i];
      s += std::string(i ? "," : "") + "{\"document\":" + json::quote(h.document) + ",\"page\":" + std::to_string(h.page) +
           ",\"begin\":" + std::to_string(h.begin) + ",\"end\":" + std::to_string(h.end) + ",\"text\":" + json::quote(h.text) +
           ",\"fused\":" + num(h.fused) + ",\"bm25\":" + (h.bm25_rank ? num(h.bm25) : "null") +
           ",\"bm25_rank\":" + (h.bm25_rank ? std::to_string(h.bm25_rank) : "null") + ",\"dense\":" + num(h.dense) +
           ",\"dense_rank\":" + (h.dense_rank ? std::to_string(h.dense_rank) : "null") + "}";
    }
    s += "]}\n";
    std::fputs(s.c_str(), stdout);
    return 0;
  }
  if (hits.empty()) std::printf("no passages\n");
  for (size_t i = 0; i < hits.size(); i++) {
    const auto& h = hits[i];
    std::printf("%zu. %s  page %d  bytes %lld-%lld\n   fused %.4f  bm25 %s  dense %.4f%s\n   %s\n", i + 1,
                h.document.c_str(), h.page, static_cast<long long>(h.begin), static_cast<long long>(h.end), h.fused,
                h.bm25_rank ? (num(h.bm25).substr(0, 8) + " (#" + std::to_string(h.bm25_rank) + ")").c_str() : "-",
                h.dense, h.dense_rank ? (" (#" + std::to_string(h.dense_rank) + ")").c_str() : "",
                one_line(h.text, 240).c_str());
  }
  return 0;
}

}  // namespace sotto::cli
