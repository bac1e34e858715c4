// gpu-sample-check.cpp — test-only exports: the GPU sampler (backend/webgpu/webgpu-sample.h, driven by
// runtime/device-sampler.h) against the CPU sampler chain (runtime/sampler.h make_chain, with the grammar
// link of runtime/grammar-sampler.h first) on identical logits and the same draw (tests/webgpu/sample-checks.mjs).
//   sotto_samplecheck_run(binding_limit, seed, n_cases)  records every case (one submit); returns n_cases
//   (host: await the readbacks)
//   sotto_samplecheck_report()   prints one line per mismatch and a summary; returns the number of
//                                mismatches that are not near-ties
// Cases: random logits (n 3000..152000, continuous values: ties have probability ~0), random chains
// (greedy or top-k 1..256, top-p, min-p, temperature, repetition/frequency/presence penalties), half of
// them under a JSON Schema grammar over a synthetic vocabulary whose matcher was walked a random number of
// tokens (sometimes a padded logits row). A mismatch is a near-tie when the CPU's draw u * total lies within
// 1e-5 * total of a boundary of its cumulative distribution, or when top-p at p * (1 -+ 1e-5) changes the
// CPU's answer: the GPU sums in f32, the CPU in double, so only such cases may differ.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/webgpu/webgpu-backend.h"
#include "backend/webgpu/webgpu-sample.h"
#include "grammar/json-schema.h"
#include "grammar/synthetic-vocab.h"
#include "grammar/token-trie.h"
#include "runtime/device-sampler.h"
#include "runtime/grammar-sampler.h"
#include "runtime/sampler.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

using namespace sotto;

const char* const kSchema = R"({"type": "object", "properties": {
  "name": {"type": "string", "maxLength": 12},
  "age": {"type": "integer", "minimum": 0, "maximum": 120},
  "tags": {"type": "array", "items": {"enum": ["a", "bb", "ccc"]}, "maxItems": 3},
  "ok": {"type": "boolean"}}, "required": ["name", "age"], "additionalProperties": false})";

struct Case {
  std::string desc;
  int32_t cpu = -1;
  int32_t gpu = -1;  // filled by the host's deferred read
  bool near_tie = false;
  bool id_order = false;  // the CPU walks this case's survivors in id order
};

struct Check {
  std::unique_ptr<Backend> gpu;
  std::vector<Case> cases;
  std::vector<Tensor> keep;
};
std::unique_ptr<Check> g;

struct Lcg {
  uint64_t s;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(s >> 33);
  }
  double uni() { return next() / 4294967296.0; }
  float gauss() {
    const double u1 = (next() + 1.0) / 4294967297.0, u2 = uni();
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
};

struct Grammarish {
  std::shared_ptr<grammar::CompiledGrammar> cg;
  int32_t n_vocab = 0;
};

// One CPU chain in the state of the case: prompt observed, walk tokens accepted.
SamplerChain cpu_chain(const SamplerParams& sp, const Grammarish* gr, const std::vector<int32_t>& prompt,
                       const std::vector<int32_t>& walk) {
  SamplerChain c = make_chain(sp);
  if (gr) c.add_front(make_grammar_sampler(gr->cg));
  c.observe_prompt(prompt.data(), int(prompt.size()));
  for (int32_t t : walk) c.accept(t);
  return c;
}

}  // namespace

