// serve-api.cpp — see serve-api.h.
#include "serve-api.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <random>

#include "api-request.h"
#include "api-tools.h"
#include "audio/resample.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/json.h"
#include "serve-site.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/generate.h"
#include "runtime/grammar-sampler.h"
#include "runtime/sampler.h"
#include "runtime/transcribe.h"

namespace sotto::cli {

namespace {

using json::Value;

const char* finish_reason(StopReason r) {
  return r == StopReason::MaxTokens || r == StopReason::ContextFull ? "length" : "stop";
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char d = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); i++) d |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return d == 0 && !b.empty();
}

void send_json(httplib::Response& res, const Value& v) {
  res.status = 200;
  res.set_content(json::dump(v), "application/json");
}

// The body of each handler: ApiError and sotto::Error become OpenAI errors, never a crash or an unanswered request.
template <typename F>
void guarded(httplib::Response& res, F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    api_refuse(res, e.status, e.what(), e.param, e.code, e.type);
  } catch (const Error& e) {
    api_refuse(res, 500, e.what(), "", "", "server_error");
  } catch (const std::bad_alloc&) {
    api_refuse(res, 500, "out of memory", "", "", "server_error");
  }
}

void wrong_method(httplib::Response& res, const char* allow) {
  res.set_header("Allow", allow);
  api_refuse(res, 405, std::string("this endpoint takes ") + allow + " only");
}

}  // namespace

// One request on its way: what was asked, its prompt, its grammar, and what came of it.
struct ApiService::Job {
  ApiRequest req;
  std::vector<int32_t> tokens;
  std::optional<grammar::Grammar> constraint;  // the schema's grammar (r.schema: its key among grammars_)
  std::shared_ptr<grammar::CompiledGrammar> grammar;  // set by run(), under the model
  std::string id;
  int64_t created = 0;
  GenerateResult result;
  int n_reused = 0;           // prompt tokens whose K/V the cache held already (not prefilled)
  bool streamed = false;      // the stream's provider ran
  std::vector<ApiTool> tools;  // the functions it may call (empty: no tools)
  bool trigger = false;       // tool_choice auto: the call grammar only once the answer opens with '{'
};

ApiService::ApiService(const ApiOptions& opt) : opt_(opt) {
  namespace fs = std::filesystem;
  id_ = fs::path(opt.model_path).filename().string();
  if (id_.size() > 5 && id_.ends_with(".gguf")) id_.resize(id_.size() - 5);
  std::error_code ec;
  const auto mtime = fs::last_write_time(opt.model_path, ec);
  created_ = ec ? 0 : std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::file_clock::to_sys(mtime).time_since_epoch()).count();
  lm_ = load_model(opt.model_path, opt.n_threads, true);
  const ModelConfig& cfg = lm_.model->config();
  n_ctx_ = opt.n_ctx > 0 ? opt.n_ctx : cfg.n_ctx_train > 0 ? std::min(cfg.n_ctx_train, 4096) : 4096;
  cache_ = lm_.model->new_cache(n_ctx_);
  prompt_cache_ = PromptCache(opt.cache_ram);
  if (!opt.asr_model_path.empty()) {
    asr_id_ = fs::path(opt.asr_model_path).filename().string();
    if (asr_id_.size() > 5 && asr_id_.ends_with(".gguf")) asr_id_.resize(asr_id_.size() - 5);
    asr_file_ = GgufFile::open(opt.asr_model_path);
    asr_backend_ = make_cpu_backend(*lm_.pool);
    asr_ = AsrModel::load(*asr_file_, *asr_backend_);
    asr_tok_ = Tokenizer::from_gguf(*asr_file_);
  }
  if (!opt.embed_model_path.empty()) {
    embed_id_ = fs::path(opt.embed_model_path).filename().string();
    if (embed_id_.size() > 5 && embed_id_.ends_with(".gguf")) embed_id_.resize(embed_id_.size() - 5);
    embed_file_ = GgufFile::open(opt.embed_model_path);
    embed_backend_ = make_cpu_backend(*lm_.pool);
    embed_ = std::make_unique<rag::Embedder>(*embed_file_, *embed_backend_);
  }
}

