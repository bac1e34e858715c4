// cmd-listen.cpp — `sotto listen --commands SET.json`: the voice command loop. Speech (a WAV file fed in real-time
// sized chunks as a microphone would, or --stream raw s16le 16 kHz mono PCM on stdin) is cut into phrases and
// recognised (runtime/transcribe.h, the model of `sotto transcribe`); each phrase is mapped to one command of the set
// or to "not a command" (apps/voice/commands.h). --text reads utterances as lines of text on stdin instead (no speech
// model). Output: one JSON line per phrase, as it closes:
//   {"start": s, "end": s, "text": "...", "command": "name", "slots": {...}, "confirm": bool, "latency_ms": x}
//   {"start": s, "end": s, "text": "...", "command": null, "reason": "no command matches", "latency_ms": x}
// latency_ms: from the moment the end of the phrase is known (the VAD closed it) to the action, i.e. the phrase's
// recognition latency plus the matching. --partial MS adds, while a phrase is being spoken, a line of what it says so
// far at most every MS of audio: {"partial": true, "start": s, "end": s, "text": "..."} (never an action). Errors are one line (main.cpp); a command set that does not check is one.
// --bias decodes each phrase a second time constrained to the set's phrases (voice/command-grammar.h) and takes that
// text when the free one is no command and the constrained one scores within --bias-margin of it; the line then
// also has "decoded": "free" | "command", "heard" (the free text, when the command one was taken), "logprob_free",
// "logprob_command" (mean per token; null when the constrained decode found no complete phrase), "command_text"
// and "bias_ms" (the second decode's time, inside latency_ms).
// --endpoint MS ends a phrase after MS of silence instead of the VAD's 400 ms when the evidence says it is complete
// (runtime/transcribe.h EndpointOptions: the phrase so far is a command of the set and not the start of a longer one
// (voice::may_continue), or the decoder ended it with an
// eos of probability >= --eos-min after a sentence end); the line then also has "speech_end" (s), "endpoint" (why it
// closed: "complete", "eos", "silence", "finish"), "wait_ms" (audio from the end of speech to the close, the chunk
// it came in included), "decoded_ms" (audio from the end of speech to the decode of the final text: at the close,
// or earlier when a pause check decoded it), "eos_prob", "text_ms" (end of speech -> final text: wait_ms plus the recognition latency)
// and "action_ms" (end of speech -> action: wait_ms + latency_ms); --timings adds them without --endpoint.
// --endpoint-decode MS decodes the phrase so far earlier in the pause (speculatively: the text is ready when the
// pause reaches --endpoint MS). --trace-endpoint prints each pause check: {"check": true, "start", "end", "text", "eos_prob", "ended"}.
// Does not: act (the caller runs the action, and asks first where "confirm" is true).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "audio/resample.h"
#include "audio/wav.h"
#include "cli.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "voice/command-grammar.h"
#include "voice/commands.h"

