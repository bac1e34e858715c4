// sotto-abi.cpp — the C ABI that the wasm build exports to its JS host (wasm/sotto.mjs).
// A session owns one model (GGUF bytes the host copied into a buffer from sotto_buffer_new), its
// tokenizer, KV cache and sampler. Generation is driven by the host one token per call, so it can yield
// to its event loop and cancel between tokens:
//   sotto_start(s, ids, n, ...)  prefill the prompt (tokens the host got from sotto_tokenize)
//   sotto_step(s)                sample the next token, run it through the model, return its id
//                                (-1: the context is full); the host stops on sotto_is_eog or its limit.
// Errors: the WASI libc++abi has no exception runtime, so sotto::fail() ends in sotto_wasm_fail(), which
// keeps the message (sotto_last_error) and traps. The host turns the trap into a JS Error with that
// message and drops the whole instance: after a trap, no other call into it is valid (wasm/sotto.mjs then
// revives a fresh instance of the module with the last good model, so the page's engine object goes on).
// Strings in: pointer + byte length (UTF-8). Strings out: pointer valid until the next call on the session,
// length from sotto_out_len.
// WebGPU sessions (sotto_create_gpu): the model runs on the WebGPU backend (src/backend/webgpu) and is
// driven greedily one submit per token, with no read-back inside a step:
//   sotto_gpu_start(s, ids, n)  prefill, argmax on the GPU, a deferred 4-byte read of the token
//   (host: submit done by the engine; the host awaits the read before the next call)
//   sotto_gpu_next(s)           returns that token; unless it ends generation, runs it and records the
//                               next argmax + read (-1: the context is full)
//   Pipelined (sotto_gpu_pipeline, the default): start also records the first token's step with its input
//   taken from the GPU's argmax, and each next records the step after the one in flight, so two reads are
//   pending: the host awaits only the oldest (GpuInstance.settle({oldest: true})) and must settle all of them
//   before another start or before the session is destroyed (wasm/sotto.mjs does).
// sotto_start/sotto_step refuse a WebGPU session (its logits never come back to wasm memory).
// Prompt reuse (sotto_prompt_reuse(s, 1); off by default): sotto_start (and on WebGPU sotto_gpu_start /
// sotto_gpu_start_sampled without images) keeps the longest prefix of its prompt whose K/V the cache holds (the last
// prompt and the tokens run since: a chat's next turn) and prefills only the rest; sotto_n_reused says how many
// (the npm package's worker turns it on).
// Constrained decoding and sampling, both backends:
//   sotto_set_grammar(s, text, len, kind)  kind 1: a JSON Schema (3: compact), 2: GBNF, 0: none; used by the
//                               next sotto_start / sotto_gpu_start_sampled (the grammar link first in the
//                               chain; forced runs of tokens join the sampled token's forward pass and are
//                               returned by the next sotto_step / sotto_gpu_next calls without sampling)
//   sotto_gpu_start_sampled(s, ids, n, temp, top_k, top_p, min_p, repeat_penalty, seed)  as sotto_start,
//                               on the GPU: mask (grammar), penalties and the chain run in two dispatches
//                               (backend/webgpu/webgpu-sample.h) and a step still reads back 4 bytes
// Threads: sotto_create's n_threads sizes the CPU backend's pool; the single-threaded build (sotto.wasm)
// always has one, the threaded build (sotto-mt.wasm, core/thread-pool-wasi.cpp) as many as the host's
// thread-spawn gives (sotto_n_threads says how many).
// Images (SmolVLM) join a CPU session's prompt through wasm/vision-abi.cpp (sotto_vision_*), which shares the
// Session (wasm/session.h) and begin_generation() with this file.
// Does not: files (no file system), chat templates other than the
// model's own (sotto_tokenize with chat = 1: one user turn; sotto_tokenize_chat: a conversation).
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "backend/webgpu/webgpu-backend.h"
#include "backend/webgpu/webgpu-sample.h"
#include "core/error.h"
#include "core/json.h"
#include "grammar/grammar.h"
#include "grammar/json-schema.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/device-sampler.h"
#include "runtime/generate.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/prompt-cache.h"
#include "runtime/sampler.h"
#include "session.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

char g_last_error[1024] = "";

}  // namespace

using sotto_wasm::Session;