size_t ApiService::max_body(const std::string& path) const {
  return path == "/v1/audio/transcriptions" ? opt_.max_audio_body : opt_.max_body;
}

ApiService::~ApiService() = default;

bool ApiService::authorized(const httplib::Request& req, httplib::Response& res) const {
  if (opt_.api_key.empty()) return true;
  const std::string h = req.get_header_value("Authorization");
  if (req.get_header_value_count("Authorization") == 1 && h.starts_with("Bearer ") &&
      constant_time_equal(h.substr(7), opt_.api_key)) {
    return true;
  }
  api_refuse(res, 401, h.empty() ? "no API key: send it as 'Authorization: Bearer KEY'" : "incorrect API key", "",
             "invalid_api_key");
  return false;
}

void ApiService::install(HttpServer& server) {
  server.set_payload_max_length(std::max(opt_.max_body, opt_.max_audio_body));  // per path: allow_body()
  server.Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) { models(req, res); });
  server.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) { models(req, res); });
  server.Post("/v1/chat/completions",
              [this](const httplib::Request& req, httplib::Response& res) { chat(req, res, true); });
  server.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) { chat(req, res, false); });
  for (const char* p : {"/v1/models", R"(/v1/models/(.+))"}) {
    server.Post(p, [](const httplib::Request&, httplib::Response& res) { wrong_method(res, "GET"); });
  }
  server.Post("/v1/audio/transcriptions",
              [this](const httplib::Request& req, httplib::Response& res) { transcriptions(req, res); });
  server.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) { embeddings(req, res); });
  for (const char* p : {"/v1/chat/completions", "/v1/completions", "/v1/audio/transcriptions", "/v1/embeddings"}) {
    server.Get(p, [](const httplib::Request&, httplib::Response& res) { wrong_method(res, "POST"); });
  }
}

void ApiService::models(const httplib::Request& req, httplib::Response& res) {
  guarded(res, [&] {
    auto model = [this](const std::string& id) {
      Value m = Value::object();
      m.set("id", id);
      m.set("object", "model");
      m.set("created", created_);
      m.set("owned_by", "sotto");
      return m;
    };
    if (req.matches.size() > 1) {
      const std::string want = req.matches[1];
      if (want != id_ && (want != asr_id_ || !asr_) && (want != embed_id_ || !embed_)) {
        throw ApiError(404, "The model '" + want + "' does not exist", "model", "model_not_found");
      }
      return send_json(res, model(want));
    }
    Value list = Value::object();
    list.set("object", "list");
    Value data = Value::array();
    data.push_back(model(id_));
    if (asr_) data.push_back(model(asr_id_));
    if (embed_) data.push_back(model(embed_id_));
    list.set("data", std::move(data));
    send_json(res, list);
  });
}

