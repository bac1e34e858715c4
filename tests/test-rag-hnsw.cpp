// test-rag-hnsw.cpp — the approximate dense index of apps/rag (ann.h through index.h) on random unit vectors
// (fixed seeds): recall@10 of the HNSW graph against the exact search, a removed or replaced document gone from the
// graph's results (and still gone after a reopen), the sidecar's round trip (no rebuild, same results), corrupt,
// truncated, foreign and stale sidecars rebuilt with one stderr line and the results of a fresh build, and the switch
// from exact to HNSW at the threshold (SOTTO_DENSE / SOTTO_HNSW_THRESHOLD parsed, bad values refused).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/error.h"
#include "rag/ann.h"
#include "rag/index.h"

using namespace sotto;
using namespace sotto::rag;

namespace {

constexpr int kDims = 64;
constexpr int kPerDoc = 10;

std::vector<float> unit(std::mt19937& rng) {
  std::normal_distribution<float> nd;
  std::vector<float> v(kDims);
  double n = 0;
  for (float& x : v) {
    x = nd(rng);
    n += double(x) * x;
  }
  for (float& x : v) x = float(x / std::sqrt(n));
  return v;
}

std::string doc_path(int d) { return "/docs/d" + std::to_string(d) + ".txt"; }

// Document d's passages and vectors (the same for the same seed and d).
void put_doc(Index& ix, int d, uint32_t seed) {
  std::mt19937 rng(seed * 1000003u + uint32_t(d));
  Document doc;
  doc.path = doc_path(d);
  doc.kind = "text";
  doc.pages.push_back({1, ""});
  std::vector<Chunk> chunks;
  std::vector<float> emb;
  for (int c = 0; c < kPerDoc; c++) {
    Chunk ch;
    ch.text = "passage " + std::to_string(c) + " of document " + std::to_string(d);
    ch.begin = size_t(c) * 100;
    ch.end = ch.begin + ch.text.size();
    chunks.push_back(ch);
    const auto v = unit(rng);
    emb.insert(emb.end(), v.begin(), v.end());
  }
  ix.put(doc, std::to_string(d), 0, chunks, emb);
}

std::vector<float> doc_vector(int d, int c, uint32_t seed) {  // passage c's vector of put_doc(d, seed)
  std::mt19937 rng(seed * 1000003u + uint32_t(d));
  std::vector<float> v;
  for (int i = 0; i <= c; i++) v = unit(rng);
  return v;
}

DenseOptions mode(DenseOptions::Mode m, int64_t threshold = 20000) {
  DenseOptions o;
  o.mode = m;
  o.threshold = threshold;
  o.build_threads = 1;  // the same graph every build
  return o;
}

// Dense-only top k (no query words, so no BM25 list): chunk ids in rank order.
std::vector<int64_t> dense_top(const Index& ix, const std::vector<float>& q, int k, int candidates = 0) {
  SearchOptions o;
  o.k = k;
  o.candidates = candidates ? candidates : k;
  std::vector<int64_t> ids;
  for (const Hit& h : ix.search("", q, o)) ids.push_back(h.chunk_id);
  return ids;
}

// Dense-only top k: their documents ("" for a chunk id the database does not have).
std::vector<std::string> documents_of(const Index& ix, const std::vector<float>& q, int k) {
  SearchOptions o;
  o.k = k;
  o.candidates = k;
  std::vector<std::string> docs;
  for (const Hit& h : ix.search("", q, o)) docs.push_back(h.document);
  return docs;
}

class HnswTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("SOTTO_DENSE");
    ::unsetenv("SOTTO_HNSW_THRESHOLD");
    dir_ = testing::TempDir() + "/sotto-hnsw-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // An index of n_docs documents (10 passages each), dense search in mode m; closed (graph saved) unless kept.
  std::unique_ptr<Index> make(const std::string& name, int n_docs, DenseOptions::Mode m, uint32_t seed = 1) {
    auto ix = Index::open(dir_ + "/" + name, true, false);
    ix->set_dense(mode(m));
    ix->check_model({"test", std::string(64, 'a'), "/m.gguf", kDims}, true);
    for (int d = 0; d < n_docs; d++) put_doc(*ix, d, seed);
    return ix;
  }
  std::unique_ptr<Index> reopen(const std::string& name, DenseOptions::Mode m) {
    auto ix = Index::open(dir_ + "/" + name, false, true);
    ix->set_dense(mode(m));
    return ix;
  }
  std::string dir_;
};

