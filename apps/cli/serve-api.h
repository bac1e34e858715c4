// serve-api.h — the OpenAI-compatible endpoints of `sotto serve --api`, on the one language model it loads:
//   GET  /v1/models, /v1/models/ID        the loaded model (its id: the file name without .gguf)
//   POST /v1/chat/completions             messages through the model's chat template (runtime/loaded-model.h:
//                                         encode_chat); stream: server-sent events, "data: {chunk}" lines ending
//                                         with "data: [DONE]"; response_format json_schema / json_object through
//                                         the JSON-Schema grammar (grammar/json-schema.h), as `generate --schema`;
//                                         tools: offered in a system turn, a call is JSON under the same grammar
//                                         (api-tools.h), returned as tool_calls (streamed: whole, in one delta)
//   POST /v1/completions                  a raw prompt, as `sotto generate` without --chat
//   POST /v1/audio/transcriptions         a WAV file (multipart/form-data, at most 25 MiB) through the speech model
//                                         (--asr-model), as `sotto transcribe`: json, text, verbose_json, srt, vtt
//   POST /v1/embeddings                   texts through a BERT-family embedding model (--embed-model), as `sotto
//                                         embed` (apps/rag/embedder.h): the file's pooling, L2-normalised; float or
//                                         base64
// Requests are served one at a time, in arrival order (a ticket lock: first come, first served), at most
// max_queue in the building (served or waiting; more get 429). The generation is `sotto generate`'s: make_chain
// (runtime/sampler.h), the grammar link first, generate() (runtime/generate.h); one KV cache, reused: a request
// whose tokens start with those the cache holds (the last request's prompt and reply: a chat's next turn) prefills
// only the rest (at least one token), the sampler chain observing the whole prompt as before, so the answer is a cold
// run's; before a request overwrites what the cache holds, it is saved as a snapshot (runtime/prompt-cache.h: an LRU
// within cache_ram bytes), so several interleaved conversations each reuse their own prefix (a snapshot sharing more
// than the live cache is copied back into it); usage.prompt_tokens_details.cached_tokens and timings.cache_n say how
// many were reused ("cache_prompt": false, as llama.cpp's server takes it, prefills all).
// Errors are OpenAI's shape, one line (api-request.h: error_json): 400 bad JSON or field (with "param"), too long a
// prompt (code context_length_exceeded), a schema the grammar compiler refuses; 401 a missing or wrong bearer token
// when an API key is set (code invalid_api_key); 404 an unknown model (code model_not_found) or endpoint; 405 a
// wrong method; 413 a body over max_body; 429 a full queue; 500 a failure while generating (in a stream: one
// "data: {"error": ...}" event, then [DONE]).
// Does not: listen or check Host/Origin (serve-site.cpp does, before any of this: the API is same-origin and
// loopback-only like the app), parallel tool calls, logprobs, audio formats other than WAV, translations, several
// language models.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "fifo-lock.h"
#include "http-server.h"
#include "models/asr-model.h"
#include "rag/embedder.h"
#include "runtime/loaded-model.h"
#include "runtime/prompt-cache.h"
#include "serve-site.h"

namespace sotto::grammar {
class TokenTrie;
class CompiledGrammar;
}

namespace sotto::cli {

struct ApiOptions {
  std::string model_path;
  std::string asr_model_path;   // "" = no /v1/audio/transcriptions
  std::string embed_model_path;  // "" = no /v1/embeddings
  size_t max_audio_body = 25 << 20;  // bytes of a transcription request (OpenAI's limit)
  int n_threads = 0;            // 0: all hardware threads
  int n_ctx = 0;                // 0: min(training context, 4096)
  std::string api_key;          // "" = no token needed
  size_t max_body = 1 << 20;    // bytes of a request body
  int max_queue = 4;            // requests served or waiting at once
  size_t cache_ram = size_t(256) << 20;  // bytes of saved KV snapshots (other conversations' prefixes); 0 = none
};

class ApiService : public ApiRoutes {
 public:
  explicit ApiService(const ApiOptions& opt);  // loads the model (throws Error naming the file)
  ~ApiService() override;
  const std::string& model_id() const { return id_; }
  int n_ctx() const { return n_ctx_; }
  size_t max_body(const std::string& path) const override;

  // Registers the /v1 handlers on `server` and sets its body limit; serve-site routes /v1/ here.
  void install(HttpServer& server) override;
  // For serve-site's pre-routing handler, before the body is read: false (and `res` set to 401) when an API key
  // is set and the request does not carry it as "Authorization: Bearer KEY".
  bool authorized(const httplib::Request& req, httplib::Response& res) const override;

 private:
  struct Job;
  void chat(const httplib::Request& req, httplib::Response& res, bool chat);
  void models(const httplib::Request& req, httplib::Response& res);
  void transcriptions(const httplib::Request& req, httplib::Response& res);
  void embeddings(const httplib::Request& req, httplib::Response& res);
  void run(Job& job, const std::function<bool(const std::string&)>& on_piece);

  ApiOptions opt_;
  std::string id_;
  int64_t created_ = 0;
  LoadedModel lm_;
  std::shared_ptr<const grammar::TokenTrie> trie_;  // built on the first schema, under lock_
  KvCache cache_;
  PromptCache prompt_cache_;  // what cache_ holds, and the saved prefixes of other conversations
  // The speech model (declared after lm_, whose pool its backend shares: destroyed first).
  std::string asr_id_;
  std::unique_ptr<GgufFile> asr_file_;
  std::unique_ptr<Backend> asr_backend_;
  std::unique_ptr<AsrModel> asr_;
  std::unique_ptr<Tokenizer> asr_tok_;
  // The embedding model, likewise.
  std::string embed_id_;
  std::unique_ptr<GgufFile> embed_file_;
  std::unique_ptr<Backend> embed_backend_;
  std::unique_ptr<rag::Embedder> embed_;  // apps/rag: tokens, batches and pooling as `sotto embed`
  int n_ctx_ = 0;
  FifoLock lock_;
  // Compiled grammars of recent schemas (text -> grammar with its mask caches), most recent first; used and
  // changed only while holding the model (lock_): CompiledGrammar is not thread-safe.
  std::vector<std::pair<std::string, std::shared_ptr<grammar::CompiledGrammar>>> grammars_;
  uint64_t n_requests_ = 0;
};

}  // namespace sotto::cli
