// asr-abi.cpp — the speech-to-text C ABI of the wasm build, for its JS wrapper (wasm/asr.mjs).
// A session owns one speech model (Moonshine or Whisper GGUF bytes the host copied into a buffer from
// sotto_buffer_new), its tokenizer, a resampler from the host's sample rate to 16 kHz and a Transcriber
// (runtime/transcribe.h) in its deferred mode, so the host can wait for the GPU between decode steps:
//   sotto_asr_feed(s, pcm, n)   mono f32 samples at the session's rate: resampled, VAD; closed phrases queued
//   sotto_asr_finish(s)         end of the stream: flushes the resampler and closes the open phrase
//   sotto_asr_step(s)           one decode step of the queued phrases; 1 while work remains (a WebGPU host
//                               settles its deferred read before calling again), 0 when idle
//   sotto_asr_take(s)           the phrases completed since the last take, as a JSON array of
//                               {"start", "end" (seconds from the stream start, 16 kHz), "text", "tokens" (count),
//                               "ids" (the token ids),
//                               "encode_ms", "decode_ms", "latency_ms", "words", "flags"} (words with their
//                               confidence, the guards' flags: runtime/speech-confidence.h, as `sotto
//                               transcribe --json` prints them); length from sotto_asr_out_len
//   sotto_asr_reset(s)          a new stream on the same model
//   sotto_asr_partial(s, every_ms)  while a phrase is open and idle: what it says so far (Transcriber::partial, as
//                               `sotto listen --partial EVERY_MS` prints it: at most once every every_ms of audio fed),
//                               {"start", "end", "text"}; "null" when there is none now (also on WebGPU, whose
//                               decode steps need the host between them)
//   sotto_asr_bias(s, gbnf, len, source)  biased decoding (`sotto listen --bias`): each closed phrase is decoded a
//                               second time constrained to this grammar (a command set's, wasm/commands-abi.cpp
//                               sotto_cmd_grammar), compiled over the session's vocabulary; len 0 turns it off. Kept
//                               by sotto_asr_reset. Each phrase of sotto_asr_take then has "biased": {"text",
//                               "complete", "logprob", "n_scored", "ms"} beside its own "logprob" and "n_scored"
//                               (sums of log-probs, eos included, for voice::choose: sotto_cmd_choose). CPU only.
//   sotto_asr_endpoint(s, pause_ms, eos_min, set, len, source, margin, decode_ms)  early end of speech (`sotto listen
//                               --endpoint pause_ms --endpoint-decode decode_ms --eos-min eos_min`, runtime/transcribe.h
//                               EndpointOptions; decode_ms 0: decode at pause_ms): a phrase paused
//                               for pause_ms ends there when its text is a command of this set (JSON text, checked
//                               as the CLI checks it; with bias on, voice::choose's action with margin), or its eos
//                               is likely enough; pause_ms 0: off. Starts a new stream; kept by sotto_asr_reset. CPU
//                               only. Every phrase of sotto_asr_take has "speech_end" (s), "wait_ms" (audio from the
//                               end of speech to the close, the call's chunk included), "decoded_ms" (to the decode
//                               of its text: the close, or the pause check's) and "endpoint" (why it closed).
// The transcript is the one `sotto transcribe` prints for the same samples: the same Transcriber, and the
// streaming resampler is bit-identical to the one-shot resample() of the CLI.
// backend: binding_limit 0 = the wasm CPU backend; otherwise the WebGPU backend with that
// maxStorageBufferBindingSize (the host set up the device, wasm/gpu-host.mjs).
// Also sotto_wav_*: a WAV file (any format audio/wav.h reads) decoded and downmixed to mono.
// Errors: sotto::fail() traps with its one-line message (sotto_last_error, wasm/sotto-abi.cpp).
// Threads: n_threads of sotto_asr_create sizes the CPU backend's pool (see sotto-abi.cpp).
// Does not: own the model bytes' lifetime beyond the session (it takes the buffer).
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "audio/resample.h"
#include "audio/wav.h"
#include "backend/webgpu/webgpu-backend.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "models/asr-model.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"
#include "voice/command-grammar.h"
#include "voice/commands.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