namespace sotto::cli {
namespace {

std::string ms(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// The action's JSON with the phrase's fields in front: {"start", "end", "text", <action>, "latency_ms"}.
// The --timings fields (tail_of) end with the time from the end of speech to the action, known once matched.
struct Tail {
  std::string text;
  double wait_ms = -1;
  std::string with(double latency_ms) const {
    return wait_ms < 0 ? text : text + ", \"action_ms\": " + ms(wait_ms + latency_ms);
  }
};

void print_action(const voice::CommandSet& set, const std::string& head, const std::string& text, double latency_ms,
                  bool with_latency, const Tail& tail = {}) {
  const auto t0 = std::chrono::steady_clock::now();
  const voice::Match m = voice::match(set, text);
  const double match_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::string action = voice::match_fields(set, m);
  std::printf("{%s\"text\": %s, %s%s%s}\n", head.c_str(), json::quote(text).c_str(), action.c_str(),
              tail.with(latency_ms + match_ms).c_str(),
              with_latency ? (", \"latency_ms\": " + ms(latency_ms + match_ms)).c_str() : "");
  std::fflush(stdout);
}

voice::Hypothesis free_of(const TranscriptSegment& s) {
  return {s.text, !s.hit_token_cap, voice::mean_logprob(s.logprob, s.n_scored)};
}
voice::Hypothesis biased_of(const TranscriptSegment& s) {
  return {s.biased.text, s.biased.complete, voice::mean_logprob(s.biased.logprob, s.biased.n_scored)};
}

voice::Choice choice_of(const voice::CommandSet& set, const TranscriptSegment& s, double margin) {
  const voice::Hypothesis b = biased_of(s);
  return voice::choose(set, free_of(s), s.biased.ran ? &b : nullptr, margin);
}

// --bias: the phrase's action from its free and constrained decodes (voice::choice_json), with the fields that say which.
void print_biased(const voice::CommandSet& set, const std::string& head, const TranscriptSegment& s, double margin,
                  const Tail& tail) {
  const auto t0 = std::chrono::steady_clock::now();
  const voice::Hypothesis b = biased_of(s);
  const std::string fields = voice::choice_json(set, free_of(s), s.biased.ran ? &b : nullptr, margin);
  const double match_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{%s%s%s, \"bias_ms\": %s, \"latency_ms\": %s}\n", head.c_str(), fields.c_str(),
              tail.with(s.latency_ms + match_ms).c_str(), ms(s.biased.ms).c_str(), ms(s.latency_ms + match_ms).c_str());
  std::fflush(stdout);
}

}  // namespace

int run_listen(int argc, char** argv) {
  std::string commands_path, model_path, input;
  bool stream = false, text = false, bias = false, trace_endpoint = false, timings = false;
  float bias_margin = voice::kDefaultBiasMargin, eos_min = 2.0f;
  int n_threads = 0, chunk_ms = 100, partial_ms = 0, endpoint_ms = 0, endpoint_decode_ms = 0;
  ArgParser ap("sotto listen", "--commands SET.json [-m MODEL.gguf] (FILE.wav | --stream | --text)",
               "The voice command loop: each spoken phrase becomes one command of the set (a JSON file: docs/voice.md) "
               "or \"not a command\", printed as a JSON line with its latency from the end of the phrase. A WAV file is "
               "fed in real-time chunks as a microphone would be; --stream reads raw s16le 16 kHz mono PCM from stdin; "
               "--text reads utterances as lines of text from stdin.");
  ap.option("--commands", &commands_path, "FILE", "the command set (JSON; docs/voice.md)");
  ap.model("-m,--model", &model_path, std::string("GGUF speech model (the bundled ") + kDefaultAsrModel + ")");
  ap.positional("file", &input, "WAV file (any rate/channels; omit with --stream or --text)", false);
  ap.flag("--stream", &stream, "read raw s16le 16 kHz mono PCM from stdin");
  ap.flag("--text", &text, "read utterances, one per line, from stdin (no speech model)");
  ap.flag("--bias", &bias, "also decode each phrase constrained to the set's phrases; take that when the free text is "
          "no command and the constrained one is about as likely (docs/voice.md)");
  ap.option("--bias-margin", &bias_margin, "X", "--bias: how much lower (mean log-prob per token) the constrained "
            "hypothesis may score than the free one (" + std::to_string(voice::kDefaultBiasMargin).substr(0, 4) + ")");
  ap.option("--endpoint", &endpoint_ms, "MS", "end a phrase after MS of silence (50..390) instead of 400 when it is "
            "already a command, or the decoder ended it (--eos-min); 0 = off (0)", 0, 390);
  ap.option("--endpoint-decode", &endpoint_decode_ms, "MS", "--endpoint: decode the phrase so far at this shorter "
            "pause (50..--endpoint), so that the text is ready when the pause reaches --endpoint; 0 = at --endpoint (0)",
            0, 390);
  ap.option("--eos-min", &eos_min, "P", "--endpoint: also end early when the decoder's eos probability is at least P "
            "after a sentence end (2 = off)");
  ap.flag("--trace-endpoint", &trace_endpoint, "--endpoint: print each pause check as a JSON line");
  ap.flag("--timings", &timings, "add the end-of-speech fields to each line (implied by --endpoint)");
  ap.option("--chunk-ms", &chunk_ms, "MS", "audio fed at a time (100)");
  ap.option("--partial", &partial_ms, "MS", "while a phrase is spoken, print what it says so far every MS of audio (off)", 0, 60000);
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  if (!ap.parse(argc, argv)) return 0;
  if (commands_path.empty()) ap.usage_error("--commands SET.json is required");
  if (int(stream) + int(text) + int(!input.empty()) != 1) ap.usage_error("give one of: a WAV file, --stream, --text");
  if (text && !model_path.empty()) ap.usage_error("--text reads text: no speech model");
  if (text && bias) ap.usage_error("--bias is for speech, not --text");
  if (text && partial_ms > 0) ap.usage_error("--partial is for speech, not --text");
  if (chunk_ms <= 0 || chunk_ms > 10000) ap.usage_error("--chunk-ms must be in 1..10000");
  if (text && (endpoint_ms > 0 || timings)) ap.usage_error("--endpoint and --timings are for speech, not --text");
  if (endpoint_ms > 0 && endpoint_ms < 50) ap.usage_error("--endpoint must be 0 (off) or in 50..390 ms");
  if (!(eos_min >= 0)) ap.usage_error("--eos-min must be a probability (above 1: off)");
  if (endpoint_ms == 0 && (trace_endpoint || eos_min <= 1 || endpoint_decode_ms > 0)) {
    ap.usage_error("--eos-min, --endpoint-decode and --trace-endpoint need --endpoint MS");
  }
  if (endpoint_decode_ms > 0 && (endpoint_decode_ms < 50 || endpoint_decode_ms > endpoint_ms)) {
    ap.usage_error("--endpoint-decode must be 0 or in 50..--endpoint ms");
  }

  std::ifstream f(commands_path, std::ios::binary);
  if (!f) fail(commands_path, ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  const voice::CommandSet set = voice::CommandSet::parse(ss.str(), commands_path);

  if (text) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      print_action(set, "", line, 0, false);
    }
    return 0;
  }