extern "C" [[noreturn]] void sotto_wasm_fail(const char* msg) {
  std::strncpy(g_last_error, msg, sizeof g_last_error - 1);
  g_last_error[sizeof g_last_error - 1] = 0;
  __builtin_trap();
}

SOTTO_EXPORT const char* sotto_last_error() { return g_last_error; }

// ---- byte buffers the host fills (the model file, prompt text)
SOTTO_EXPORT std::vector<uint8_t>* sotto_buffer_new(uint32_t n) { return new std::vector<uint8_t>(n); }
SOTTO_EXPORT uint8_t* sotto_buffer_data(std::vector<uint8_t>* b) { return b->data(); }
SOTTO_EXPORT void sotto_buffer_free(std::vector<uint8_t>* b) { delete b; }

namespace {
Session* create_from(std::unique_ptr<sotto::GgufFile> file, int n_ctx, uint32_t binding_limit, int n_threads = 1);
// binding_limit 0: the CPU backend (n_threads threads); otherwise the WebGPU backend with that
// maxStorageBufferBindingSize.
Session* create(std::vector<uint8_t>* gguf, const char* name, int n_ctx, uint32_t binding_limit, int n_threads = 1) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  return create_from(sotto::GgufFile::from_memory(std::move(*bytes), name), n_ctx, binding_limit, n_threads);
}
Session* create_from(std::unique_ptr<sotto::GgufFile> file, int n_ctx, uint32_t binding_limit, int n_threads) {
  auto s = std::make_unique<Session>();
  s->lm.file = std::move(file);
  s->lm.pool = std::make_unique<sotto::ThreadPool>(binding_limit > 0 ? 1 : std::max(1, n_threads));
  if (binding_limit > 0) {
    s->gpu = true;
    s->lm.backend = sotto::make_webgpu_backend(binding_limit);
    s->next_tok = s->lm.backend->alloc(sotto::DType::I32, {1, 1, 1, 1});
  } else {
    s->lm.backend = sotto::make_cpu_backend(*s->lm.pool, /*own_weights=*/true);  // the session's GGUF bytes
  }
  s->lm.model = sotto::Model::load(*s->lm.file, *s->lm.backend);
  s->lm.tokenizer = sotto::Tokenizer::from_gguf(*s->lm.file);
  const sotto::ModelConfig& cfg = s->lm.model->config();
  if (n_ctx <= 0) n_ctx = cfg.n_ctx_train > 0 ? std::min(cfg.n_ctx_train, 4096) : 4096;
  s->n_ctx = n_ctx;
  s->cache = s->lm.model->new_cache(n_ctx);
  s->lm.backend->sync();
  return s.release();
}
}  // namespace

// Takes ownership of `gguf` (a buffer from sotto_buffer_new). n_ctx <= 0: min(training context, 4096).
// n_threads <= 1 (or omitted by the host): one thread.
SOTTO_EXPORT Session* sotto_create(std::vector<uint8_t>* gguf, const char* name, int n_ctx, int n_threads) {
  return create(gguf, name, n_ctx, 0, n_threads);
}
// The threads the session's CPU backend runs on (fewer than asked when the host gave fewer).
SOTTO_EXPORT int sotto_n_threads(Session* s) { return s->lm.pool->size(); }
// The same on the WebGPU backend (the host has set up the device; binding_limit is its
// maxStorageBufferBindingSize).
SOTTO_EXPORT Session* sotto_create_gpu(std::vector<uint8_t>* gguf, const char* name, int n_ctx, uint32_t binding_limit) {
  if (binding_limit == 0) sotto::fail("sotto_create_gpu: binding limit 0");
  return create(gguf, name, n_ctx, binding_limit);
}

// ---- streamed WebGPU loading: the wasm side holds only the GGUF header and the small tensors; the host
// streams every other tensor's bytes from the file (fetch, Blob, OPFS, fs) straight into its GPU buffer.
//   f = sotto_gguf_open(header_buffer, size_lo, size_hi, name)   header: the file's bytes through the tensor
//                                                                 table (the host finds its end)
//   n = sotto_gguf_small_count(f, max_bytes)                      tensors of <= max_bytes the host reads into
//   sotto_gguf_small_offset(f, i), sotto_gguf_small_size(f, i),   wasm memory: file offset, size and the
//   sotto_gguf_small_provide(f, i)                                destination pointer
//   s = sotto_create_gpu_stream(f, n_ctx, binding_limit)          takes f; the GPU buffers of the other
//                                                                 tensors are created and their loads
//                                                                 recorded (host import buffer_load)
//   (host: stream the recorded loads, then await as after sotto_create_gpu)
namespace {
struct Streamed {
  std::unique_ptr<sotto::GgufFile> file;
  std::vector<size_t> small;  // tensor indices
};
}  // namespace

