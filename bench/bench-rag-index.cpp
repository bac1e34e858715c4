// bench-rag-index.cpp — the retrieval index (apps/rag/index.h) at 1k, 10k and 100k passages of synthetic text (~150
// words from a Zipf-distributed 5000-word vocabulary) with random unit 384-dim vectors (all-MiniLM's width; near a
// 16-dim subspace, as embeddings are: see Synth::unit). RagIndexBuild: build time (documents of 10 passages, one
// transaction each: SQLite inserts, FTS5 indexing, BLOBs; /1: the default dense mode, with the HNSW graph from 20,000
// passages on), file sizes, peak memory. RagIndexSearch: query latency p50/p95 of a hybrid search (3-word BM25 query
// + dense + RRF) and of dense alone (no query words), one query at a time on a warm page cache, exact (/0) or through
// the HNSW graph (/1: also the graph's build from the stored vectors, its size, its load from the sidecar). RagAnn:
// the graph alone (ann.h, no SQLite) up to 1M vectors: bulk build on all cores, memory, search latency and recall@10
// against a brute-force scan, for isotropic (/0) and embedding-like (/1) vectors. Embedding cost is not in any of it
// (tools/bench/embed-throughput.sh measures that).
// Run: ./bench --benchmark_filter='RagIndex|RagAnn' (1M: ~4 GB of memory, minutes)
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "rag/ann.h"
#include "rag/index.h"

using namespace sotto::rag;