TEST_F(HnswTest, RecallAt10AgainstExactSearch) {
  // 4000 passages of 64 dims; 200 random queries; the graph's top 10 against the exact top 10, as search() asks for
  // them: a dense list of SearchOptions' 100 candidates (beam 200), and of only 10 (beam 128, the least it uses).
  make("r.sqlite", 400, DenseOptions::kExact).reset();
  auto exact = reopen("r.sqlite", DenseOptions::kExact);
  auto approx = reopen("r.sqlite", DenseOptions::kHnsw);
  EXPECT_FALSE(exact->uses_hnsw());
  EXPECT_TRUE(approx->uses_hnsw());
  for (const int candidates : {100, 10}) {
    std::mt19937 rng(99);
    size_t found = 0, total = 0;
    for (int q = 0; q < 200; q++) {
      const auto v = unit(rng);
      const auto want = dense_top(*exact, v, 10, candidates);
      const auto got = dense_top(*approx, v, 10, candidates);
      ASSERT_EQ(want.size(), 10u);
      const std::set<int64_t> g(got.begin(), got.end());
      for (const int64_t id : want) found += g.count(id);
      total += want.size();
    }
    const double recall = double(found) / double(total);
    std::printf("recall@10 = %.4f (%d candidates)\n", recall, candidates);
    EXPECT_GE(recall, 0.95) << candidates << " candidates";
  }
}

TEST_F(HnswTest, RemovedAndReplacedDocumentsAreGone) {
  auto ix = make("d.sqlite", 50, DenseOptions::kHnsw);
  const auto v7 = doc_vector(7, 3, 1);
  ASSERT_EQ(documents_of(*ix, v7, 1).at(0), doc_path(7));  // its own vector finds it
  EXPECT_EQ(ix->remove(doc_path(7)), std::vector<std::string>{doc_path(7)});
  auto all = documents_of(*ix, v7, 500);
  EXPECT_EQ(all.size(), 490u);
  for (const auto& d : all) EXPECT_TRUE(d != doc_path(7) && !d.empty()) << d;
  // Replaced: document 8 with other vectors; its old vectors find nothing of it among the dense top 5.
  const auto v8 = doc_vector(8, 2, 1);
  {
    std::mt19937 rng(5);
    Document doc{doc_path(8), "text", {{1, ""}}};
    std::vector<Chunk> chunks(1);
    chunks[0].text = "passage replaced";
    chunks[0].end = chunks[0].text.size();
    ix->put(doc, "new", 0, chunks, unit(rng));
  }
  ix->set_dense(mode(DenseOptions::kExact));
  const auto top8_exact = dense_top(*ix, v8, 5);
  ix->set_dense(mode(DenseOptions::kHnsw));
  const auto top8 = dense_top(*ix, v8, 5);
  for (const auto& d : documents_of(*ix, v8, 5)) EXPECT_TRUE(d != doc_path(8) && !d.empty()) << d;
  EXPECT_EQ(top8, top8_exact);
  ix->set_dense(mode(DenseOptions::kHnsw));
  // Removed after the graph was searched (markDelete), then its chunk ids reused by SQLite for another document
  // (hnswlib brings a deleted label back with the new vector).
  const auto v49 = doc_vector(49, 0, 1);
  ASSERT_EQ(documents_of(*ix, v49, 1).at(0), doc_path(49));
  ix->remove(doc_path(49));
  put_doc(*ix, 60, 1);
  for (const auto& d : documents_of(*ix, v49, 500)) EXPECT_TRUE(d != doc_path(49) && !d.empty()) << d;
  EXPECT_EQ(documents_of(*ix, doc_vector(60, 9, 1), 1).at(0), doc_path(60));
  ix.reset();  // saved
  auto again = reopen("d.sqlite", DenseOptions::kHnsw);
  testing::internal::CaptureStderr();
  all = documents_of(*again, v7, 500);
  EXPECT_EQ(all.size(), 481u);  // 49 documents of 10 passages, less document 8's 10, plus its 1
  for (const auto& d : all) EXPECT_TRUE(d != doc_path(7) && !d.empty()) << d;
  const auto top8_again = dense_top(*again, v8, 5);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // the saved graph, not a rebuild
  again->set_dense(mode(DenseOptions::kExact));
  EXPECT_EQ(top8_again, dense_top(*again, v8, 5));
  EXPECT_EQ(again->n_chunks(), 48 * kPerDoc + 1);
}