SOTTO_EXPORT Streamed* sotto_gguf_open(std::vector<uint8_t>* header, uint32_t size_lo, uint32_t size_hi, const char* name) {
  std::unique_ptr<std::vector<uint8_t>> bytes(header);
  auto st = std::make_unique<Streamed>();
  st->file = sotto::GgufFile::from_header(std::move(*bytes), (uint64_t(size_hi) << 32) | size_lo, name);
  return st.release();
}
SOTTO_EXPORT int sotto_gguf_small_count(Streamed* st, uint32_t max_bytes) {
  st->small.clear();
  const auto& ts = st->file->tensors();
  for (size_t i = 0; i < ts.size(); i++) {
    if (!ts[i].view.data && ts[i].view.nbytes() <= max_bytes) st->small.push_back(i);
  }
  return int(st->small.size());
}
SOTTO_EXPORT double sotto_gguf_small_offset(Streamed* st, uint32_t i) {
  return double(st->file->tensors().at(st->small.at(i)).file_offset);
}
SOTTO_EXPORT uint32_t sotto_gguf_small_size(Streamed* st, uint32_t i) {
  return uint32_t(st->file->tensors().at(st->small.at(i)).view.nbytes());
}
SOTTO_EXPORT uint8_t* sotto_gguf_small_provide(Streamed* st, uint32_t i) { return st->file->provide_data(st->small.at(i)); }
SOTTO_EXPORT void sotto_gguf_close(Streamed* st) { delete st; }
SOTTO_EXPORT Session* sotto_create_gpu_stream(Streamed* st, int n_ctx, uint32_t binding_limit) {
  std::unique_ptr<Streamed> owned(st);
  if (binding_limit == 0) sotto::fail("sotto_create_gpu_stream: binding limit 0");
  return create_from(std::move(owned->file), n_ctx, binding_limit);
}

SOTTO_EXPORT void sotto_destroy(Session* s) { delete s; }

SOTTO_EXPORT int sotto_n_vocab(Session* s) { return s->lm.tokenizer->n_vocab(); }
SOTTO_EXPORT int sotto_n_ctx(Session* s) { return s->n_ctx; }
SOTTO_EXPORT int sotto_n_past(Session* s) { return s->n_past; }

// Encodes text as the CLI does (BOS added when the model has one; chat = 1: the model's chat template as
// one user turn). Returns the count; the ids are at sotto_ids.
SOTTO_EXPORT int sotto_tokenize(Session* s, const char* text, uint32_t len, int chat) {
  s->ids = sotto::encode_prompt(*s->lm.tokenizer, std::string(text, len), chat != 0);
  return int(s->ids.size());
}
SOTTO_EXPORT int32_t* sotto_ids(Session* s) { return s->ids.data(); }

// Encodes a conversation as `sotto serve --api` does (runtime/loaded-model.h encode_chat: the model's chat template,
// the assistant's turn opened): text is a JSON array of {"role": "system" | "user" | "assistant", "content": "..."}
// (the npm package checks it before; a malformed one traps here). Returns the count; the ids are at sotto_ids.
SOTTO_EXPORT int sotto_tokenize_chat(Session* s, const char* text, uint32_t len) {
  const sotto::json::Value v = sotto::json::parse(std::string_view(text, len), "messages");
  if (!v.is_array() || v.arr().empty()) sotto::fail("messages: a non-empty array of {role, content} is expected");
  std::vector<sotto::ChatMessage> msgs;
  for (const auto& m : v.arr()) {
    const sotto::json::Value* role = m.find("role");
    const sotto::json::Value* content = m.find("content");
    if (!role || !role->is_string() || !content || !content->is_string())
      sotto::fail("messages: each message needs a string role and a string content");
    if (role->str() != "system" && role->str() != "user" && role->str() != "assistant")
      sotto::fail("messages: role '", role->str(), "' is not system, user or assistant");
    msgs.push_back(sotto::ChatMessage{role->str(), content->str()});
  }
  s->ids = sotto::encode_chat(*s->lm.tokenizer, msgs);
  return int(s->ids.size());
}

