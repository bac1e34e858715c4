// membw.cpp — main-memory bandwidth probe for the decode bandwidth floor (tools/bench/, not part of the main build).
// Measures, with 1 and with N threads, on buffers far larger than the last-level cache:
//   read  — sum of every 64-bit word of one buffer          (bytes counted: buffer size)
//   copy  — memcpy of one buffer into another                (bytes counted: read + write = 2 x size)
//   write — memset of one buffer                             (bytes counted: buffer size)
// Each test runs `reps` times after one warm-up pass over freshly touched pages; the median and the best pass are
// reported (GB = 1e9 bytes; the median is the figure to use: on a shared VM single passes can be far off).
// Threads split the buffers into equal contiguous slices and start together on a barrier.
// It does not pin threads, flush caches between passes (the buffers are >> cache), or use non-temporal stores
// explicitly (glibc memcpy/memset choose them for large sizes).
// Build: c++ -O3 -march=native -std=c++20 -pthread tools/bench/membw.cpp -o membw  (tools/bench/membw.sh does it)
// Usage: membw [--mib N] [--reps N] [--threads a,b,...] [--json]
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct Options {
  size_t mib = 1024;  // per buffer
  int reps = 5;
  std::vector<int> threads = {1, 2};
  bool json = false;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "membw: %s\nusage: membw [--mib N] [--reps N] [--threads 1,2] [--json]\n", msg.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v <= 0) usage_error(std::string(flag) + " needs a positive integer, got '" + s + "'");
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--mib") {
      o.mib = static_cast<size_t>(parse_positive("--mib", next()));
    } else if (a == "--reps") {
      o.reps = static_cast<int>(parse_positive("--reps", next()));
    } else if (a == "--threads") {
      o.threads.clear();
      std::string list = next();
      size_t pos = 0;
      while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        o.threads.push_back(static_cast<int>(parse_positive("--threads", item.c_str())));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    } else if (a == "--json") {
      o.json = true;
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  return o;
}

// Sum of the 64-bit words in [p, p + n): four independent 32-byte vector accumulators (GCC/Clang vector extension)
// so the loop issues wide loads and is not latency-bound; n must be a multiple of 16. The result is consumed by the
// caller so the loads cannot be elided.
using u64x4 = uint64_t __attribute__((vector_size(32)));
uint64_t sum_words(const uint64_t* p, size_t n) {
  u64x4 a0 = {}, a1 = {}, a2 = {}, a3 = {};
  for (size_t i = 0; i < n; i += 16) {
    u64x4 v0, v1, v2, v3;
    std::memcpy(&v0, p + i, 32);
    std::memcpy(&v1, p + i + 4, 32);
    std::memcpy(&v2, p + i + 8, 32);
    std::memcpy(&v3, p + i + 12, 32);
    a0 += v0;
    a1 += v1;
    a2 += v2;
    a3 += v3;
  }
  u64x4 a = a0 + a1 + a2 + a3;
  return a[0] + a[1] + a[2] + a[3];
}

// Runs body(slice_index) on n_threads threads (the caller is slice 0), timing from a common start barrier to
// the last thread's finish. Returns seconds.
double run_parallel(int n_threads, const std::function<void(int)>& body) {
  std::barrier start(n_threads);
  std::vector<std::thread> workers;
  std::vector<clock_type::time_point> ends(static_cast<size_t>(n_threads));
  clock_type::time_point t0;
  for (int t = 1; t < n_threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
      ends[static_cast<size_t>(t)] = clock_type::now();
    });
  }
  start.arrive_and_wait();
  t0 = clock_type::now();
  body(0);
  ends[0] = clock_type::now();
  for (auto& w : workers) w.join();
  auto last = *std::max_element(ends.begin(), ends.end());
  return std::chrono::duration<double>(last - t0).count();
}

struct Result {
  std::string test;
  int threads;
  double median_gbps;
  double best_gbps;
};

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  const size_t bytes = opt.mib << 20;
  const size_t words = bytes / sizeof(uint64_t);
  auto* src = static_cast<uint64_t*>(std::aligned_alloc(4096, bytes));
  auto* dst = static_cast<uint64_t*>(std::aligned_alloc(4096, bytes));
  if (!src || !dst) {
    std::fprintf(stderr, "membw: cannot allocate 2 x %zu MiB\n", opt.mib);
    return 1;
  }
  // Touch every page (and give the read test non-trivial data).
  for (size_t i = 0; i < words; ++i) src[i] = i * 0x9E3779B97F4A7C15ull;
  std::memset(dst, 1, bytes);

  std::vector<Result> results;
  volatile uint64_t sink = 0;
  for (int nt : opt.threads) {
    const size_t slice = (words / static_cast<size_t>(nt)) & ~size_t{15};  // words per thread, 128-byte multiple
    const size_t used = slice * static_cast<size_t>(nt) * sizeof(uint64_t);
    std::vector<uint64_t> partial(static_cast<size_t>(nt) * 8);  // one cache line per thread

    // Runs body once to warm up, then `reps` timed passes; returns {median, best} GB/s.
    auto measure = [&](const std::function<void(int)>& body, double bytes_moved) {
      std::vector<double> rates;
      run_parallel(nt, body);
      for (int r = 0; r < opt.reps; ++r) rates.push_back(bytes_moved / run_parallel(nt, body) / 1e9);
      std::sort(rates.begin(), rates.end());
      size_t m = rates.size() / 2;
      double median = rates.size() % 2 ? rates[m] : 0.5 * (rates[m - 1] + rates[m]);
      return std::pair<double, double>{median, rates.back()};
    };
    auto read = measure(
        [&](int t) { partial[static_cast<size_t>(t) * 8] = sum_words(src + static_cast<size_t>(t) * slice, slice); },
        static_cast<double>(used));
    for (int t = 0; t < nt; ++t) sink = sink + partial[static_cast<size_t>(t) * 8];
    auto copy = measure(
        [&](int t) {
          size_t off = static_cast<size_t>(t) * slice;
          std::memcpy(dst + off, src + off, slice * sizeof(uint64_t));
        },
        2.0 * static_cast<double>(used));
    auto write = measure(
        [&](int t) { std::memset(dst + static_cast<size_t>(t) * slice, t + 2, slice * sizeof(uint64_t)); },
        static_cast<double>(used));
    sink = sink + dst[words / 3];
    results.push_back({"read", nt, read.first, read.second});
    results.push_back({"copy", nt, copy.first, copy.second});
    results.push_back({"write", nt, write.first, write.second});
  }

  if (opt.json) {
    std::printf("{\"buffer_mib\": %zu, \"reps\": %d, \"results\": [", opt.mib, opt.reps);
    for (size_t i = 0; i < results.size(); ++i) {
      std::printf("%s{\"test\": \"%s\", \"threads\": %d, \"gbps\": %.3f, \"best_gbps\": %.3f}", i ? ", " : "",
                  results[i].test.c_str(), results[i].threads, results[i].median_gbps, results[i].best_gbps);
    }
    std::printf("]}\n");
  } else {
    std::printf("buffer %zu MiB, %d passes (GB = 1e9 bytes; copy counts read + write)\n", opt.mib, opt.reps);
    std::printf("%-6s %8s %12s %10s\n", "test", "threads", "median GB/s", "best GB/s");
    for (const auto& r : results)
      std::printf("%-6s %8d %12.2f %10.2f\n", r.test.c_str(), r.threads, r.median_gbps, r.best_gbps);
  }
  std::free(src);
  std::free(dst);
  return 0;
}