void ApiService::run(Job& job, const std::function<bool(const std::string&)>& on_piece) {
  SamplerChain chain = make_chain(job.req.sampling);
  if (job.constraint) {  // a schema seen lately keeps its compiled grammar, whose masks are then mostly cached
    auto it = std::find_if(grammars_.begin(), grammars_.end(), [&](const auto& e) { return e.first == job.req.schema; });
    if (it == grammars_.end()) {
      if (!trie_) trie_ = grammar::make_token_trie(*lm_.tokenizer);
      grammars_.insert(grammars_.begin(), {job.req.schema, std::make_shared<grammar::CompiledGrammar>(
                                                              std::move(*job.constraint), trie_)});
      if (grammars_.size() > 4) grammars_.pop_back();
    } else {
      std::rotate(grammars_.begin(), it, it + 1);
    }
    job.grammar = grammars_.front().second;
    job.constraint.reset();
  }
  if (job.grammar && job.trigger) {
    chain.add_front(std::make_unique<TriggeredGrammarSampler>(job.grammar, *lm_.tokenizer));
  } else if (job.grammar) {
    chain.add_front(make_grammar_sampler(job.grammar, lm_.tokenizer.get()));
  }
  GenerateParams gp;
  gp.max_tokens = job.req.max_tokens;
  gp.stop = job.req.stop;
  // The longest prefix this prompt shares with the cache or a saved snapshot is kept (at least the last prompt token
  // is run: its logits give the first answer token); the chain still observes the whole prompt, first the kept part.
  const size_t keep = prompt_cache_.prepare(*lm_.backend, cache_, job.tokens, job.req.cache_prompt);
  job.n_reused = int(keep);
  chain.observe_prompt(job.tokens.data(), int(keep));
  const std::vector<int32_t> rest(job.tokens.begin() + std::ptrdiff_t(keep), job.tokens.end());
  job.result = generate(*lm_.model, cache_, *lm_.tokenizer, chain, rest, gp,
                        [&](std::string_view piece) { return on_piece(std::string(piece)); });
  // The cache now holds the prompt and the answer's tokens that were run (all but the last sampled).
  const size_t n_answer = size_t(cache_.n_past) - std::min(size_t(cache_.n_past), job.tokens.size());
  if (size_t(cache_.n_past) >= job.tokens.size() && n_answer <= job.result.tokens.size()) {
    std::vector<int32_t> held = job.tokens;
    held.insert(held.end(), job.result.tokens.begin(), job.result.tokens.begin() + std::ptrdiff_t(n_answer));
    prompt_cache_.hold(std::move(held));
  }
}