namespace sotto_wasm {
void begin_generation(Session* s, const char* who, const int32_t* ids, int n, const sotto::SamplerParams& sp,
                      bool reuse) {
  if (s->gpu) sotto::fail(who, ": this is a WebGPU session (use sotto_gpu_start)");
  if (n <= 0) sotto::fail(who, ": the prompt is empty");
  if (n > s->n_ctx) {
    sotto::fail("prompt of ", std::to_string(n), " tokens does not fit the context of ", std::to_string(s->n_ctx));
  }
  const int n_vocab = s->lm.tokenizer->n_vocab();
  for (int i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= n_vocab) sotto::fail(who, ": token id ", std::to_string(ids[i]), " out of range");
  }
  s->chain = sotto::make_chain(sp);
  if (s->grammar) s->chain.add_front(sotto::make_grammar_sampler(s->grammar, s->lm.tokenizer.get()));
  s->queued.clear();
  s->chain.observe_prompt(ids, n);
  size_t keep = 0;
  if (reuse && s->prompt_reuse && s->cache.n_ctx == s->n_ctx && s->held.size() <= size_t(s->n_past)) {
    keep = sotto::common_prefix(s->held, std::vector<int32_t>(ids, ids + n), size_t(n - 1));
  } else {
    s->cache = s->lm.model->new_cache(s->n_ctx);
  }
  s->held.resize(keep);  // until the caller's prefill: positions keep.. are overwritten
  s->n_reused = int(keep);
  s->cache.n_past = int(keep);
  s->n_past = int(keep);
}
}  // namespace sotto_wasm

// Resets the cache and the sampler, then prefills ids[0..n) in chunks of 256. temp <= 0: greedy.
SOTTO_EXPORT void sotto_start(Session* s, const int32_t* ids, int n, float temp, int top_k, float top_p,
                              float min_p, float repeat_penalty, uint32_t seed_lo, uint32_t seed_hi) {
  sotto_wasm::begin_generation(s, "sotto_start", ids, n,
                               sotto_wasm::sampler_params(temp, top_k, top_p, min_p, repeat_penalty, seed_lo, seed_hi),
                               true);
  const int keep = s->n_past;
  s->logits = sotto::prefill(*s->lm.model, s->cache, ids + keep, n - keep, 256);
  s->n_past = n;
  s->held.assign(ids, ids + n);
}

// Prompt reuse (CPU sessions): on = 1 turns it on, 0 off (the next start then runs the whole prompt), else only
// asks; returns the previous setting. sotto_n_reused: prompt tokens the last start kept from the cache.
SOTTO_EXPORT int sotto_prompt_reuse(Session* s, int on) {
  const int was = s->prompt_reuse ? 1 : 0;
  if (on == 0 || on == 1) s->prompt_reuse = on == 1;
  if (!s->prompt_reuse) s->held.clear();
  return was;
}
SOTTO_EXPORT int sotto_n_reused(Session* s) { return s->n_reused; }

// Samples the next token from the last logits and accepts it. Unless it is an end-of-generation token,
// runs it through the model so the next call has logits. Returns the id, or -1 when the context is full.
SOTTO_EXPORT int32_t sotto_step(Session* s) {
  if (s->gpu) sotto::fail("sotto_step: this is a WebGPU session (use sotto_gpu_next)");
  if (s->logits.empty()) sotto::fail("sotto_step: call sotto_start first");
  if (!s->queued.empty()) {  // a forced token, run with the previous one
    const int32_t f = s->queued.front();
    s->queued.pop_front();
    return f;
  }
  if (s->n_past >= s->n_ctx) return -1;
  const int32_t id = s->chain.sample(s->logits.data(), int(s->logits.size()));
  s->chain.accept(id);
  if (s->lm.tokenizer->is_eog(id)) return id;
  // Fast-forward (generate.cpp): tokens the grammar forces join this forward pass.
  std::vector<int32_t> batch = {id};
  for (int32_t f : s->chain.forced_tokens()) {
    if (s->lm.tokenizer->is_eog(f) || s->n_past + int(batch.size()) >= s->n_ctx) break;
    s->chain.accept(f);
    batch.push_back(f);
    s->queued.push_back(f);
  }
  const bool in_step = s->held.size() == size_t(s->n_past);  // held names every position so far
  s->logits = s->lm.model->forward(s->cache, batch.data(), int(batch.size()));
  s->n_past += int(batch.size());
  if (in_step) s->held.insert(s->held.end(), batch.begin(), batch.end());
  else s->held.clear();
  return id;
}

