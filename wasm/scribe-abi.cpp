// scribe-abi.cpp — the scribe's C ABI in the wasm build, beside sotto-abi.cpp (which it does not change):
// schema-constrained note generation driven one step per call by the host (so a Web Worker can report
// progress and cancel between steps), and the support check (apps/scribe/support.h check_support, with the
// template's schema, as `sotto note` runs it) plus the
// Markdown of a note, for generated and for user-edited notes alike.
//   sotto_scribe_create(gguf, name, n_ctx)      a note session: its own model, tokenizer, cache (takes gguf,
//                                               a buffer from sotto_buffer_new)
//   sotto_scribe_start(s, schema, transcript, temp, seed)  compiles the schema (a note template: object with
//                                               properties and a "description" instruction), prompts the
//                                               model as write_note does; returns prompt tokens
//   sotto_scribe_prefill(s, max_tokens)         runs up to max_tokens more of the prompt; returns the tokens
//                                               left (0: ready to step). So a host can cancel and show progress
//                                               between chunks; the first step prefills whatever is left.
//   sotto_scribe_step(s)                        samples one token (plus any tokens the grammar forces, in
//                                               the same forward pass); 0: more to come, 1: the note is
//                                               complete (end of generation), -1: the context is full;
//                                               the new text is at sotto_scribe_out
//   sotto_scribe_prompt(schema, transcript)    the user turn of that prompt, as text at sotto_scribe_out (for a
//                                               host that writes the note on another session: the WebGPU one)
//   sotto_scribe_check(schema, note, transcript, uncertain) {"markdown", "support": [{path, value, spans:
//                                               [[b, e]], unsupported, flagged, checked, why, uncertain_speech}]}
//                                               (support_to_json) as JSON at sotto_scribe_out; spans are UTF-8
//                                               byte offsets into the transcript; uncertain: JSON [[b, e,
//                                               reason]] of the words speech recognition was unsure of (or
//                                               empty), carried in as `sotto note` does (support-speech.h);
//                                               relative dates resolved against the visit date (below)
//   sotto_scribe_windows(s, schema, transcript, max_tokens)  how write_note reads the transcript with this
//                                               model (apps/scribe/window.h): JSON {windows: [[b, e]], maxTokens:
//                                               [per window], promptTokens, trainedContext, windowTokens, message}
//   sotto_scribe_merge(schema, {notes, windows}, transcript)  the window notes merged (merge_window_notes)
//   sotto_scribe_visit_date(date)              the visit date (YYYY-MM-DD, "" for none) of the next prompts, checks
//                                               and merges, as `sotto note --visit-date`
//   sotto_scribe_evidence(on)                   evidence-constrained decoding (apps/scribe/evidence.h) for the
//                                               next sotto_scribe_start: 1 on (the default, as `sotto note`), 0 off
//   sotto_scribe_gpu_evidence(session, schema, transcript)  the same constraint for a WebGPU session's next
//                                               sotto_gpu_start_sampled (the note web/engine-gpu.mjs writes), when on
//   sotto_scribe_fhir(schema, note, args)       the note as a FHIR R4 document Bundle (apps/scribe/fhir.h);
//                                               args: JSON {bundle_id, composition_id, timestamp, author}
// Strings in: pointer + byte length. Strings out: sotto_scribe_out / sotto_scribe_out_len, valid until the
// next call. Errors trap with a one-line message (sotto_last_error), as in sotto-abi.cpp.
// Threads: n_threads of sotto_scribe_create sizes the CPU backend's pool (see sotto-abi.cpp).
// Does not: speech, files.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"
#include "scribe/evidence.h"
#include "scribe/fhir.h"
#include "scribe/note.h"
#include "scribe/support-speech.h"
#include "session.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

struct ScribeSession {
  sotto::LoadedModel lm;
  sotto::KvCache cache;
  sotto::SamplerChain chain;
  std::vector<float> logits;  // [n_vocab] of the last position run
  int n_ctx = 0;
  bool started = false;
  std::unique_ptr<sotto::json::Value> schema;  // the started note's schema (the evidence link reads it)
  std::vector<int32_t> prompt;  // the started note's prompt
  size_t prefilled = 0;         // its tokens run so far (sotto_scribe_prefill)
};

std::string g_out;

