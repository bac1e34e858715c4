// cmd-bench.cpp — `sotto bench`: prefill and decode speed of a model, like llama-bench.
// pp<P>: one prompt of P random tokens (in chunks of -b) into an empty cache; tg<N>: N tokens decoded one
// at a time from an empty cache (no sampling). Each test runs once as warm-up, then -r timed repetitions;
// reports mean and standard deviation of tokens/s as a table or JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "core/error.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"

namespace sotto::cli {

namespace {

struct TestResult {
  std::string name;
  int n_prompt = 0, n_gen = 0;
  std::vector<double> tps;  // one per repetition
  double mean() const {
    double s = 0;
    for (double x : tps) s += x;
    return tps.empty() ? 0 : s / double(tps.size());
  }
  double stddev() const {
    if (tps.size() < 2) return 0;
    const double m = mean();
    double s = 0;
    for (double x : tps) s += (x - m) * (x - m);
    return std::sqrt(s / double(tps.size() - 1));
  }
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += char(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else o += char(c);
  }
  return o;
}

}  // namespace

int run_bench(int argc, char** argv) {
  std::string model_path;
  int n_prompt = 512, n_gen = 128, n_threads = 0, reps = 5, n_batch = 0;
  bool json = false;
  ArgParser ap("sotto bench", "-m MODEL.gguf [-p 512] [-n 128] [-t N] [-r 5] [--json]",
               "Measures prompt processing (pp) and token generation (tg) speed in tokens/s.");
  ap.model("-m,--model", &model_path, "GGUF model (required)");
  ap.option("-p,--n-prompt", &n_prompt, "N", "prompt tokens for the prefill test; 0 = skip (512)");
  ap.option("-n,--n-gen", &n_gen, "N", "tokens for the decode test; 0 = skip (128)");
  ap.option("-b,--batch-size", &n_batch, "N", "prefill chunk size; 0 = the whole prompt (0)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  ap.option("-r,--repetitions", &reps, "N", "timed repetitions of each test (5)");
  ap.flag("--json", &json, "print JSON instead of a table");
  if (!ap.parse(argc, argv)) return 0;
  if (model_path.empty()) ap.usage_error("missing -m MODEL.gguf");
  if (n_prompt < 0 || n_gen < 0) ap.usage_error("-p and -n must be >= 0");
  if (n_prompt == 0 && n_gen == 0) ap.usage_error("nothing to measure (-p 0 and -n 0)");
  if (reps < 1) ap.usage_error("--repetitions must be >= 1");
  if (n_batch < 0) ap.usage_error("--batch-size must be >= 0");
  if (n_batch == 0) n_batch = std::max(1, n_prompt);

  LoadedModel lm = load_model(model_path, resolve_threads(n_threads, false), false);
  Model& model = *lm.model;
  const ModelConfig& cfg = model.config();
  const int n_ctx = std::max(n_prompt, n_gen);
  KvCache cache = model.new_cache(n_ctx);

  Rng rng(1234);
  auto random_token = [&] { return int32_t(rng.next() % uint64_t(cfg.n_vocab)); };

  std::vector<TestResult> results;
  if (n_prompt > 0) {
    TestResult r{"pp" + std::to_string(n_prompt), n_prompt, 0, {}};
    std::vector<int32_t> toks(static_cast<size_t>(n_prompt));
    for (int rep = -1; rep < reps; ++rep) {  // rep -1: warm-up
      for (auto& t : toks) t = random_token();
      cache.n_past = 0;
      const double t0 = now_s();
      for (int i = 0; i < n_prompt; i += n_batch)
        model.forward(cache, toks.data() + i, std::min(n_batch, n_prompt - i));
      const double dt = now_s() - t0;
      if (rep >= 0) r.tps.push_back(n_prompt / dt);
    }
    results.push_back(r);
  }
  if (n_gen > 0) {
    TestResult r{"tg" + std::to_string(n_gen), 0, n_gen, {}};
    for (int rep = -1; rep < reps; ++rep) {
      cache.n_past = 0;
      const int n = rep < 0 ? std::min(n_gen, 8) : n_gen;  // a short warm-up
      const double t0 = now_s();
      for (int i = 0; i < n; ++i) {
        const int32_t t = random_token();
        model.forward(cache, &t, 1);
      }
      const double dt = now_s() - t0;
      if (rep >= 0) r.tps.push_back(n / dt);
    }
    results.push_back(r);
  }

  double n_params = 0, size = 0;
  for (const auto& t : lm.file->tensors()) {
    n_params += double(t.view.nelements());
    size += double(t.view.nbytes());
  }
  std::string name = lm.file->get_string_or("general.name", cfg.arch_name);
  const int threads = lm.pool->size();
  const double wbytes = double(model.weight_bytes());

  if (json) {
    std::printf("{\n  \"model\": \"%s\",\n  \"file\": \"%s\",\n  \"arch\": \"%s\",\n", json_escape(name).c_str(),
                json_escape(model_path).c_str(), json_escape(cfg.arch_name).c_str());
    std::printf("  \"size_bytes\": %.0f,\n  \"n_params\": %.0f,\n  \"weight_bytes_per_token\": %.0f,\n", size,
                n_params, wbytes);
    std::printf("  \"backend\": \"%s\",\n  \"threads\": %d,\n  \"n_batch\": %d,\n  \"tests\": [",
                json_escape(lm.backend->name()).c_str(), threads, n_batch);
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::printf("%s\n    {\"test\": \"%s\", \"n_prompt\": %d, \"n_gen\": %d, \"repetitions\": %zu, "
                  "\"avg_ts\": %.3f, \"stddev_ts\": %.3f, \"samples_ts\": [",
                  i ? "," : "", r.name.c_str(), r.n_prompt, r.n_gen, r.tps.size(), r.mean(), r.stddev());
      for (size_t k = 0; k < r.tps.size(); ++k) std::printf("%s%.3f", k ? ", " : "", r.tps[k]);
      std::printf("]}");
    }
    std::printf("\n  ]\n}\n");
    return 0;
  }

  if (name.size() > 28) name.resize(28);
  std::printf("| %-28s | %10s | %9s | %-7s | %7s | %8s | %20s |\n", "model", "size", "params", "backend", "threads",
              "test", "t/s");
  std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", std::string(28, '-').c_str(), std::string(10, '-').c_str(),
              std::string(9, '-').c_str(), std::string(7, '-').c_str(), std::string(7, '-').c_str(),
              std::string(8, '-').c_str(), std::string(20, '-').c_str());
  for (const auto& r : results) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "%.2f ± %.2f", r.mean(), r.stddev());
    // "±" is two bytes but one column: pad by one more.
    std::printf("| %-28s | %10s | %9s | %-7s | %7d | %8s | %21s |\n", name.c_str(), human_bytes(size).c_str(),
                human_count(n_params).c_str(), lm.backend->name().c_str(), threads, r.name.c_str(), ts);
  }
  for (const auto& r : results)
    if (r.n_gen > 0 && wbytes > 0)
      std::printf("\n%s: %.1f GB/s of weights read (%s per token)\n", r.name.c_str(), wbytes * r.mean() / 1e9,
                  human_bytes(wbytes).c_str());
  return 0;
}

}  // namespace sotto::cli