SOTTO_EXPORT int sotto_samplecheck_run(uint32_t binding_limit, uint32_t seed, int n_cases) {
  g = std::make_unique<Check>();
  g->gpu = make_webgpu_backend(binding_limit);
  g->cases.reserve(size_t(std::max(n_cases, 0)));  // the host's deferred reads point into it
  Lcg r{seed * 2654435761ull + 1};
  Grammarish grs[2];
  const int32_t gv[2] = {4000, 40000};
  for (int i = 0; i < 2; ++i) {
    grammar::SyntheticVocab sv = grammar::make_synthetic_vocab(gv[i], 7 + i);
    grs[i].n_vocab = int32_t(sv.pieces.size());
    grs[i].cg = std::make_shared<grammar::CompiledGrammar>(
        grammar::compile_json_schema(kSchema, "check"),
        std::make_shared<grammar::TokenTrie>(std::move(sv.pieces), sv.eog_ids));
  }
  for (int ci = 0; ci < n_cases; ++ci) {
    SamplerParams sp;
    const uint32_t kind = r.next() % 8;
    sp.temperature = kind == 0 ? 0.0f : float(0.2 + 1.8 * r.uni());
    const int ks[] = {1, 5, 40, 256, int(1 + r.next() % 256)};
    sp.top_k = ks[r.next() % 5];
    sp.top_p = r.next() % 3 == 0 ? 1.0f : float(0.3 + 0.69 * r.uni());
    sp.min_p = r.next() % 3 == 0 ? 0.0f : float(0.2 * r.uni());
    if (r.next() % 3 == 0) {
      sp.repeat_penalty = float(1.05 + 0.5 * r.uni());
      if (r.next() % 2) sp.frequency_penalty = float(0.3 * r.uni());
      if (r.next() % 2) sp.presence_penalty = float(0.3 * r.uni());
      sp.repeat_last_n = r.next() % 2 ? 64 : -1;
    } else {
      sp.repeat_penalty = 1.0f;
    }
    sp.seed = r.next() | (uint64_t(r.next()) << 32);
    const Grammarish* gr = r.next() % 2 ? &grs[r.next() % 2] : nullptr;
    int32_t n_logits;
    if (gr) {
      n_logits = gr->n_vocab + (r.next() % 4 == 0 ? int32_t(1 + r.next() % 100) : 0);
    } else {
      const int32_t ns[] = {3000, 8203, 40000, 152000};
      n_logits = ns[r.next() % 4];
    }
    const float scale = float(0.5 + 6.0 * r.uni());
    std::vector<float> logits(static_cast<size_t>(n_logits));
    for (float& x : logits) x = r.gauss() * scale;
    std::vector<int32_t> prompt(static_cast<size_t>(5 + r.next() % 60));
    for (int32_t& t : prompt) t = int32_t(r.next() % uint32_t(gr ? gr->n_vocab : n_logits));
    // A random walk of the grammar: allowed tokens (never end-of-generation), 0..24 of them.
    std::vector<int32_t> walk;
    if (gr) {
      grammar::GrammarMatcher m(gr->cg);
      const int steps = int(r.next() % 25);
      for (int s = 0; s < steps; ++s) {
        const uint32_t* mask = m.mask();
        std::vector<int32_t> ok;
        for (int32_t id = 0; id < gr->n_vocab; ++id)
          if (((mask[id >> 5] >> (id & 31)) & 1) && !gr->cg->vocab().is_eog(id)) ok.push_back(id);
        if (ok.empty()) break;
        const int32_t t = ok[r.next() % ok.size()];
        m.accept_token(t);
        walk.push_back(t);
      }
    }
    Case c;
    char buf[256];
    std::snprintf(buf, sizeof buf, "n %d%s walk %zu temp %.3f top_k %d top_p %.3f min_p %.3f rep %.2f/%.2f/%.2f last_n %d",
                  n_logits, gr ? " grammar" : "", walk.size(), double(sp.temperature), sp.top_k, double(sp.top_p),
                  double(sp.min_p), double(sp.repeat_penalty), double(sp.frequency_penalty),
                  double(sp.presence_penalty), sp.repeat_last_n);
    c.desc = buf;
    SamplerChain chain = cpu_chain(sp, gr, prompt, walk);
    c.cpu = chain.sample(logits.data(), n_logits);
    // Near-tie: the draw close to a boundary of the CPU's cumulative distribution.
    if (sp.temperature > 0.0f) {
      const Candidates& cand = chain.candidates();
      Rng rng(sp.seed);
      const double u = rng.next_double();
      double total = 0.0;
      for (const auto& t : cand.data) total += t.p;
      double cum = 0.0;
      for (const auto& t : cand.data) {
        cum += t.p;
        if (std::fabs(cum - u * total) <= 1e-5 * total) c.near_tie = true;
      }
      if (sp.top_p < 1.0f) {
        for (float f : {1.0f - 1e-5f, 1.0f + 1e-5f}) {
          SamplerParams q = sp;
          q.top_p = std::min(1.0f, sp.top_p * f);
          SamplerChain c2 = cpu_chain(q, gr, prompt, walk);
          if (c2.sample(logits.data(), n_logits) != c.cpu) c.near_tie = true;
        }
      }
    }
    DeviceSampler ds(sp, gr ? gr->cg : nullptr, nullptr);
    ds.observe_prompt(prompt.data(), int(prompt.size()));
    for (int32_t t : walk) ds.accept(t);
    const GpuSampleParams& gp = ds.step(n_logits);
    c.id_order = gp.id_order;
    Tensor host;
    host.type = DType::F32;
    host.ne = {n_logits, 1, 1, 1};
    host.data = logits.data();
    Tensor lg = g->gpu->upload(host);
    Tensor out = g->gpu->alloc(DType::I32, {1, 1, 1, 1});
    webgpu_sample(*g->gpu, lg, gp, out);
    g->cases.push_back(std::move(c));
    g->gpu->read(out, &g->cases.back().gpu, 4);
    g->gpu->sync();  // one submit per case: the arena holds one case's mask and parameters
    g->keep.push_back(lg);
    g->keep.push_back(out);
  }
  return n_cases;
}