// ---- WebGPU sessions: greedy decoding with the argmax on the GPU (see the top of the file).
namespace {
void check_prompt(Session* s, const int32_t* ids, int n) {
  if (n <= 0) sotto::fail("sotto_gpu_start: the prompt is empty");
  if (n > s->n_ctx) {
    sotto::fail("prompt of ", std::to_string(n), " tokens does not fit the context of ", std::to_string(s->n_ctx));
  }
  const int n_vocab = s->lm.tokenizer->n_vocab();
  for (int i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= n_vocab) sotto::fail("sotto_gpu_start: token id ", std::to_string(ids[i]), " out of range");
  }
}
// The start of a WebGPU prompt: with prompt reuse (and no image rows), the longest prefix of ids the cache holds is
// kept (n_past and n_reused set to it; the caller prefills from there); else a fresh cache. Returns the kept count.
int gpu_keep(Session* s, const int32_t* ids, int n, const std::vector<sotto::EmbdSpan>& spans) {
  size_t keep = 0;
  if (s->prompt_reuse && s->gpu_held && spans.empty() && s->cache.n_ctx == s->n_ctx) {
    s->held.resize(std::min(s->held.size(), size_t(s->n_past)));  // a step run ahead and never returned is not held
    keep = sotto::common_prefix(s->held, std::vector<int32_t>(ids, ids + n), size_t(n - 1));
  } else {
    s->cache = s->lm.model->new_cache(s->n_ctx);
  }
  s->n_reused = int(keep);
  s->cache.n_past = int(keep);
  s->n_past = int(keep);
  return int(keep);
}
// After the prefill: the prompt is what the cache holds (not with image rows in it).
void gpu_hold(Session* s, const int32_t* ids, int n, const std::vector<sotto::EmbdSpan>& spans) {
  s->gpu_held = spans.empty();
  if (s->gpu_held) s->held.assign(ids, ids + n);
  else s->held.clear();
}
// Runs the prompt through the model in forward passes of s->gpu_chunk tokens (larger passes give the prefill
// matmuls more rows to tile; the GPU memory of a pass's activations grows with it); the last pass's logits.
sotto::Tensor gpu_prefill(Session* s, const int32_t* ids, int n, const std::vector<sotto::EmbdSpan>& spans = {}) {
  sotto::Tensor logits;
  const int n_embd = s->lm.model->config().n_embd;
  for (int i = 0; i < n; i += s->gpu_chunk) {
    const int k = std::min(s->gpu_chunk, n - i);
    const std::vector<sotto::EmbdSpan> local = sotto::spans_in(spans, i, k, n_embd);
    logits = local.empty() ? s->lm.model->forward_device(s->cache, ids + i, k)
                           : s->lm.model->forward_device_embd(s->cache, ids + i, k, local.data(), int(local.size()));
    s->n_past += k;
  }
  return logits;
}
// Records argmax(logits) -> next_tok and its deferred read into *dst (s->pending, or the next free ring slot
// when pipelined), then submits.
void finish_step(Session* s, const sotto::Tensor& logits) {
  if (logits.empty()) sotto::fail("this model cannot run on the WebGPU path");
  s->lm.backend->argmax(logits, s->next_tok);
  int32_t* dst = &s->pending;
  if (s->pipelined) {
    dst = &s->ring[(s->ring_head + s->in_flight) % 2];
    s->in_flight++;
  }
  *dst = -1;
  s->lm.backend->read(s->next_tok, dst, sizeof *dst);
  s->lm.backend->sync();
  s->dispatches += sotto::webgpu_take_dispatch_count(*s->lm.backend);
}
// Pipelined: records the step of the token in flight (its id still on the device, in next_tok), unless the
// context is full.
void step_ahead(Session* s) {
  if (s->n_past >= s->n_ctx) return;
  finish_step(s, s->lm.model->forward_device(s->cache, s->next_tok));
  s->n_past++;
}
}  // namespace