// A note template from schema text (what load_template checks, without a file).
sotto::NoteTemplate template_from_text(const std::string& text) {
  sotto::NoteTemplate t;
  t.name = "template";
  t.path = "template";
  t.schema_text = text;
  t.schema = sotto::json::parse(text, "template");
  if (!t.schema.is_object() || !t.schema.find("properties")) sotto::fail("template: a template must be an object schema with properties");
  const sotto::json::Value* title = t.schema.find("title");
  const sotto::json::Value* desc = t.schema.find("description");
  if (!desc || !desc->is_string() || desc->str().empty()) sotto::fail("template: the template needs a \"description\" (the instruction)");
  t.title = title && title->is_string() ? title->str() : "Note";
  t.instruction = desc->str();
  return t;
}

}  // namespace

SOTTO_EXPORT ScribeSession* sotto_scribe_create(std::vector<uint8_t>* gguf, const char* name, int n_ctx, int n_threads) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  auto s = std::make_unique<ScribeSession>();
  s->lm.file = sotto::GgufFile::from_memory(std::move(*bytes), name);
  s->lm.pool = std::make_unique<sotto::ThreadPool>(std::max(1, n_threads));
  s->lm.backend = sotto::make_cpu_backend(*s->lm.pool, /*own_weights=*/true);  // the session's GGUF bytes
  s->lm.model = sotto::Model::load(*s->lm.file, *s->lm.backend);
  s->lm.tokenizer = sotto::Tokenizer::from_gguf(*s->lm.file);
  const sotto::ModelConfig& cfg = s->lm.model->config();
  if (n_ctx <= 0) n_ctx = cfg.n_ctx_train > 0 ? std::min(cfg.n_ctx_train, 4096) : 4096;
  s->n_ctx = n_ctx;
  return s.release();
}

SOTTO_EXPORT void sotto_scribe_destroy(ScribeSession* s) { delete s; }

namespace {
// The visit date of the next prompts (sotto_scribe_visit_date; "" for none), as `sotto note --visit-date`.
std::string g_visit_date;
bool g_evidence = sotto::NoteOptions().evidence;  // sotto_scribe_evidence; the native default

// The user turn of write_note's prompt (apps/scribe/note.cpp), sent through the model's chat template.
std::string note_prompt(const sotto::NoteTemplate& t, const std::string& tr) {
  if (tr.find_first_not_of(" \t\r\n") == std::string::npos) sotto::fail("the transcript is empty");
  return sotto::note_user_turn(t, tr, g_visit_date);
}
}  // namespace

// The visit date (YYYY-MM-DD) that the next notes' prompts carry, resolving relative dates; empty for none.
// A string that is not a calendar date is refused (the date stays as it was).
SOTTO_EXPORT void sotto_scribe_visit_date(const char* date, uint32_t len) {
  std::string d(date, len);
  if (!d.empty() && !sotto::is_calendar_date(d)) sotto::fail("the visit date must be a date YYYY-MM-DD, got '", d, "'");
  g_visit_date = std::move(d);
}

SOTTO_EXPORT void sotto_scribe_evidence(int on) { g_evidence = on != 0; }

namespace {
// The evidence link with the schema it reads (EvidenceSampler keeps a reference to it).
class OwnedEvidence : public sotto::MaskLink {
 public:
  OwnedEvidence(const sotto::Tokenizer& tok, sotto::json::Value schema, std::string_view transcript)
      : schema_(std::move(schema)), ev_(sotto::grammar::make_token_trie(tok), schema_, transcript) {}
  const uint32_t* device_mask() override { return ev_.device_mask(); }
  void device_fallback() override { ev_.device_fallback(); }
  void accept(int32_t id) override { ev_.accept(id); }

 private:
  sotto::json::Value schema_;
  sotto::EvidenceSampler ev_;
};
}  // namespace

// The note written on a WebGPU session (web/engine-gpu.mjs: sotto_scribe_prompt, sotto_set_grammar with the
// template's schema, then sotto_gpu_start_sampled) gets the evidence constraint of a CPU note when it is on
// (sotto_scribe_evidence): this sets it for the session's next sotto_gpu_start_sampled; off, it does nothing.
SOTTO_EXPORT void sotto_scribe_gpu_evidence(sotto_wasm::Session* s, const char* schema, uint32_t schema_len,
                                            const char* transcript, uint32_t transcript_len) {
  s->next_link.reset();
  if (!g_evidence) return;
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  s->next_link = std::make_unique<OwnedEvidence>(*s->lm.tokenizer, t.schema, std::string_view(transcript, transcript_len));
}

SOTTO_EXPORT void sotto_scribe_prompt(const char* schema, uint32_t schema_len, const char* transcript, uint32_t transcript_len) {
  g_out = note_prompt(template_from_text(std::string(schema, schema_len)), std::string(transcript, transcript_len));
}