struct AsrSession {
  std::unique_ptr<sotto::GgufFile> file;
  std::unique_ptr<sotto::ThreadPool> pool;
  std::unique_ptr<sotto::Backend> backend;
  std::unique_ptr<sotto::AsrModel> model;
  std::unique_ptr<sotto::Tokenizer> tok;
  std::unique_ptr<sotto::Transcriber> tr;
  std::unique_ptr<sotto::audio::Resampler> rs;  // null when the host's rate is 16 kHz
  std::shared_ptr<sotto::grammar::CompiledGrammar> bias;  // sotto_asr_bias's grammar, or null
  int endpoint_ms = 0;                                    // sotto_asr_endpoint's
  int endpoint_decode_ms = 0;
  float eos_min = 2.0f;
  double margin = 0.5;
  std::unique_ptr<sotto::voice::CommandSet> commands;
  std::vector<sotto::TranscriptSegment> done;
  std::vector<float> pcm16k;
  std::string out;
  int64_t last_partial = 0;  // samples fed (16 kHz) at the last partial
  int rate = 16000;
  bool finished = false;
  bool gpu = false;
};

void new_stream(AsrSession* s) {
  sotto::TranscribeOptions opt;
  opt.bias = s->bias;
  opt.endpoint.pause_ms = s->endpoint_ms;
  opt.endpoint.decode_ms = s->endpoint_decode_ms;
  opt.endpoint.eos_min = s->eos_min;
  if (s->commands) {
    opt.endpoint.complete = [s](const sotto::TranscriptSegment& g) {  // the phrase so far is a command (as take's host decides)
      namespace v = sotto::voice;
      const v::Hypothesis free{g.text, !g.hit_token_cap, v::mean_logprob(g.logprob, g.n_scored)};
      const v::Hypothesis b{g.biased.text, g.biased.complete, v::mean_logprob(g.biased.logprob, g.biased.n_scored)};
      const v::Choice c = v::choose(*s->commands, free, g.biased.ran ? &b : nullptr, s->margin);
      return c.match.command >= 0 && !v::may_continue(*s->commands, c.text);  // not the start of a longer command
    };
  }
  s->tr = std::make_unique<sotto::Transcriber>(*s->model, *s->tok, opt);
  const int model_rate = s->model->config().sample_rate;
  s->rs = s->rate == model_rate ? nullptr : std::make_unique<sotto::audio::Resampler>(s->rate, model_rate);
  s->done.clear();
  s->finished = false;
  s->last_partial = 0;
}

std::string ids_json(const std::vector<int32_t>& ids) {
  std::string o = "[";
  for (size_t i = 0; i < ids.size(); i++) o += (i ? "," : "") + std::to_string(ids[i]);
  return o + "]";
}

std::string ms(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", v);
  return b;
}

std::string exact(double v) {  // round-trips through a JSON parser
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// The sums a host needs for voice::choose (its own and, with bias, the constrained decode's).
std::string scores_json(const sotto::TranscriptSegment& g) {
  std::string o = ", \"logprob\": " + exact(g.logprob) + ", \"n_scored\": " + std::to_string(g.n_scored);
  if (g.biased.ran) {
    o += ", \"biased\": {\"text\": " + sotto::json::quote(g.biased.text) + ", \"complete\": " +
         (g.biased.complete ? "true" : "false") + ", \"logprob\": " + exact(g.biased.logprob) + ", \"n_scored\": " +
         std::to_string(g.biased.n_scored) + ", \"ms\": " + ms(g.biased.ms) + "}";
  }
  return o;
}

}  // namespace