namespace {

constexpr int kDims = 384;

struct Synth {
  std::mt19937 rng{7};
  std::vector<std::string> vocab;
  std::discrete_distribution<int> zipf;
  Synth() {
    std::vector<double> w;
    for (int i = 0; i < 5000; i++) {
      std::string s;
      for (int k = 0, n = 3 + i % 7, x = i; k < n; k++, x = x * 31 + 7) s += char('a' + (x % 26 + 26) % 26);
      vocab.push_back(s + std::to_string(i % 10));
      w.push_back(1.0 / (i + 1));
    }
    zipf = std::discrete_distribution<int>(w.begin(), w.end());
  }
  std::string text(int words) {
    std::string s;
    for (int i = 0; i < words; i++) s += (i ? " " : "") + vocab[size_t(zipf(rng))];
    return s;
  }
  // Embedding-like: a random point of a 16-dim subspace (one fixed random basis) plus 1% isotropic noise, normalised.
  // Isotropic 384-dim vectors (unit_isotropic) are the worst case for a graph index: all points nearly equidistant.
  std::vector<float> basis;  // [kDims][16]
  std::vector<float> unit() {
    std::normal_distribution<float> nd;
    if (basis.empty()) {
      std::mt19937 b(12345);
      for (int i = 0; i < kDims * 16; i++) basis.push_back(nd(b) / 4);
    }
    float z[16];
    for (float& x : z) x = nd(rng);
    std::vector<float> v(kDims);
    double n = 0;
    for (int i = 0; i < kDims; i++) {
      float x = 0.1f * nd(rng);
      for (int j = 0; j < 16; j++) x += basis[size_t(i * 16 + j)] * z[j];
      v[size_t(i)] = x;
      n += double(x) * x;
    }
    for (float& x : v) x = float(x / std::sqrt(n));
    return v;
  }
  std::vector<float> unit_isotropic() {
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
};

std::string db_path(int n) {
  return (std::filesystem::temp_directory_path() / ("sotto-bench-rag-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(n) + ".sqlite")).string();
}

// Resident memory of this process now, MB (/proc/self/statm).
double rss_mb() {
  long pages = 0, resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return double(resident) * double(::sysconf(_SC_PAGESIZE)) / 1e6;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Builds an index of n passages at path (dense mode d; the graph saved at the end); returns seconds.
double build(const std::string& path, int n, Synth& syn, DenseOptions::Mode d = DenseOptions::kExact) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".hnsw");
  const auto t0 = std::chrono::steady_clock::now();
  auto ix = Index::open(path, true, false);
  DenseOptions o;
  o.mode = d;
  ix->set_dense(o);
  ix->check_model({"bench", std::string(64, '0'), "bench.gguf", kDims}, true);
  for (int d = 0; d < n / 10; d++) {
    Document doc;
    doc.path = "/bench/doc" + std::to_string(d) + ".txt";
    doc.kind = "text";
    std::vector<Chunk> chunks;
    std::vector<float> emb;
    for (int c = 0; c < 10; c++) {
      Chunk ch;
      ch.text = syn.text(150);
      ch.begin = size_t(c) * 1000;
      ch.end = ch.begin + ch.text.size();
      chunks.push_back(std::move(ch));
      const auto v = syn.unit();
      emb.insert(emb.end(), v.begin(), v.end());
    }
    doc.pages.push_back({1, ""});
    ix->put(doc, std::to_string(d), 0, chunks, emb);
  }
  ix.reset();  // flush: the graph to its sidecar
  return since(t0);
}

// /n/0: exact only (no graph); /n/1: the default (the graph from 20,000 passages on, kept by each put).
void BM_RagIndexBuild(benchmark::State& state) {
  const int n = int(state.range(0));
  Synth syn;
  const std::string path = db_path(n) + ".build";
  double secs = 0;
  for (auto _ : state) secs = build(path, n, syn, state.range(1) ? DenseOptions::kAuto : DenseOptions::kExact);
  state.counters["passages_per_s"] = n / secs;
  state.counters["file_MB"] = double(std::filesystem::file_size(path)) / 1e6;
  std::error_code ec;
  const auto side = std::filesystem::file_size(path + ".hnsw", ec);
  state.counters["graph_MB"] = ec ? 0.0 : double(side) / 1e6;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["max_rss_MB"] = double(ru.ru_maxrss) / 1e3;
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".hnsw");
}
BENCHMARK(BM_RagIndexBuild)
    ->Args({1000, 0})->Args({10000, 0})->Args({100000, 0})->Args({100000, 1})
    ->Iterations(1)->Unit(benchmark::kMillisecond);

// One database per size for the search benchmarks, removed at exit.
const std::string& built(int n) {
  static struct Dbs {
    std::map<int, std::string> paths;
    ~Dbs() {
      for (const auto& [n, p] : paths) std::filesystem::remove(p), std::filesystem::remove(p + ".hnsw");
    }
  } dbs;
  auto it = dbs.paths.find(n);
  if (it == dbs.paths.end()) {
    Synth syn;
    build(db_path(n), n, syn);
    it = dbs.paths.emplace(n, db_path(n)).first;
  }
  return it->second;
}

// /n/0: exact dense search; /n/1: the HNSW graph (built from the stored vectors, saved, then loaded by a fresh open).
void BM_RagIndexSearch(benchmark::State& state) {
  const int n = int(state.range(0));
  const bool hnsw = state.range(1) != 0;
  Synth syn;
  syn.rng.seed(8);
  const std::string& path = built(n);
  DenseOptions d;
  d.mode = hnsw ? DenseOptions::kHnsw : DenseOptions::kExact;
  SearchOptions o;
  o.k = 5;
  if (hnsw) {
    std::filesystem::remove(path + ".hnsw");
    auto ix = Index::open(path, false, true);
    ix->set_dense(d);
    const auto t0 = std::chrono::steady_clock::now();
    ix->search(syn.text(3), syn.unit(), o);  // builds the graph from the stored vectors and saves it
    state.counters["graph_build_s"] = since(t0);
    state.counters["graph_MB"] = double(std::filesystem::file_size(path + ".hnsw")) / 1e6;
  }
  auto ix = Index::open(path, false, true);
  ix->set_dense(d);
  const auto t0 = std::chrono::steady_clock::now();
  ix->search(syn.text(3), syn.unit(), o);  // the first query: for HNSW, loading the sidecar
  state.counters["first_query_s"] = since(t0);
  std::vector<double> ms, dense_ms;  // hybrid; dense only (no query words: no BM25 list)
  for (auto _ : state) {
    const std::string q = syn.text(3);
    const auto v = syn.unit();
    auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(ix->search(q, v, o));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
    t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(ix->search("", v, o));
    dense_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
  }
  for (auto* v : {&ms, &dense_ms}) std::sort(v->begin(), v->end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p95_ms"] = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  state.counters["dense_p50_ms"] = dense_ms[dense_ms.size() / 2];
  state.counters["dense_p95_ms"] = dense_ms[std::min(dense_ms.size() - 1, dense_ms.size() * 95 / 100)];
}
BENCHMARK(BM_RagIndexSearch)
    ->Args({1000, 0})->Args({10000, 0})->Args({10000, 1})->Args({100000, 0})->Args({100000, 1})
    ->Iterations(100)->Unit(benchmark::kMillisecond);

// The graph alone at n vectors: bulk build (all cores), resident memory, search of the dense list as Index::search
// asks for it (100 candidates, beam 200), recall@10 of that list's top 10 against a brute-force scan (20 queries).
// /n/1: embedding-like vectors (Synth::unit); /n/0: isotropic ones.
void BM_RagAnn(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  Synth syn;
  const auto gen = [&] { return state.range(1) ? syn.unit() : syn.unit_isotropic(); };
  std::vector<float> vecs;
  vecs.reserve(n * kDims);
  for (size_t i = 0; i < n; i++) {
    const auto v = gen();
    vecs.insert(vecs.end(), v.begin(), v.end());
  }
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; i++) ids[i] = int64_t(i + 1);
  const double rss0 = rss_mb();
  const auto t0 = std::chrono::steady_clock::now();
  Ann g(kDims, n);
  g.add(ids, vecs.data(), int(std::max(1u, std::thread::hardware_concurrency())));
  state.counters["graph_build_s"] = since(t0);
  state.counters["graph_rss_MB"] = rss_mb() - rss0;
  std::vector<double> ms;
  for (auto _ : state) {
    const auto q = gen();
    const auto t1 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(g.search(q.data(), 100, 200));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p95_ms"] = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  size_t found = 0;
  const int n_q = n >= 1000000 ? 10 : 20;  // a scalar scan of 1M x 384 takes seconds a query
  for (int q = 0; q < n_q; q++) {
    const auto v = gen();
    std::vector<std::pair<float, int64_t>> all(n);
    for (size_t i = 0; i < n; i++) {
      float dot = 0;
      for (int j = 0; j < kDims; j++) dot += vecs[i * kDims + size_t(j)] * v[size_t(j)];
      all[i] = {dot, ids[i]};
    }
    std::partial_sort(all.begin(), all.begin() + 10, all.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    const auto got = g.search(v.data(), 100, 200);
    for (int r = 0; r < 10; r++)
      for (size_t k = 0; k < 10 && k < got.size(); k++) found += got[k].second == all[size_t(r)].second;
  }
  state.counters["recall_at_10"] = double(found) / (10.0 * n_q);
}
BENCHMARK(BM_RagAnn)
    ->Args({100000, 0})->Args({100000, 1})->Args({1000000, 1})
    ->Iterations(200)->Unit(benchmark::kMillisecond);

}  // namespace
