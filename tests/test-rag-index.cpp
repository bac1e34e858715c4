// test-rag-index.cpp — apps/rag ingestion and index without a model: the formats (text, Markdown, HTML through
// libxml2, PDF through poppler on PDFs written by tiny-pdf.h) and their one-line errors (empty, binary, not UTF-8,
// corrupt, encrypted and text-less PDFs, unsupported type); chunking (offsets slice the page text, overlap, budget);
// the SQLite index: BM25 ranking on a small fixed corpus with known answers, exact cosine search returning a stored
// vector's own chunk, RRF fusion, replace, rm gone from the table and from the FTS index, the model identity check,
// and corrupt or foreign database files refused with one line and left byte for byte as they were.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file.h"
#include "rag/index.h"
#include "rag/ingest.h"
#include "tiny-pdf.h"

using namespace sotto;
using namespace sotto::rag;

namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class RagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/sotto-rag-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string dir_;
};

TEST_F(RagTest, PdfPagesThroughPoppler) {
  const std::string p = write("a.pdf", tiny_pdf::make({"The patient has hypertension.\nBlood pressure 150/95.",
                                                       "Second page: prescribed lisinopril daily."}));
  const Document d = read_document(p);
  EXPECT_EQ(d.kind, "pdf");
  ASSERT_EQ(d.pages.size(), 2u);
  EXPECT_EQ(d.pages[0].page, 1);
  EXPECT_NE(d.pages[0].text.find("The patient has hypertension."), std::string::npos) << d.pages[0].text;
  EXPECT_NE(d.pages[0].text.find("Blood pressure 150/95."), std::string::npos);
  EXPECT_NE(d.pages[1].text.find("prescribed lisinopril daily"), std::string::npos) << d.pages[1].text;
  const auto chunks = chunk_document(d, {});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].page, 2);
  EXPECT_EQ(chunks[1].text, d.pages[1].text.substr(chunks[1].begin, chunks[1].end - chunks[1].begin));
}