// Takes ownership of `gguf` (a buffer from sotto_buffer_new). sample_rate: the rate of the samples the host
// will feed (resampled to the model's 16 kHz). binding_limit: 0 = CPU, else WebGPU (see the top).
SOTTO_EXPORT AsrSession* sotto_asr_create(std::vector<uint8_t>* gguf, const char* name, int sample_rate,
                                          uint32_t binding_limit, int n_threads) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  if (sample_rate < 1000 || sample_rate > 768000) {
    sotto::fail("sotto_asr_create: sample rate ", std::to_string(sample_rate), " Hz out of range (1000..768000)");
  }
  auto s = std::make_unique<AsrSession>();
  s->rate = sample_rate;
  s->file = sotto::GgufFile::from_memory(std::move(*bytes), name);
  s->gpu = binding_limit > 0;
  s->pool = std::make_unique<sotto::ThreadPool>(s->gpu ? 1 : std::max(1, n_threads));
  s->backend = s->gpu ? sotto::make_webgpu_backend(binding_limit) : sotto::make_cpu_backend(*s->pool, /*own_weights=*/true);
  s->model = sotto::AsrModel::load(*s->file, *s->backend);
  s->tok = sotto::Tokenizer::from_gguf(*s->file);
  new_stream(s.get());
  s->backend->sync();
  return s.release();
}

SOTTO_EXPORT void sotto_asr_free(AsrSession* s) { delete s; }

SOTTO_EXPORT void sotto_asr_reset(AsrSession* s) { new_stream(s); }

SOTTO_EXPORT void sotto_asr_endpoint(AsrSession* s, int pause_ms, float eos_min, const char* set, uint32_t len,
                                     const char* source, double margin, int decode_ms) {
  if (pause_ms > 0 && s->gpu) sotto::fail("sotto_asr_endpoint: early end of speech runs on the wasm CPU, not on WebGPU");
  if (pause_ms != 0 && (pause_ms < 50 || pause_ms > 390)) {
    sotto::fail("sotto_asr_endpoint: the pause must be 0 (off) or in 50..390 ms, not ", std::to_string(pause_ms));
  }
  if (decode_ms != 0 && (pause_ms == 0 || decode_ms < 50 || decode_ms > pause_ms)) {
    sotto::fail("sotto_asr_endpoint: the decode's pause must be 0 or in 50..", std::to_string(pause_ms), " ms, not ",
                std::to_string(decode_ms));
  }
  auto commands = len > 0 ? std::make_unique<sotto::voice::CommandSet>(sotto::voice::CommandSet::parse(std::string(set, len), source))
                          : nullptr;
  s->endpoint_ms = pause_ms;
  s->endpoint_decode_ms = decode_ms;
  s->eos_min = eos_min;
  s->margin = margin;
  s->commands = std::move(commands);
  new_stream(s);
}

SOTTO_EXPORT void sotto_asr_bias(AsrSession* s, const char* gbnf, uint32_t len, const char* source) {
  if (len == 0) {
    s->bias = nullptr;
  } else {
    if (s->gpu) sotto::fail("sotto_asr_bias: biased decoding runs on the wasm CPU, not on WebGPU");
    s->bias = std::make_shared<sotto::grammar::CompiledGrammar>(sotto::grammar::parse_gbnf(std::string_view(gbnf, len), source),
                                                                 sotto::grammar::make_token_trie(*s->tok));
  }
  s->tr->set_bias(s->bias);
}

// Queues n samples; returns the phrases waiting to be decoded (call sotto_asr_step while it returns 1).
SOTTO_EXPORT uint32_t sotto_asr_feed(AsrSession* s, const float* x, uint32_t n) {
  if (s->finished) sotto::fail("sotto_asr_feed: the stream has ended (sotto_asr_reset starts a new one)");
  if (s->rs) {
    s->pcm16k.clear();
    s->rs->process(x, n, s->pcm16k);
    s->tr->push(s->pcm16k.data(), s->pcm16k.size());
  } else {
    s->tr->push(x, n);
  }
  return uint32_t(s->tr->n_queued());
}

SOTTO_EXPORT uint32_t sotto_asr_finish(AsrSession* s) {
  if (s->finished) return uint32_t(s->tr->n_queued());
  if (s->rs) {
    s->pcm16k.clear();
    s->rs->flush(s->pcm16k);
    s->tr->push(s->pcm16k.data(), s->pcm16k.size());
  }
  s->tr->push_finish();
  s->finished = true;
  return uint32_t(s->tr->n_queued());
}