TEST_F(HnswTest, TwoWritersOnOneIndex) {
  // A holds a graph; B adds a document; then A adds one: A's graph missed B's change, so it must not be stamped with
  // the new generation but reloaded or rebuilt, and both documents found.
  make("w.sqlite", 20, DenseOptions::kHnsw).reset();
  auto a = Index::open(dir_ + "/w.sqlite", false, false);
  a->set_dense(mode(DenseOptions::kHnsw));
  auto b = Index::open(dir_ + "/w.sqlite", false, false);
  b->set_dense(mode(DenseOptions::kHnsw));
  ASSERT_EQ(documents_of(*a, doc_vector(3, 0, 1), 1).at(0), doc_path(3));  // a's graph loaded
  put_doc(*b, 100, 1);
  put_doc(*a, 101, 1);
  EXPECT_EQ(documents_of(*a, doc_vector(100, 5, 1), 1).at(0), doc_path(100));
  EXPECT_EQ(documents_of(*a, doc_vector(101, 5, 1), 1).at(0), doc_path(101));
  b.reset();
  a.reset();
  testing::internal::CaptureStderr();
  auto c = reopen("w.sqlite", DenseOptions::kHnsw);
  EXPECT_EQ(documents_of(*c, doc_vector(100, 2, 1), 1).at(0), doc_path(100));
  EXPECT_EQ(documents_of(*c, doc_vector(101, 2, 1), 1).at(0), doc_path(101));
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // a saved the graph of the latest generation
}