SOTTO_EXPORT int sotto_samplecheck_report() {
  int exact = 0, near = 0, bad = 0, id_order = 0;
  for (const Case& c : g->cases) {
    id_order += c.id_order;
    if (c.gpu == c.cpu) {
      ++exact;
    } else if (c.near_tie) {
      ++near;
      std::printf("near-tie: gpu %d cpu %d (%s)\n", c.gpu, c.cpu, c.desc.c_str());
    } else {
      ++bad;
      std::printf("MISMATCH: gpu %d cpu %d (%s)\n", c.gpu, c.cpu, c.desc.c_str());
    }
  }
  std::printf("sample check: %zu cases (%d walked in id order), %d identical, %d near-tie differences, %d mismatches\n",
              g->cases.size(), id_order, exact, near, bad);
  std::fflush(stdout);
  g.reset();
  return bad;
}

// ---- benchmark exports (tools/bench/webgpu-sample-bench.mjs): the cost of the sampling step on the GPU
// with and without the grammar mask, on a logits row of n_vocab random values, a synthetic vocabulary of
// n_vocab tokens and a JSON Schema.
//   sotto_samplebench_setup(binding_limit, n_vocab, schema, len)
//   sotto_samplebench_record(mode, n)  records n sampling steps in one submit (each uploads its own mask
//       through the arena; mode 0: argmax kernel, 1: GPU sampler greedy, 2: greedy + mask, 3: top-k 40 /
//       top-p 0.95 / min-p 0.05 / temperature 0.8 + mask, 4: the same without mask) and the 4-byte read of
//       the last; returns the host seconds of the masks (matcher + packing)
//   sotto_samplebench_advance()  accepts the token read into the matcher (restarts a finished document)
namespace {
struct Bench {
  std::unique_ptr<Backend> gpu;
  std::shared_ptr<grammar::CompiledGrammar> cg;
  std::unique_ptr<DeviceSampler> greedy, sampled, plain;
  Tensor logits, out;
  int32_t token = -1;
  int32_t n_vocab = 0;
};
std::unique_ptr<Bench> b;
}  // namespace

SOTTO_EXPORT void sotto_samplebench_setup(uint32_t binding_limit, int n_vocab, const char* schema, uint32_t len) {
  b = std::make_unique<Bench>();
  b->gpu = make_webgpu_backend(binding_limit);
  b->n_vocab = n_vocab;
  grammar::SyntheticVocab sv = grammar::make_synthetic_vocab(n_vocab, 3);
  b->cg = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(std::string(schema, len), "bench"),
                                                     std::make_shared<grammar::TokenTrie>(std::move(sv.pieces), sv.eog_ids));
  SamplerParams g0;
  g0.temperature = 0.0f;
  SamplerParams s0;  // the defaults: top-k 40, top-p 0.95, min-p 0.05, temperature 0.8
  b->greedy = std::make_unique<DeviceSampler>(g0, b->cg, nullptr);
  b->sampled = std::make_unique<DeviceSampler>(s0, b->cg, nullptr);
  b->plain = std::make_unique<DeviceSampler>(s0, nullptr, nullptr);
  Lcg r{5};
  std::vector<float> host_logits(static_cast<size_t>(n_vocab));
  for (float& x : host_logits) x = r.gauss() * 3.0f;
  Tensor h;
  h.type = DType::F32;
  h.ne = {n_vocab, 1, 1, 1};
  h.data = host_logits.data();
  b->logits = b->gpu->upload(h);
  b->out = b->gpu->alloc(DType::I32, {1, 1, 1, 1});
  b->gpu->sync();
}

SOTTO_EXPORT double sotto_samplebench_record(int mode, int n) {
  double mask_s = 0.0;
  for (int i = 0; i < n; ++i) {
    if (mode == 0) {
      b->gpu->argmax(b->logits, b->out);
      continue;
    }
    DeviceSampler& ds = mode == 1 ? *b->greedy : mode == 2 ? *b->greedy : mode == 3 ? *b->sampled : *b->plain;
    const double before = ds.mask_seconds();
    GpuSampleParams p = ds.step(b->n_vocab);
    if (mode == 1) p.mask = nullptr;
    webgpu_sample(*b->gpu, b->logits, p, b->out);
    mask_s += ds.mask_seconds() - before;
  }
  b->token = -1;
  b->gpu->read(b->out, &b->token, 4);
  b->gpu->sync();
  return mask_s;
}

SOTTO_EXPORT void sotto_samplebench_advance() {
  // The greedy sampler's matcher follows the tokens read (call it after mode 2 only: other modes may pick
  // a token its grammar does not allow); the other samplers keep their state.
  if (b->token < 0 || b->cg->vocab().is_eog(b->token)) {
    SamplerParams g0;
    g0.temperature = 0.0f;
    b->greedy = std::make_unique<DeviceSampler>(g0, b->cg, nullptr);
    return;
  }
  b->greedy->accept(b->token);
}