SOTTO_EXPORT int sotto_asr_step(AsrSession* s) { return s->tr->step(s->done) ? 1 : 0; }

SOTTO_EXPORT const char* sotto_asr_partial(AsrSession* s, int every_ms) {
  sotto::TranscriptSegment p;
  s->out = "null";
  if (s->gpu || s->finished || every_ms < 0 || s->tr->n_fed() - s->last_partial < int64_t(every_ms) * 16) return s->out.c_str();
  if (!s->tr->partial(p)) return s->out.c_str();
  s->last_partial = s->tr->n_fed();
  s->out = "{\"start\": " + sotto::seconds_text(p.start) + ", \"end\": " + sotto::seconds_text(p.end) + ", \"text\": " +
           sotto::json::quote(p.text) + "}";
  return s->out.c_str();
}

// Samples (16 kHz) fed so far.
SOTTO_EXPORT double sotto_asr_n_fed(AsrSession* s) { return double(s->tr->n_fed()); }

SOTTO_EXPORT const char* sotto_asr_take(AsrSession* s) {
  s->out = "[";
  for (size_t i = 0; i < s->done.size(); i++) {
    const sotto::TranscriptSegment& g = s->done[i];
    s->out += (i ? ", " : "");
    s->out += "{\"start\": " + sotto::seconds_text(g.start) + ", \"end\": " + sotto::seconds_text(g.end) + ", \"text\": " +
              sotto::json::quote(g.text) + ", \"tokens\": " + std::to_string(g.tokens.size()) + ", \"ids\": " + ids_json(g.tokens) +
              ", \"hit_token_cap\": " + (g.hit_token_cap ? "true" : "false") + ", \"encode_ms\": " + ms(g.encode_ms) +
              ", \"decode_ms\": " + ms(g.decode_ms) + ", \"latency_ms\": " + ms(g.latency_ms) + scores_json(g) + ", \"speech_end\": " + sotto::seconds_text(g.speech_end) +
              ", \"wait_ms\": " + ms(double(g.known_at - g.speech_end) / 16.0) + ", \"decoded_ms\": " +
              ms(double(g.decoded_at - g.speech_end) / 16.0) + ", \"endpoint\": " + sotto::json::quote(g.endpoint) + ", " + sotto::speech_confidence_json(g.words, g.flags) + "}";
  }
  s->out += "]";
  s->done.clear();
  return s->out.c_str();
}
SOTTO_EXPORT uint32_t sotto_asr_out_len(AsrSession* s) { return uint32_t(s->out.size()); }

// Model facts for the host: n_mels (0: raw audio, Moonshine) and the architecture name via sotto_asr_take's buffer.
SOTTO_EXPORT const char* sotto_asr_arch(AsrSession* s) {
  s->out = s->model->config().arch_name;
  return s->out.c_str();
}
SOTTO_EXPORT uint32_t sotto_asr_dispatches(AsrSession* s) {
  return s->gpu ? sotto::webgpu_take_dispatch_count(*s->backend) : 0;
}

// ---- WAV decoding (mono): sotto_wav_read takes a buffer from sotto_buffer_new (and frees it).
SOTTO_EXPORT sotto::audio::Wav* sotto_wav_read(std::vector<uint8_t>* bytes, const char* name) {
  std::unique_ptr<std::vector<uint8_t>> b(bytes);
  auto w = std::make_unique<sotto::audio::Wav>(sotto::audio::read_wav_memory(b->data(), b->size(), name, true));
  if (w->samples.empty()) sotto::fail(name, ": no audio samples");
  return w.release();
}
SOTTO_EXPORT const float* sotto_wav_samples(sotto::audio::Wav* w) { return w->samples.data(); }
SOTTO_EXPORT uint32_t sotto_wav_frames(sotto::audio::Wav* w) { return uint32_t(w->samples.size()); }
SOTTO_EXPORT int sotto_wav_rate(sotto::audio::Wav* w) { return w->sample_rate; }
SOTTO_EXPORT void sotto_wav_free(sotto::audio::Wav* w) { delete w; }