SOTTO_EXPORT int sotto_scribe_start(ScribeSession* s, const char* schema, uint32_t schema_len, const char* transcript,
                                    uint32_t transcript_len, float temp, uint32_t seed_lo, uint32_t seed_hi) {
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  const std::string user = note_prompt(t, std::string(transcript, transcript_len));
  std::shared_ptr<const sotto::grammar::TokenTrie> trie = sotto::grammar::make_token_trie(*s->lm.tokenizer);
  auto cg = std::make_shared<sotto::grammar::CompiledGrammar>(sotto::grammar::compile_json_schema(t.schema_text, "template"), trie);
  sotto::SamplerParams sp;
  sp.temperature = temp;
  sp.seed = (uint64_t(seed_hi) << 32) | seed_lo;
  s->chain = sotto::make_chain(sp);
  s->schema = std::make_unique<sotto::json::Value>(t.schema);
  if (g_evidence) s->chain.add_front(std::make_unique<sotto::EvidenceSampler>(trie, *s->schema, std::string(transcript, transcript_len)));
  s->chain.add_front(sotto::make_grammar_sampler(std::move(cg), s->lm.tokenizer.get()));  // forced tokens split as the model splits them, as write_note does
  const std::vector<int32_t> prompt = sotto::encode_prompt(*s->lm.tokenizer, user, true, "");
  if (int(prompt.size()) >= s->n_ctx) {
    sotto::fail("the transcript is too long for the context: ", std::to_string(prompt.size()), " prompt tokens, context ",
                std::to_string(s->n_ctx));
  }
  s->chain.observe_prompt(prompt.data(), int(prompt.size()));
  s->cache = s->lm.model->new_cache(s->n_ctx);
  s->prompt = prompt;
  s->prefilled = 0;
  s->started = true;
  return int(prompt.size());
}

SOTTO_EXPORT int sotto_scribe_prefill(ScribeSession* s, int max_tokens) {
  if (!s->started) sotto::fail("sotto_scribe_prefill: call sotto_scribe_start first");
  const size_t n = s->prompt.size();
  if (s->prefilled < n) {
    const int k = int(std::min<size_t>(size_t(std::max(1, max_tokens)), n - s->prefilled));
    s->logits = s->lm.model->forward(s->cache, s->prompt.data() + s->prefilled, k);
    s->prefilled += size_t(k);
  }
  return int(n - s->prefilled);
}

SOTTO_EXPORT int sotto_scribe_step(ScribeSession* s) {
  if (!s->started) sotto::fail("sotto_scribe_step: call sotto_scribe_start first");
  while (s->prefilled < s->prompt.size()) sotto_scribe_prefill(s, 256);  // a host that does not prefill in steps
  g_out.clear();
  const sotto::Tokenizer& tok = *s->lm.tokenizer;
  if (s->cache.n_past >= s->n_ctx) return -1;
  const int32_t id = s->chain.sample(s->logits.data(), int(s->logits.size()));
  s->chain.accept(id);
  if (tok.is_eog(id)) {
    s->started = false;
    return 1;
  }
  std::vector<int32_t> batch = {id};
  if (!tok.is_special(id)) g_out += tok.token_to_piece(id);
  for (int32_t f : s->chain.forced_tokens()) {
    if (tok.is_eog(f) || s->cache.n_past + int(batch.size()) >= s->n_ctx) break;
    s->chain.accept(f);
    batch.push_back(f);
    if (!tok.is_special(f)) g_out += tok.token_to_piece(f);
  }
  if (s->cache.n_past + int(batch.size()) > s->n_ctx) return -1;
  s->logits = s->lm.model->forward(s->cache, batch.data(), int(batch.size()));
  return 0;
}

SOTTO_EXPORT void sotto_scribe_windows(ScribeSession* s, const char* schema, uint32_t schema_len, const char* transcript,
                                       uint32_t transcript_len, int max_tokens) {
  namespace json = sotto::json;
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  const std::string tr(transcript, transcript_len);
  const int n_ctx_train = s->lm.model->config().n_ctx_train;
  const sotto::WindowPlan plan = sotto::plan_note_windows(*s->lm.tokenizer, n_ctx_train, t, tr, max_tokens, g_visit_date);
  json::Value out = json::Value::object();
  json::Value wins = json::Value::array(), limits = json::Value::array();
  for (const sotto::Span& w : plan.windows) {
    json::Value pair = json::Value::array();
    pair.push_back(json::Value(int64_t(w.begin)));
    pair.push_back(json::Value(int64_t(w.end)));
    wins.push_back(pair);
    limits.push_back(json::Value(int64_t(plan.windows.size() == 1 ? max_tokens
        : sotto::window_max_tokens(*s->lm.tokenizer, n_ctx_train, t, tr.substr(w.begin, w.end - w.begin), max_tokens, g_visit_date))));
  }
  out.set("windows", wins);
  out.set("maxTokens", limits);
  out.set("promptTokens", json::Value(int64_t(plan.prompt_tokens)));
  out.set("trainedContext", json::Value(int64_t(plan.n_ctx_train)));
  out.set("windowTokens", json::Value(int64_t(plan.window_tokens)));
  out.set("message", json::Value(sotto::describe_windows(plan)));
  g_out = json::dump(out);
}