void ApiService::chat(const httplib::Request& http, httplib::Response& res, bool is_chat) {
  guarded(res, [&] {
    auto job = std::make_shared<Job>();
    job->req = is_chat ? parse_chat_request(http.body) : parse_completion_request(http.body);
    ApiRequest& r = job->req;
    if (!r.model.empty() && r.model != id_) {
      throw ApiError(404, "The model '" + r.model + "' does not exist (this server runs '" + id_ + "')", "model",
                     "model_not_found");
    }
    if (!r.seed_set) r.sampling.seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
    try {
      (void)make_chain(r.sampling);  // out-of-range values, before any work
    } catch (const Error& e) {
      throw ApiError(400, e.what());
    }
    job->tools = callable_tools(r);
    if (!job->tools.empty()) {  // offered in a system turn; a call is JSON under call_schema()
      for (size_t i = 0; i < r.tools.size(); i++) {
        const std::string param = "tools[" + std::to_string(i) + "].function.parameters";
        try {
          (void)grammar::compile_json_schema(r.tools[i].parameters, param);
        } catch (const Error& e) {
          throw ApiError(400, e.what(), param);
        }
      }
      offer_tools(r.messages, job->tools, r.tool_choice != "auto");
      r.schema = call_schema(job->tools);
      job->trigger = r.tool_choice == "auto";
    }
    try {
      job->tokens = is_chat ? encode_chat(*lm_.tokenizer, r.messages) : encode_prompt(*lm_.tokenizer, r.prompt, false);
    } catch (const Error& e) {
      throw ApiError(400, e.what(), is_chat ? "messages" : "prompt");
    }
    if (job->tokens.size() >= size_t(n_ctx_)) {
      throw ApiError(400, "This model's context is " + std::to_string(n_ctx_) + " tokens; the prompt has " +
                              std::to_string(job->tokens.size()) + " (room is needed for at least one more)",
                     is_chat ? "messages" : "prompt", "context_length_exceeded");
    }
    if (!r.schema.empty()) {
      grammar::Grammar g;
      try {
        g = grammar::compile_json_schema(r.schema, job->tools.empty() ? "response_format.json_schema.schema" : "tools");
      } catch (const Error& e) {
        throw ApiError(400, e.what(), job->tools.empty() ? "response_format.json_schema.schema" : "tools");
      }
      job->constraint = std::move(g);
    }
    if (!lock_.try_lock(opt_.max_queue)) {
      throw ApiError(429, "the server is busy: " + std::to_string(opt_.max_queue) +
                              " requests are being served or waiting; try again", "", "", "rate_limit_error");
    }
    // Holds the model from here until the response is written (for a stream, until its provider is done).
    auto turn = std::shared_ptr<void>(nullptr, [this](void*) { lock_.unlock(); });
    job->created = int64_t(std::time(nullptr));
    job->id = std::string(is_chat ? "chatcmpl-" : "cmpl-") + std::to_string(++n_requests_) + "-" +
              std::to_string(job->created);
    const char* object = is_chat ? (r.stream ? "chat.completion.chunk" : "chat.completion")
                                 : "text_completion";
    auto envelope = [this, job, object] {
      Value v = Value::object();
      v.set("id", job->id);
      v.set("object", object);
      v.set("created", job->created);
      v.set("model", id_);
      v.set("system_fingerprint", "sotto-" SOTTO_VERSION);
      return v;
    };
    auto usage = [job] {
      const GenerateStats& st = job->result.stats;
      const int completion = st.n_generated - (st.stop == StopReason::Eog ? 1 : 0);
      Value u = Value::object();
      u.set("prompt_tokens", int64_t(job->tokens.size()));
      u.set("completion_tokens", completion);
      u.set("total_tokens", int64_t(job->tokens.size()) + completion);
      Value details = Value::object();
      details.set("cached_tokens", job->n_reused);
      u.set("prompt_tokens_details", std::move(details));
      return u;
    };
    // llama.cpp's server's "timings": prompt tokens reused from the cache and prefilled, answer tokens, times.
    auto timings = [job] {
      const GenerateStats& st = job->result.stats;
      Value t = Value::object();
      t.set("cache_n", job->n_reused);
      t.set("prompt_n", st.n_prompt);
      t.set("prompt_ms", st.prefill_s * 1e3);
      t.set("predicted_n", st.n_generated);
      t.set("predicted_ms", st.decode_s * 1e3);
      return t;
    };
    // One choice: a chat message or delta, or a completion's text; finish: null or a reason.
    auto choice = [is_chat, stream = r.stream, job](const std::string& text, const char* finish, bool role,
                                                    const ToolCall* call = nullptr) {
      Value c = Value::object();
      c.set("index", 0);
      if (is_chat) {
        Value m = Value::object();
        if (role) m.set("role", "assistant");
        if (call) {
          Value f = Value::object();
          f.set("name", call->name);
          f.set("arguments", valid_utf8(call->arguments));
          Value tc = Value::object();
          if (stream) tc.set("index", 0);
          tc.set("id", "call_" + job->id);
          tc.set("type", "function");
          tc.set("function", std::move(f));
          Value calls = Value::array();
          calls.push_back(std::move(tc));
          if (!stream) m.set("content", Value());
          m.set("tool_calls", std::move(calls));
        } else if (!stream || !text.empty() || role) {
          m.set("content", valid_utf8(text));
        }
        c.set(stream ? "delta" : "message", std::move(m));
      } else {
        c.set("text", valid_utf8(text));
      }
      c.set("logprobs", Value());
      c.set("finish_reason", finish ? Value(finish) : Value());
      return c;
    };

    if (!r.stream) {
      try {
        run(*job, [](const std::string&) { return !HttpServer::client_gone(); });  // a client that left: stop
      } catch (const Error& e) {
        throw ApiError(500, std::string("generation failed: ") + e.what(), "", "", "server_error");
      }
      Value v = envelope();
      Value choices = Value::array();
      const auto call = job->tools.empty() ? std::nullopt : read_call(job->result.text, job->tools);
      choices.push_back(call ? choice("", "tool_calls", true, &*call)
                             : choice(job->result.text, finish_reason(job->result.stats.stop), is_chat));
      v.set("choices", std::move(choices));
      v.set("usage", usage());
      v.set("timings", timings());
      return send_json(res, v);
    }

    res.status = 200;
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [this, job, turn, envelope, usage, timings, choice, is_chat](
                                                              size_t, httplib::DataSink& sink) {
      auto event = [&sink](const Value& v) {
        const std::string line = "data: " + json::dump(v) + "\n\n";
        return sink.write(line.data(), line.size());
      };
      auto chunk = [&](const std::string& text, const char* finish, bool role, const ToolCall* call = nullptr) {
        Value v = envelope();
        Value choices = Value::array();
        choices.push_back(choice(text, finish, role, call));
        v.set("choices", std::move(choices));
        return event(v);
      };
      if (job->streamed) return false;  // called again after the end: nothing more to send
      job->streamed = true;
      bool open = !is_chat || chunk("", nullptr, true);  // the chat stream opens with the assistant's role
      try {
        // With tools the answer is prose (streamed as it comes) or a call (held, sent whole at the end); leading
        // whitespace waits for the first character that tells which.
        enum { undecided, call, prose } mode = job->tools.empty() ? prose : undecided;
        std::string held;
        if (open) {
          run(*job, [&](const std::string& piece) {
            if (mode == prose) return open = chunk(piece, nullptr, false);
            held += piece;
            const size_t first = held.find_first_not_of(" \t\r\n");
            if (mode == undecided && first != std::string::npos) mode = held[first] == '{' ? call : prose;
            if (mode != prose) return true;
            open = chunk(held, nullptr, false);
            held.clear();
            return open;
          });
        }
        const auto tool_call = mode == prose ? std::nullopt : read_call(held, job->tools);
        if (open && tool_call) {
          open = chunk("", nullptr, false, &*tool_call) && chunk("", "tool_calls", false);
        } else if (open) {
          if (!held.empty()) open = chunk(held, nullptr, false);  // a call cut short, or only whitespace
          if (open) open = chunk("", finish_reason(job->result.stats.stop), false);
        }
        if (open && job->req.include_usage) {
          Value v = envelope();
          v.set("choices", Value::array());
          v.set("usage", usage());
          v.set("timings", timings());
          open = event(v);
        }
      } catch (const Error& e) {  // after the head was sent: one error event, then the end as usual
        if (open) open = event(json::parse(error_json(std::string("generation failed: ") + e.what(), "server_error")));
      }
      if (!open) return false;  // the client is gone: the library drops the connection
      static const char kDone[] = "data: [DONE]\n\n";
      if (!sink.write(kDone, sizeof kDone - 1)) return false;
      sink.done();
      return true;
    });
  });
}