namespace sotto_wasm {
void gpu_start(Session* s, const int32_t* ids, int n, const std::vector<sotto::EmbdSpan>& spans) {
  if (!s->gpu) sotto::fail("sotto_gpu_start: not a WebGPU session");
  check_prompt(s, ids, n);
  if (s->grammar) sotto::fail("sotto_gpu_start: a grammar is set (sotto_set_grammar): use sotto_gpu_start_sampled");
  s->dsampler.reset();
  s->queued.clear();
  const int keep = gpu_keep(s, ids, n, spans);
  s->pipelined = s->pipeline;
  s->ring_head = s->in_flight = 0;
  s->n_given = n;
  s->dispatches = 0;
  const sotto::Tensor logits = gpu_prefill(s, ids + keep, n - keep, spans);
  gpu_hold(s, ids, n, spans);
  finish_step(s, logits);
  if (s->pipelined) step_ahead(s);
}
}  // namespace sotto_wasm

SOTTO_EXPORT void sotto_gpu_start(Session* s, const int32_t* ids, int n) { sotto_wasm::gpu_start(s, ids, n, {}); }

int32_t gpu_next_sampled(Session* s);

int32_t gpu_next(Session* s);

SOTTO_EXPORT int32_t sotto_gpu_next(Session* s) {
  const int32_t id = gpu_next(s);
  if (id >= 0 && s->gpu_held) s->held.push_back(id);  // run at its position, or past n_past (gpu_keep trims)
  return id;
}

int32_t gpu_next(Session* s) {
  if (!s->gpu) sotto::fail("sotto_gpu_next: not a WebGPU session");
  if (s->dsampler) return gpu_next_sampled(s);
  if (s->pipelined) {
    if (s->in_flight == 0 || s->ring[s->ring_head] < 0) {
      sotto::fail("sotto_gpu_next: no token pending (call sotto_gpu_start, await the read)");
    }
    if (s->n_given >= s->n_ctx) return -1;
    const int32_t id = s->ring[s->ring_head];
    s->ring_head ^= 1;
    s->in_flight--;
    s->n_given++;
    s->dispatches = 0;
    if (s->lm.tokenizer->is_eog(id)) {
      s->in_flight = 0;  // the step in flight is dropped (the host settles it before the next start)
      return id;
    }
    step_ahead(s);
    return id;
  }
  if (s->pending < 0) sotto::fail("sotto_gpu_next: no token pending (call sotto_gpu_start, await the read)");
  if (s->n_past >= s->n_ctx) return -1;
  const int32_t id = s->pending;
  s->pending = -1;
  s->dispatches = 0;
  if (s->lm.tokenizer->is_eog(id)) return id;
  finish_step(s, s->lm.model->forward_device(s->cache, &id, 1));
  s->n_past++;
  return id;
}

// ---- grammar (both backends) and sampling on the GPU (see the top of the file)

// kind 1: JSON Schema text, 2: GBNF text, 3: JSON Schema without whitespace between tokens, 0: no grammar. Compiled against the session's vocabulary; the
// same kind and text again keeps the compiled grammar (and its mask caches).
SOTTO_EXPORT void sotto_set_grammar(Session* s, const char* text, uint32_t len, int kind) {
  if (kind == 0) {
    s->grammar.reset();
    s->grammar_key.clear();
    return;
  }
  if (kind < 1 || kind > 3) {
    sotto::fail("sotto_set_grammar: kind must be 0 (none), 1 (JSON Schema), 2 (GBNF) or 3 (JSON Schema, compact)");
  }
  std::string key = std::to_string(kind) + ":" + std::string(text, len);
  if (s->grammar && key == s->grammar_key) return;
  const std::string src(text, len);
  sotto::grammar::Grammar g =
      kind == 2 ? sotto::grammar::parse_gbnf(src, "grammar")
                : sotto::grammar::compile_json_schema(src, "schema", sotto::grammar::SchemaOptions{kind == 3});
  s->grammar = std::make_shared<sotto::grammar::CompiledGrammar>(std::move(g),
                                                                 sotto::grammar::make_token_trie(*s->lm.tokenizer));
  s->grammar_key = std::move(key);
}

namespace {
// Records the GPU sampler on logits (mask, penalties, draw from s->dsampler) and the 4-byte read; submits.
void finish_sampled_step(Session* s, const sotto::Tensor& logits) {
  if (logits.empty()) sotto::fail("this model cannot run on the WebGPU path");
  const sotto::GpuSampleParams& p = s->dsampler->step(int32_t(logits.ne[0]));
  sotto::webgpu_sample(*s->lm.backend, logits, p, s->next_tok);
  s->pending = -1;
  s->lm.backend->read(s->next_tok, &s->pending, sizeof s->pending);
  s->lm.backend->sync();
  s->has_pending = true;
  s->dispatches = sotto::webgpu_take_dispatch_count(*s->lm.backend);
}
}  // namespace