TEST_F(RagTest, PdfErrorsAreOneLine) {
  const std::string ok = tiny_pdf::make({"Some text here."});
  const struct {
    std::string name, bytes, want;
  } cases[] = {
      {"enc.pdf", tiny_pdf::make({"Secret text."}, true), "enc.pdf: encrypted PDF (needs a password); decrypt it first"},
      {"trunc.pdf", ok.substr(0, 40), "trunc.pdf: corrupt PDF"},
      {"garbage.pdf", "%PDF-1.4\n\x01\x02 garbage", "garbage.pdf: corrupt PDF"},
      {"notpdf.pdf", "hello", "notpdf.pdf: not a PDF (no %PDF- header)"},
      {"blank.pdf", tiny_pdf::make({""}), "blank.pdf: no text layer in its 1 page(s)"},
      {"empty.pdf", "", "empty.pdf: empty file"},
  };
  for (const auto& c : cases) {
    const std::string p = write(c.name, c.bytes);
    const std::string e = error_of([&] { read_document(p); });
    EXPECT_NE(e.find(c.want), std::string::npos) << c.name << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST_F(RagTest, TextMarkdownHtml) {
  const std::string md = "# Title\n\nSome *markdown* text.\n";
  Document d = read_document(write("a.md", md));
  EXPECT_EQ(d.kind, "markdown");
  EXPECT_EQ(d.pages[0].text, md);  // the source as it is: offsets point into the file
  const std::string html =
      "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style><script>var x = 1;</script></head>"
      "<body><h1>HR record</h1><p>Employee &amp; manager   met about\nleave &lt;policy&gt; &eacute;t&#233;.</p>"
      "<ul><li>one</li><li>two</li></ul><p>unclosed <b>bold<p>next</body></html>";
  d = read_document(write("a.html", html));
  EXPECT_EQ(d.kind, "html");
  EXPECT_EQ(d.pages[0].text, "HR record\nEmployee & manager met about leave <policy> \xc3\xa9t\xc3\xa9.\none\ntwo\n"
                             "unclosed bold\nnext");
  d = read_document(write("a.TXT", "plain text"));
  EXPECT_EQ(d.kind, "text");
  const struct {
    std::string name, bytes, want;
  } bad[] = {
      {"e.txt", "", "e.txt: empty file"},
      {"w.txt", " \n\t\n", "w.txt: no text in it"},
      {"b.txt", std::string("ab\0cd", 5), "b.txt: binary data (a NUL byte), not text"},
      {"l.txt", "caf\xe9 au lait", "l.txt: not UTF-8 text (invalid byte at offset 3)"},
      {"s.html", "<html><script>x()</script></html>", "s.html: no text in it"},
      {"x.docx", "PK", "x.docx: unsupported file type '.docx'"},
  };
  for (const auto& c : bad) {
    const std::string p = write(c.name, c.bytes);
    const std::string e = error_of([&] { read_document(p); });
    EXPECT_NE(e.find(c.want), std::string::npos) << c.name << ": " << e;
  }
  EXPECT_NE(error_of([&] { read_document(dir_ + "/missing.txt"); }).find("missing.txt"), std::string::npos);
}

TEST_F(RagTest, ChunksSliceThePageAndOverlap) {
  std::string text;
  for (int i = 0; i < 100; i++) text += "w" + std::to_string(i) + (i % 7 == 6 ? "\n\n" : " ");
  Document d;
  d.pages.push_back({1, text});
  ChunkOptions o;
  o.max_tokens = 10;
  o.overlap = 3;
  o.word_tokens = [](std::string_view) { return 1; };
  const auto chunks = chunk_document(d, o);
  ASSERT_GT(chunks.size(), 10u);
  EXPECT_EQ(chunks.front().begin, 0u);
  EXPECT_EQ(chunks.back().end, text.size() - 1);  // the last word, without the trailing blank
  for (size_t i = 0; i < chunks.size(); i++) {
    const Chunk& c = chunks[i];
    EXPECT_EQ(c.text, text.substr(c.begin, c.end - c.begin));
    size_t words = 0;
    for (size_t k = 0; k < c.text.size(); k++) words += c.text[k] != ' ' && c.text[k] != '\n' && (k == 0 || c.text[k - 1] == ' ' || c.text[k - 1] == '\n');
    EXPECT_LE(words, 10u);
    if (i + 1 < chunks.size()) {
      EXPECT_EQ(words, 10u);
      // The next passage starts 3 words before this one ends.
      EXPECT_LT(chunks[i + 1].begin, c.end);
      EXPECT_EQ(text.substr(chunks[i + 1].begin, c.end - chunks[i + 1].begin),
                c.text.substr(c.text.size() - (c.end - chunks[i + 1].begin)));
    }
  }
  // A word over the budget is a passage of its own; progress is always made.
  Document big;
  big.pages.push_back({1, "a " + std::string(100, 'x') + " b"});
  o.word_tokens = [](std::string_view w) { return int(w.size()); };
  const auto bc = chunk_document(big, o);
  ASSERT_EQ(bc.size(), 3u);
  EXPECT_EQ(bc[1].text, std::string(100, 'x'));
}

// The fixed corpus: one passage a document, each with a known answer.
const char* const kCorpus[] = {
    "Metformin is prescribed for type 2 diabetes.",
    "The tenant must pay rent on the first day of each month.",
    "Annual leave requests go to the line manager.",
    "Blood pressure was 150/95; hypertension confirmed.",
    "The lease ends when the tenant gives two months notice.",
    "Diabetes diet advice given; follow-up in three months.",
};
constexpr int kDims = 8;

// Document i's vector: unit vector along axis i (exact search must find it for itself).
std::vector<float> axis(int i) {
  std::vector<float> v(kDims, 0.f);
  v[size_t(i)] = 1.f;
  return v;
}

ModelId test_model() { return {"test-model", std::string(64, 'a'), "/models/test.gguf", kDims}; }

std::unique_ptr<Index> corpus_index(const std::string& path) {
  auto ix = Index::open(path, true, false);
  ix->check_model(test_model(), true);
  for (int i = 0; i < 6; i++) {
    Document d;
    d.path = "/docs/" + std::to_string(i) + ".txt";
    d.kind = "text";
    d.pages.push_back({1, kCorpus[i]});
    const auto chunks = chunk_document(d, {});
    ix->put(d, sha256_hex(kCorpus[i]), 10, chunks, axis(i));
  }
  return ix;
}

// The document whose passage BM25 ranked first.
std::string bm25_first(const Index& ix, const std::string& q) {
  SearchOptions o;
  o.k = 100;
  for (const Hit& h : ix.search(q, axis(7), o))
    if (h.bm25_rank == 1) return h.document;
  return "";
}

TEST_F(RagTest, Bm25RanksAFixedCorpus) {
  auto ix = corpus_index(dir_ + "/i.sqlite");
  EXPECT_EQ(bm25_first(*ix, "metformin"), "/docs/0.txt");
  EXPECT_EQ(bm25_first(*ix, "tenant rent"), "/docs/1.txt");
  EXPECT_EQ(bm25_first(*ix, "who approves annual leave?"), "/docs/2.txt");
  EXPECT_EQ(bm25_first(*ix, "HYPERTENSION"), "/docs/3.txt");
  EXPECT_EQ(bm25_first(*ix, "lease notice"), "/docs/4.txt");
  EXPECT_EQ(bm25_first(*ix, "diabetes follow-up"), "/docs/5.txt");
  EXPECT_EQ(bm25_first(*ix, "\"quotes\" AND OR NEAR( * ) ^"), "");  // FTS5 syntax in a query is plain words
  EXPECT_EQ(fts_query("a \"b\" c-d"), "\"a\" OR \"b\" OR \"c\" OR \"d\"");
}

TEST_F(RagTest, ExactDenseSearchAndFusion) {
  auto ix = corpus_index(dir_ + "/i.sqlite");
  SearchOptions o;
  o.k = 6;
  for (int i = 0; i < 6; i++) {
    const auto hits = ix->search("", axis(i), o);  // no words: dense only
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].document, "/docs/" + std::to_string(i) + ".txt");
    EXPECT_EQ(hits[0].dense_rank, 1);
    EXPECT_FLOAT_EQ(float(hits[0].dense), 1.f);
    EXPECT_EQ(hits[0].text, kCorpus[i]);
    EXPECT_EQ(hits[0].bm25_rank, 0);
  }
  // First in both lists: fused = 2 / (60 + 1).
  const auto hits = ix->search("metformin", axis(0), o);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].document, "/docs/0.txt");
  EXPECT_EQ(hits[0].bm25_rank, 1);
  EXPECT_EQ(hits[0].dense_rank, 1);
  EXPECT_DOUBLE_EQ(hits[0].fused, 2.0 / 61.0);
  EXPECT_GT(hits[0].bm25, 0);
  EXPECT_EQ(hits[0].page, 1);
  EXPECT_EQ(hits[0].begin, 0);
  EXPECT_EQ(hits[0].end, int64_t(std::strlen(kCorpus[0])));
}