TEST_F(HnswTest, SidecarRoundTrip) {
  auto ix = make("p.sqlite", 100, DenseOptions::kHnsw);
  std::mt19937 rng(3);
  std::vector<std::vector<float>> qs;
  for (int i = 0; i < 20; i++) qs.push_back(unit(rng));
  std::vector<std::vector<int64_t>> before;
  for (const auto& q : qs) before.push_back(dense_top(*ix, q, 10));
  ix.reset();
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/p.sqlite.hnsw"));
  testing::internal::CaptureStderr();
  auto again = reopen("p.sqlite", DenseOptions::kHnsw);
  for (size_t i = 0; i < qs.size(); i++) EXPECT_EQ(dense_top(*again, qs[i], 10), before[i]);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST_F(HnswTest, BadSidecarsAreRebuiltWithAFreshBuildsResults) {
  make("c.sqlite", 200, DenseOptions::kHnsw).reset();
  const std::string side = dir_ + "/c.sqlite.hnsw";
  std::ifstream in(side, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(good.size(), 1000u);
  // The fresh build: a copy of the database with no sidecar.
  std::filesystem::copy_file(dir_ + "/c.sqlite", dir_ + "/fresh.sqlite");
  std::mt19937 rng(11);
  std::vector<std::vector<float>> qs;
  for (int i = 0; i < 20; i++) qs.push_back(unit(rng));
  std::vector<std::vector<int64_t>> want;
  {
    testing::internal::CaptureStderr();
    auto fresh = reopen("fresh.sqlite", DenseOptions::kHnsw);
    for (const auto& q : qs) want.push_back(dense_top(*fresh, q, 10));
    EXPECT_NE(testing::internal::GetCapturedStderr().find("missing; built the HNSW graph of 2000 passages"),
              std::string::npos);
  }
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;
  std::string header_only = good.substr(0, 72);
  std::string foreign = good;
  foreign[0] = 'X';
  const std::vector<std::pair<std::string, std::string>> cases = {
      {flipped, "checksum mismatch (corrupt); rebuilt"},
      {good.substr(0, good.size() - 100), "truncated or padded graph; rebuilt"},
      {header_only, "truncated or padded graph; rebuilt"},
      {"garbage", "truncated header; rebuilt"},
      {foreign, "not a sotto HNSW file; rebuilt"},
  };
  for (const auto& [bytes, msg] : cases) {
    std::ofstream(side, std::ios::binary | std::ios::trunc) << bytes;
    testing::internal::CaptureStderr();
    {
      auto ix = reopen("c.sqlite", DenseOptions::kHnsw);
      for (size_t i = 0; i < qs.size(); i++) EXPECT_EQ(dense_top(*ix, qs[i], 10), want[i]) << msg;
    }
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(msg), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;  // one line
    // Rewritten whole: the next open reads it without a rebuild.
    testing::internal::CaptureStderr();
    {
      auto ix = reopen("c.sqlite", DenseOptions::kHnsw);
      EXPECT_EQ(dense_top(*ix, qs[0], 10), want[0]);
    }
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
  // Stale: the sidecar of an earlier generation (written before a document was added by a process that then died).
  std::ofstream(side, std::ios::binary | std::ios::trunc) << good;
  {
    auto ix = Index::open(dir_ + "/c.sqlite", false, false);
    ix->set_dense(mode(DenseOptions::kExact));  // this writer does not keep the graph
    put_doc(*ix, 500, 1);
  }
  testing::internal::CaptureStderr();
  auto ix = reopen("c.sqlite", DenseOptions::kHnsw);
  EXPECT_EQ(documents_of(*ix, doc_vector(500, 4, 1), 1).at(0), doc_path(500));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("stale: generation 200, the index is at 201; rebuilt the HNSW graph of 2010 passages"),
            std::string::npos) << err;
}

TEST_F(HnswTest, SwitchesToTheGraphAtTheThreshold) {
  auto ix = Index::open(dir_ + "/t.sqlite", true, false);
  ix->set_dense(mode(DenseOptions::kAuto, 50));
  ix->check_model({"test", std::string(64, 'a'), "/m.gguf", kDims}, true);
  for (int d = 0; d < 4; d++) put_doc(*ix, d, 2);
  EXPECT_FALSE(ix->uses_hnsw());  // 40 passages
  ix->flush();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/t.sqlite.hnsw"));
  std::mt19937 rng(4);
  const auto q = unit(rng);
  const auto exact40 = dense_top(*ix, q, 10);
  testing::internal::CaptureStderr();
  for (int d = 4; d < 6; d++) put_doc(*ix, d, 2);  // 60 passages: the graph is built, then kept
  EXPECT_NE(testing::internal::GetCapturedStderr().find("built the HNSW graph of 40 passages"), std::string::npos);
  EXPECT_TRUE(ix->uses_hnsw());
  ix->flush();
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/t.sqlite.hnsw"));
  // On 60 passages the graph finds the exact answer.
  const auto approx = dense_top(*ix, q, 10);
  ix->set_dense(mode(DenseOptions::kExact));
  EXPECT_EQ(dense_top(*ix, q, 10), approx);
  EXPECT_NE(approx, exact40);  // ... which saw the new passages
  // The environment: SOTTO_DENSE and SOTTO_HNSW_THRESHOLD.
  ::setenv("SOTTO_DENSE", "hnsw", 1);
  ::setenv("SOTTO_HNSW_THRESHOLD", "7", 1);
  auto d = DenseOptions::from_env();
  EXPECT_EQ(d.mode, DenseOptions::kHnsw);
  EXPECT_EQ(d.threshold, 7);
  ::setenv("SOTTO_DENSE", "fast", 1);
  try {
    DenseOptions::from_env();
    ADD_FAILURE() << "accepted SOTTO_DENSE=fast";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "SOTTO_DENSE=fast: expected auto, exact or hnsw");
  }
  ::setenv("SOTTO_DENSE", "exact", 1);
  ::setenv("SOTTO_HNSW_THRESHOLD", "lots", 1);
  EXPECT_THROW(DenseOptions::from_env(), Error);
  ::unsetenv("SOTTO_DENSE");
  ::unsetenv("SOTTO_HNSW_THRESHOLD");
}

}  // namespace
