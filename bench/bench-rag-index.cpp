// bench-rag-index.cpp — the retrieval index (apps/rag/index.h) at 1k and 10k passages of synthetic text (~150 words
// from a Zipf-distributed 5000-word vocabulary) with random unit 384-dim vectors (all-MiniLM's width): build time
// (documents of 10 passages, one transaction each: SQLite inserts, FTS5 indexing, BLOBs), file size, and query
// latency p50/p95 of a hybrid search (3-word BM25 query + exact cosine over every vector + RRF), one query at a time
// on a warm page cache. Embedding cost is not in it (tools/bench/embed-throughput.sh measures that).
// Run: ./bench --benchmark_filter=RagIndex
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

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
  std::vector<float> unit() {
    std::normal_distribution<float> nd;
    std::vector<float> v(kDims);
    double n = 0;
    for (float& x : v) n += double(x = nd(rng)) * x;
    for (float& x : v) x = float(x / std::sqrt(n));
    return v;
  }
};

std::string db_path(int n) {
  return (std::filesystem::temp_directory_path() / ("sotto-bench-rag-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(n) + ".sqlite")).string();
}

// Builds an index of n passages at path; returns seconds.
double build(const std::string& path, int n, Synth& syn) {
  std::filesystem::remove(path);
  const auto t0 = std::chrono::steady_clock::now();
  auto ix = Index::open(path, true, false);
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
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void BM_RagIndexBuild(benchmark::State& state) {
  const int n = int(state.range(0));
  Synth syn;
  const std::string path = db_path(n) + ".build";
  double secs = 0;
  for (auto _ : state) secs = build(path, n, syn);
  state.counters["passages_per_s"] = n / secs;
  state.counters["file_MB"] = double(std::filesystem::file_size(path)) / 1e6;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["max_rss_MB"] = double(ru.ru_maxrss) / 1e3;
  std::filesystem::remove(path);
}
BENCHMARK(BM_RagIndexBuild)->Arg(1000)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_RagIndexSearch(benchmark::State& state) {
  const int n = int(state.range(0));
  Synth syn;
  const std::string path = db_path(n);
  build(path, n, syn);
  auto ix = Index::open(path, false, true);
  std::vector<double> ms;
  SearchOptions o;
  o.k = 5;
  for (auto _ : state) {
    const std::string q = syn.text(3);
    const auto v = syn.unit();
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(ix->search(q, v, o));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p95_ms"] = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  std::filesystem::remove(path);
}
BENCHMARK(BM_RagIndexSearch)->Arg(1000)->Arg(10000)->Iterations(200)->Unit(benchmark::kMillisecond);

}  // namespace