int64_t count(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  int64_t n = -1;
  if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return n;
}

TEST_F(RagTest, RemoveIsGoneFromTableAndFts) {
  const std::string db = dir_ + "/i.sqlite";
  {
    auto ix = corpus_index(db);
    EXPECT_EQ(ix->remove("/docs/0.txt"), std::vector<std::string>{"/docs/0.txt"});
    EXPECT_TRUE(ix->remove("/docs/0.txt").empty());
    EXPECT_EQ(bm25_first(*ix, "metformin"), "");
    SearchOptions o;
    o.k = 100;
    for (const Hit& h : ix->search("metformin diabetes", axis(0), o)) EXPECT_NE(h.document, "/docs/0.txt");
    EXPECT_EQ(ix->n_chunks(), 5);
  }
  // The FTS index itself holds no row and no term of it ("metformin" was only there).
  EXPECT_EQ(count(db, "SELECT count(*) FROM chunks_fts"), 5);
  EXPECT_EQ(count(db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'metformin'"), 0);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, chunks_fts, row)", nullptr, nullptr, nullptr),
            SQLITE_OK) << sqlite3_errmsg(h);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT count(*) FROM temp.v WHERE term = 'metformin'", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(s, 0), 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  // A folder removes what is under it, and nothing that merely shares the prefix.
  auto ix = Index::open(db, false, false);
  EXPECT_EQ(ix->remove("/docs/").size(), 5u);
  EXPECT_EQ(ix->n_chunks(), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM chunks_fts"), 0);
}

TEST_F(RagTest, PutReplacesADocument) {
  auto ix = corpus_index(dir_ + "/i.sqlite");
  Document d;
  d.path = "/docs/0.txt";
  d.kind = "text";
  d.pages.push_back({1, "Insulin dosage was changed."});
  ix->put(d, sha256_hex("new"), 5, chunk_document(d, {}), axis(0));
  EXPECT_EQ(ix->n_chunks(), 6);
  EXPECT_EQ(bm25_first(*ix, "metformin"), "");
  EXPECT_EQ(bm25_first(*ix, "insulin"), "/docs/0.txt");
  DocInfo info;
  ASSERT_TRUE(ix->find("/docs/0.txt", &info));
  EXPECT_EQ(info.sha256, sha256_hex("new"));
  EXPECT_EQ(ix->list().size(), 6u);
}

TEST_F(RagTest, AnotherModelIsRefused) {
  const std::string db = dir_ + "/i.sqlite";
  corpus_index(db);
  auto ix = Index::open(db, false, true);
  ModelId other = test_model();
  other.sha256 = std::string(64, 'b');
  other.file = "/models/other.gguf";
  const std::string e = error_of([&] { ix->check_model(other, false); });
  EXPECT_NE(e.find("/models/other.gguf: not this index's embedding model"), std::string::npos) << e;
  other = test_model();
  other.n_embd = 16;
  EXPECT_NE(error_of([&] { ix->check_model(other, false); }).find("16 dims"), std::string::npos);
  EXPECT_EQ(error_of([&] { ix->check_model(test_model(), false); }), "");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(RagTest, CorruptOrForeignDatabasesAreRefusedAndKept) {
  const std::string good = dir_ + "/good.sqlite";
  corpus_index(good);
  const std::string bytes = read_file(good);
  ASSERT_GT(bytes.size(), 4096u);
  std::string foreign_path = dir_ + "/foreign.sqlite";
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(foreign_path.c_str(), &h), SQLITE_OK);
    sqlite3_exec(h, "CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me')", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  const struct {
    std::string name, bytes, want;
  } cases[] = {
      {"garbage.sqlite", std::string(5000, 'g'), "garbage.sqlite: not a readable sotto index (file is not a database)"},
      {"header.sqlite", bytes.substr(0, 50), "header.sqlite: not a readable sotto index"},
      {"trunc.sqlite", bytes.substr(0, bytes.size() / 2), "trunc.sqlite: "},
      {"foreign.sqlite", read_file(foreign_path), "foreign.sqlite: an SQLite database, but not a sotto index"},
  };
  for (const auto& c : cases) {
    const std::string p = write(c.name, c.bytes);
    for (bool ro : {true, false}) {
      const std::string e = error_of([&] {
        auto ix = Index::open(p, true, ro);
        SearchOptions o;
        ix->search("tenant", axis(1), o);
        ix->list();
      });
      EXPECT_NE(e.find(c.want), std::string::npos) << c.name << ": " << e;
      EXPECT_EQ(e.find('\n'), std::string::npos) << e;
      EXPECT_EQ(read_file(p), c.bytes) << c.name << " was changed";
    }
  }
  // The good index beside them is untouched and works.
  EXPECT_EQ(read_file(good), bytes);
  EXPECT_EQ(bm25_first(*Index::open(good, false, true), "tenant rent"), "/docs/1.txt");
  EXPECT_NE(error_of([&] { Index::open(dir_ + "/none.sqlite", false, true); }).find("none.sqlite: no such index"),
            std::string::npos);
}

}  // namespace