  if (model_path.empty()) model_path = find_in_dirs(search_dirs(), kDefaultAsrModel);
  if (model_path.empty()) fail("no speech model: the bundled ", kDefaultAsrModel, " is missing; give one with -m MODEL.gguf");
  auto file = GgufFile::open(model_path);
  ThreadPool pool(resolve_threads(n_threads, false));
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  TranscribeOptions topt;
  if (bias) {
    topt.bias = std::make_shared<grammar::CompiledGrammar>(
        grammar::parse_gbnf(voice::command_gbnf(set), commands_path + " (as a grammar)"), grammar::make_token_trie(*tok));
  }
  topt.endpoint.pause_ms = endpoint_ms;
  topt.endpoint.decode_ms = endpoint_decode_ms;
  topt.endpoint.eos_min = eos_min;
  topt.endpoint.complete = [&](const TranscriptSegment& s) {  // a command, and not the start of a longer one
    const voice::Choice c = bias ? choice_of(set, s, bias_margin) : voice::Choice{voice::match(set, s.text), s.text, false};
    return c.match.command >= 0 && !voice::may_continue(set, c.text);
  };
  Transcriber tr(*model, *tok, topt);
  if (trace_endpoint) {
    tr.on_pause_check = [](const TranscriptSegment& s, bool ended) {
      std::printf("{\"check\": true, \"start\": %s, \"end\": %s, \"text\": %s, \"eos_prob\": %.4f, \"ended\": %s}\n",
                  seconds_text(s.start).c_str(), seconds_text(s.end).c_str(), json::quote(s.text).c_str(), s.eos_prob,
                  ended ? "true" : "false");
      std::fflush(stdout);
    };
  }
  auto emit = [&](const TranscriptSegment& s) {
    const std::string head = "\"start\": " + seconds_text(s.start) + ", \"end\": " + seconds_text(s.end) + ", ";
    Tail tail;
    if (endpoint_ms > 0 || timings) {
      char b[240];
      tail.wait_ms = double(s.known_at - s.speech_end) / 16.0;
      std::snprintf(b, sizeof b, ", \"speech_end\": %s, \"endpoint\": \"%s\", \"wait_ms\": %s, \"decoded_ms\": %s, "
                    "\"eos_prob\": %.4f, \"text_ms\": %s",
                    seconds_text(s.speech_end).c_str(), s.endpoint.c_str(), ms(tail.wait_ms).c_str(),
                    ms(double(s.decoded_at - s.speech_end) / 16.0).c_str(), s.eos_prob,
                    ms(tail.wait_ms + s.latency_ms).c_str());
      tail.text = b;
    }
    if (bias) {
      print_biased(set, head, s, bias_margin, tail);
    } else {
      print_action(set, head, s.text, s.latency_ms, true, tail);
    }
  };
  int64_t last_partial = 0;
  auto feed = [&](const float* x, size_t n) {
    for (const auto& s : tr.feed(x, n)) emit(s);
    TranscriptSegment p;
    if (partial_ms > 0 && tr.n_fed() - last_partial >= int64_t(partial_ms) * 16 && tr.partial(p)) {
      last_partial = tr.n_fed();
      std::printf("{\"partial\": true, \"start\": %s, \"end\": %s, \"text\": %s}\n", seconds_text(p.start).c_str(),
                  seconds_text(p.end).c_str(), json::quote(p.text).c_str());
      std::fflush(stdout);
    }
  };
  if (stream) {
    read_pcm_stdin(chunk_ms, feed);
  } else {
    audio::Wav wav = audio::read_wav(input, true);
    if (!wav.warning.empty()) std::fprintf(stderr, "sotto: warning: %s\n", wav.warning.c_str());
    if (wav.samples.empty()) fail(input, ": no audio samples");
    const std::vector<float> pcm = wav.sample_rate == 16000
                                       ? std::move(wav.samples)
                                       : audio::resample(wav.samples.data(), wav.samples.size(), wav.sample_rate, 16000);
    const size_t chunk = size_t(16000) * size_t(chunk_ms) / 1000;
    for (size_t i = 0; i < pcm.size(); i += chunk) feed(pcm.data() + i, std::min(chunk, pcm.size() - i));
  }
  for (const auto& s : tr.finish()) emit(s);
  return 0;
}

}  // namespace sotto::cli