namespace {

// "00:00:01,770" (SubRip) or "00:00:01.770" (WebVTT) for a time in samples at 16 kHz.
std::string cue_time(int64_t samples, char sep) {
  const int64_t ms = samples * 1000 / 16000;
  char b[32];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld%c%03lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                (long long)(ms / 1000 % 60), sep, (long long)(ms % 1000));
  return b;
}

// A form field's text, or "" when absent.
std::string form_value(const httplib::Request& req, const char* key) {
  return req.has_file(key) ? req.get_file_value(key).content : std::string();
}

}  // namespace

void ApiService::transcriptions(const httplib::Request& req, httplib::Response& res) {
  guarded(res, [&] {
    if (!asr_) throw ApiError(404, "no speech model is loaded (sotto serve --api --asr-model FILE)", "model", "model_not_found");
    if (!req.is_multipart_form_data()) {
      throw ApiError(400, "send multipart/form-data with the audio in a 'file' field", "file");
    }
    if (!req.has_file("file")) throw ApiError(400, "'file' is missing", "file");
    const std::string model = form_value(req, "model");
    if (!model.empty() && model != asr_id_) {
      throw ApiError(404, "The model '" + model + "' does not exist (this server transcribes with '" + asr_id_ + "')",
                     "model", "model_not_found");
    }
    std::string format = form_value(req, "response_format");
    if (format.empty()) format = "json";
    if (format != "json" && format != "text" && format != "verbose_json" && format != "srt" && format != "vtt") {
      throw ApiError(400, "'response_format' '" + valid_utf8(format) + "' is not one of json, text, verbose_json, srt, vtt",
                     "response_format");
    }
    const std::string language = form_value(req, "language");
    if (!language.empty() && language != "en") {
      throw ApiError(400, "'language' '" + valid_utf8(language) + "' is not supported (en only)", "language");
    }
    if (!form_value(req, "prompt").empty()) throw ApiError(400, "'prompt' is not supported yet", "prompt");
    if (const std::string st = form_value(req, "stream"); !st.empty() && st != "false") {
      throw ApiError(400, "'stream' is not supported for transcriptions yet", "stream");
    }
    const httplib::MultipartFormData file = req.get_file_value("file");
    audio::Wav wav;
    try {
      wav = audio::read_wav_memory(reinterpret_cast<const uint8_t*>(file.content.data()), file.content.size(),
                                   "file", true);
    } catch (const Error& e) {
      throw ApiError(400, valid_utf8(e.what()) + " (WAV only)", "file");
    }
    if (wav.samples.empty()) throw ApiError(400, "file: no audio samples", "file");
    std::vector<float> pcm = wav.sample_rate == 16000
                                 ? std::move(wav.samples)
                                 : audio::resample(wav.samples.data(), wav.samples.size(), wav.sample_rate, 16000);
    if (!lock_.try_lock(opt_.max_queue)) {
      throw ApiError(429, "the server is busy: " + std::to_string(opt_.max_queue) +
                              " requests are being served or waiting; try again", "", "", "rate_limit_error");
    }
    std::vector<TranscriptSegment> segs;
    try {
      Transcriber tr(*asr_, *asr_tok_, TranscribeOptions{});
      segs = tr.transcribe(pcm.data(), pcm.size());
    } catch (...) {
      lock_.unlock();
      throw;
    }
    lock_.unlock();
    std::string text;
    for (const auto& sg : segs) text += (text.empty() || sg.text.empty() ? "" : " ") + sg.text;
    res.status = 200;
    if (format == "text") return res.set_content(text + "\n", "text/plain; charset=utf-8");
    if (format == "srt" || format == "vtt") {
      std::string out = format == "vtt" ? "WEBVTT\n\n" : "";
      for (size_t i = 0; i < segs.size(); i++) {
        const char sep = format == "vtt" ? '.' : ',';
        if (format == "srt") out += std::to_string(i + 1) + "\n";
        out += cue_time(segs[i].start, sep) + " --> " + cue_time(segs[i].end, sep) + "\n" + segs[i].text + "\n\n";
      }
      return res.set_content(out, format == "vtt" ? "text/vtt; charset=utf-8" : "application/x-subrip; charset=utf-8");
    }
    Value v = Value::object();
    if (format == "verbose_json") {
      v.set("task", "transcribe");
      v.set("language", "english");
      v.set("duration", double(pcm.size()) / 16000.0);
    }
    v.set("text", text);
    if (format == "verbose_json") {
      Value list = Value::array();
      for (size_t i = 0; i < segs.size(); i++) {
        Value sg = Value::object();
        sg.set("id", int64_t(i));
        sg.set("start", segs[i].t_start());
        sg.set("end", segs[i].t_end());
        sg.set("text", segs[i].text);
        Value toks = Value::array();
        for (int32_t t : segs[i].tokens) toks.push_back(int64_t(t));
        sg.set("tokens", std::move(toks));
        sg.set("avg_logprob", segs[i].n_scored ? segs[i].logprob / segs[i].n_scored : 0.0);
        list.push_back(std::move(sg));
      }
      v.set("segments", std::move(list));
    }
    send_json(res, v);
  });
}