// Resets the cache, prefills ids[0..n) and records the first sampled token (sotto_gpu_next returns it).
// Parameters as sotto_start; temp > 0 needs top_k in 1..256.
namespace sotto_wasm {
void gpu_start_sampled(Session* s, const int32_t* ids, int n, const sotto::SamplerParams& sp,
                       const std::vector<sotto::EmbdSpan>& spans) {
  if (!s->gpu) sotto::fail("sotto_gpu_start_sampled: not a WebGPU session");
  check_prompt(s, ids, n);
  s->dsampler = std::make_unique<sotto::DeviceSampler>(sp, s->grammar, s->lm.tokenizer.get(), std::move(s->next_link));
  s->pipelined = false;
  s->dsampler->observe_prompt(ids, n);
  s->queued.clear();
  s->has_pending = false;
  const int keep = gpu_keep(s, ids, n, spans);
  const sotto::Tensor logits = gpu_prefill(s, ids + keep, n - keep, spans);
  gpu_hold(s, ids, n, spans);
  finish_sampled_step(s, logits);
}
}  // namespace sotto_wasm

SOTTO_EXPORT void sotto_gpu_start_sampled(Session* s, const int32_t* ids, int n, float temp, int top_k, float top_p,
                                          float min_p, float repeat_penalty, uint32_t seed_lo, uint32_t seed_hi) {
  sotto_wasm::gpu_start_sampled(
      s, ids, n, sotto_wasm::sampler_params(temp, top_k, top_p, min_p, repeat_penalty, seed_lo, seed_hi), {});
}

int32_t gpu_next_sampled(Session* s) {
  if (!s->queued.empty()) {  // a forced token, already run with the previous one
    const int32_t f = s->queued.front();
    s->queued.pop_front();
    s->dispatches = 0;
    return f;
  }
  if (!s->has_pending) sotto::fail("sotto_gpu_next: no token pending (call sotto_gpu_start_sampled, await the read)");
  if (s->pending < 0) sotto::fail("sotto_gpu_next: every token is masked out (the grammar cannot continue)");
  if (s->n_past >= s->n_ctx) return -1;
  const int32_t id = s->pending;
  s->has_pending = false;
  s->dispatches = 0;
  s->dsampler->accept(id);
  if (s->lm.tokenizer->is_eog(id)) return id;
  std::vector<int32_t> batch = {id};
  for (int32_t f : s->dsampler->forced_tokens()) {
    if (s->lm.tokenizer->is_eog(f) || s->n_past + int(batch.size()) >= s->n_ctx) break;
    s->dsampler->accept(f);
    batch.push_back(f);
    s->queued.push_back(f);
  }
  const sotto::Tensor logits = s->lm.model->forward_device(s->cache, batch.data(), int(batch.size()));
  s->n_past += int(batch.size());
  finish_sampled_step(s, logits);
  return id;
}

// Seconds the grammar mask took on the host (matcher + packing) since sotto_gpu_start_sampled, and steps.
SOTTO_EXPORT double sotto_gpu_mask_seconds(Session* s) { return s->dsampler ? s->dsampler->mask_seconds() : 0.0; }
SOTTO_EXPORT int sotto_gpu_sampled_steps(Session* s) { return s->dsampler ? s->dsampler->n_steps() : 0; }