SOTTO_EXPORT void sotto_scribe_merge(const char* schema, uint32_t schema_len, const char* notes, uint32_t notes_len,
                                     const char* transcript, uint32_t transcript_len) {
  namespace json = sotto::json;
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  const json::Value in = json::parse(std::string(notes, notes_len), "window notes");
  const json::Value* ns = in.find("notes");
  const json::Value* ws = in.find("windows");
  if (!ns || !ns->is_array() || !ws || !ws->is_array()) sotto::fail("window notes: want {notes: [...], windows: [[b, e], ...]}");
  std::vector<json::Value> list;
  std::vector<sotto::Span> spans;
  for (const json::Value& n : ns->arr()) list.push_back(json::parse(n.is_string() ? n.str() : json::dump(n), "window note"));
  for (const json::Value& w : ws->arr()) {
    if (!w.is_array() || w.arr().size() != 2) sotto::fail("window notes: a window is [begin, end]");
    spans.push_back({size_t(w.arr()[0].integer()), size_t(w.arr()[1].integer())});
  }
  g_out = json::dump(sotto::merge_window_notes(t.schema, list, std::string(transcript, transcript_len), spans, g_visit_date));
}

SOTTO_EXPORT int sotto_scribe_n_past(ScribeSession* s) { return s->cache.n_past; }
SOTTO_EXPORT int sotto_scribe_n_ctx(ScribeSession* s) { return s->n_ctx; }

SOTTO_EXPORT void sotto_scribe_check(const char* schema, uint32_t schema_len, const char* note, uint32_t note_len,
                                     const char* transcript, uint32_t transcript_len, const char* uncertain,
                                     uint32_t uncertain_len) {
  namespace json = sotto::json;
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  const json::Value v = json::parse(std::string(note, note_len), "note");
  if (!v.is_object()) sotto::fail("note: not a JSON object");
  const std::string tr(transcript, transcript_len);
  std::vector<sotto::FieldSupport> support = sotto::check_support(v, tr, &t.schema, g_visit_date);
  if (uncertain_len > 0) {
    const std::string u(uncertain, uncertain_len);
    sotto::mark_uncertain_speech(support, tr, sotto::uncertain_from_json(json::parse(u, "uncertain speech"), tr.size(), "uncertain speech"));
  }
  json::Value out = json::Value::object();
  out.set("markdown", json::Value(sotto::note_to_markdown(t, v, support)));
  out.set("support", sotto::support_to_json(support));
  g_out = json::dump(out);
}
SOTTO_EXPORT void sotto_scribe_fhir(const char* schema, uint32_t schema_len, const char* note, uint32_t note_len,
                                    const char* args, uint32_t args_len) {
  namespace json = sotto::json;
  const sotto::NoteTemplate t = template_from_text(std::string(schema, schema_len));
  const json::Value v = json::parse(std::string(note, note_len), "note");
  const json::Value a = json::parse(std::string(args, args_len), "fhir arguments");
  sotto::FhirOptions opt;
  opt.bundle_id = a.at("bundle_id").str();
  opt.composition_id = a.at("composition_id").str();
  opt.timestamp = a.at("timestamp").str();
  if (const json::Value* au = a.find("author"); au && au->is_string()) opt.author = au->str();
  g_out = json::dump(sotto::note_to_fhir_bundle(t, v, opt), 2);
}

SOTTO_EXPORT const char* sotto_scribe_out() { return g_out.data(); }
SOTTO_EXPORT uint32_t sotto_scribe_out_len() { return uint32_t(g_out.size()); }

// ---- the unwinder entry points that wasm-EH landing pads reference (grammar/json-schema.cpp has a try
// block and the scribe is the first ABI to call it). Nothing throws in this build (fail() traps), so a
// landing pad is never entered; were one reached, it is reported as a trap with a message.
extern "C" [[noreturn]] void sotto_wasm_fail(const char* msg);
extern "C" {
struct SottoLandingPadContext {
  uintptr_t lpad_index, lsda, selector;
};
SottoLandingPadContext __wasm_lpad_context;
int _Unwind_CallPersonality(void*) { sotto_wasm_fail("C++ exception unwinding (unsupported in the wasm build)"); }
}