namespace {

// The shortest decimal that reads back as the same float, as a double: JSON then carries "0.1", not the float's
// exact binary value "0.10000000149011612", and a client that parses it and rounds to float32 gets the float back.
double short_float(float x) {
  char buf[32];
  for (int digits = 6; digits <= 9; digits++) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, double(x));
    if (std::strtof(buf, nullptr) == x) break;
  }
  return std::strtod(buf, nullptr);
}

}  // namespace

void ApiService::embeddings(const httplib::Request& req, httplib::Response& res) {
  guarded(res, [&] {
    if (!embed_) throw ApiError(404, "no embedding model is loaded (sotto serve --api --embed-model FILE)", "model", "model_not_found");
    const EmbeddingRequest r = parse_embedding_request(req.body);
    if (!r.model.empty() && r.model != embed_id_) {
      throw ApiError(404, "The model '" + r.model + "' does not exist (this server embeds with '" + embed_id_ + "')",
                     "model", "model_not_found");
    }
    const BertConfig& cfg = embed_->config();
    if (r.dimensions && r.dimensions != cfg.n_embd) {
      throw ApiError(400, "'dimensions' must be " + std::to_string(cfg.n_embd) + " (this model's; no truncation)", "dimensions");
    }
    // The token counts first (usage, and a refusal that names the input before any work): [CLS] pieces [SEP].
    int64_t n_tokens = 0;
    for (size_t i = 0; i < r.input.size(); i++) {
      const std::string param = r.input.size() == 1 ? "input" : "input[" + std::to_string(i) + "]";
      const size_t n = embed_->tokenizer().encode(r.input[i], /*add_bos=*/true, /*parse_special=*/false).size();
      if (n > size_t(cfg.n_ctx)) {
        throw ApiError(400, "input " + std::to_string(i) + " has " + std::to_string(n) + " tokens; this model's context is " +
                                std::to_string(cfg.n_ctx), param, "context_length_exceeded");
      }
      if (n <= 2) throw ApiError(400, "input " + std::to_string(i) + " has no tokens (only whitespace or control characters)", param);
      n_tokens += int64_t(n);
    }
    if (!lock_.try_lock(opt_.max_queue)) {
      throw ApiError(429, "the server is busy: " + std::to_string(opt_.max_queue) +
                              " requests are being served or waiting; try again", "", "", "rate_limit_error");
    }
    std::vector<float> all;
    try {
      all = embed_->embed(r.input, rag::EmbedOptions{});  // the model's pooling, L2-normalised, batched by tokens
    } catch (const Error& e) {
      lock_.unlock();
      throw ApiError(400, e.what(), "input");
    } catch (...) {
      lock_.unlock();
      throw;
    }
    lock_.unlock();
    Value data = Value::array();
    const size_t d = size_t(cfg.n_embd);
    for (size_t i = 0; i < r.input.size(); i++) {
      Value e = Value::object();
      e.set("object", "embedding");
      e.set("index", int64_t(i));
      if (r.base64) {
        e.set("embedding", base64(all.data() + i * d, d * sizeof(float)));  // float32, little-endian (x86, wasm)
      } else {
        Value v = Value::array();
        for (size_t k = 0; k < d; k++) v.push_back(short_float(all[i * d + k]));
        e.set("embedding", std::move(v));
      }
      data.push_back(std::move(e));
    }
    Value out = Value::object();
    out.set("object", "list");
    out.set("data", std::move(data));
    out.set("model", embed_id_);
    Value usage = Value::object();
    usage.set("prompt_tokens", n_tokens);
    usage.set("total_tokens", n_tokens);
    out.set("usage", std::move(usage));
    send_json(res, out);
  });
}

}  // namespace sotto::cli