SOTTO_EXPORT uint32_t sotto_gpu_dispatches(Session* s) { return s->dispatches; }
// Prompt tokens per WebGPU forward pass (default 512; 1..8192); returns the value in effect.
SOTTO_EXPORT int sotto_gpu_prefill_chunk(Session* s, int n) {
  if (n >= 1 && n <= 8192) s->gpu_chunk = n;
  return s->gpu_chunk;
}
// Benchmarks: force the prefill matmul tile of every WebGPU backend (webgpu_force_matmul_tile; -1: by shape).
SOTTO_EXPORT int sotto_gpu_matmul_tile(int tile) { return sotto::webgpu_force_matmul_tile(tile); }
// Benchmarks and tests: blocks a stage of matmul-dp4a.wgsl's K loop (1..4; below 1 asks); the previous value.
SOTTO_EXPORT int sotto_gpu_dp4a_kb(int kb) { return sotto::webgpu_dp4a_kb(kb); }
// Benchmarks: decode attention on attention-decode.wgsl (1) or attention-split.wgsl (0); -1 asks. The previous value.
SOTTO_EXPORT int sotto_gpu_attention_decode(int on) { return sotto::webgpu_attention_decode(on) ? 1 : 0; }
// Benchmarks: submit at a layer boundary once n dispatches wait (0: one submit a step); -1 asks. The previous value.
SOTTO_EXPORT int sotto_gpu_submit_every(int n) { return sotto::webgpu_submit_every(n); }
// Greedy pipelining of the session's next sotto_gpu_start (1 on, 0 off, -1 asks); the previous value. Off: each
// step is recorded after the token before it has been read back.
SOTTO_EXPORT int sotto_gpu_pipeline(Session* s, int on) {
  const int was = s->pipeline ? 1 : 0;
  if (on == 0 || on == 1) s->pipeline = on == 1;
  return was;
}
// Bytes of matmul weights read per decoded token (for the bandwidth floor of benchmarks).
SOTTO_EXPORT double sotto_weight_bytes(Session* s) { return double(s->lm.model->weight_bytes()); }

// CPU sessions, for tests: the logits of the last position run (n_vocab floats), and running a given token
// (teacher forcing) instead of a sampled one.
SOTTO_EXPORT const float* sotto_logits(Session* s) { return s->logits.data(); }
SOTTO_EXPORT void sotto_feed(Session* s, int32_t id) {
  if (s->gpu) sotto::fail("sotto_feed: this is a WebGPU session");
  if (s->logits.empty()) sotto::fail("sotto_feed: call sotto_start first");
  if (s->n_past >= s->n_ctx) sotto::fail("sotto_feed: the context is full");
  if (id < 0 || id >= s->lm.tokenizer->n_vocab()) sotto::fail("sotto_feed: token id ", std::to_string(id), " out of range");
  s->chain.accept(id);
  const bool in_step = s->held.size() == size_t(s->n_past);
  s->logits = s->lm.model->forward(s->cache, &id, 1);
  s->n_past++;
  if (in_step) s->held.push_back(id);
  else s->held.clear();
}

SOTTO_EXPORT int sotto_is_eog(Session* s, int32_t id) { return s->lm.tokenizer->is_eog(id) ? 1 : 0; }
SOTTO_EXPORT int sotto_is_special(Session* s, int32_t id) { return s->lm.tokenizer->is_special(id) ? 1 : 0; }

// Raw bytes of one token (may be part of a UTF-8 sequence: the host decodes in streaming mode).
SOTTO_EXPORT const char* sotto_piece(Session* s, int32_t id) {
  if (id < 0 || id >= s->lm.tokenizer->n_vocab()) sotto::fail("sotto_piece: token id ", std::to_string(id), " out of range");
  s->out = s->lm.tokenizer->token_to_piece(id);
  return s->out.data();
}
SOTTO_EXPORT const char* sotto_detokenize(Session* s, const int32_t* ids, int n) {
  s->out = s->lm.tokenizer->decode(std::vector<int32_t>(ids, ids + n));
  return s->out.data();
}
SOTTO_EXPORT uint32_t sotto_out_len(Session* s) { return uint32_t(s->out.size()); }

// ---- the C++ exception entry points that code compiled with -fwasm-exceptions references (the two
// library files with a try block, and libc++ header code inlined there). Nothing in the library throws
// in this build (fail() traps above), so reaching one of these means a libc++ error (e.g. bad_alloc):
// it is reported the same way, as a trap with a message.
extern "C" {
void* __cxa_allocate_exception(size_t) { sotto_wasm_fail("C++ exception thrown (unsupported in the wasm build)"); }
void __cxa_free_exception(void*) { sotto_wasm_fail("C++ exception freed (unsupported in the wasm build)"); }
void __cxa_throw(void*, void*, void (*)(void*)) {
  sotto_wasm_fail("C++ exception thrown (unsupported in the wasm build)");
}
void* __cxa_begin_catch(void*) { sotto_wasm_fail("C++ exception caught (unsupported in the wasm build)"); }
void __cxa_end_catch() { sotto_wasm_fail("C++ exception caught (unsupported in the wasm build)"); }
}
