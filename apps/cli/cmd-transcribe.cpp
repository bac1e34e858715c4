// cmd-transcribe.cpp — `sotto transcribe`: speech to text with a GGUF speech model (Moonshine). Input: a WAV file (any
// rate and channel count: downmixed and resampled to 16 kHz mono), or with --stream raw s16le 16 kHz mono PCM from
// stdin, transcribed phrase by phrase as the VAD closes them. Output on stdout: text (one line per phrase), --json
// (segments with start/end seconds, and each phrase's words with their confidence and the hallucination guards'
// flags: runtime/speech-confidence.h) or --srt. A progress bar goes to stderr when stderr is a terminal (or with
// --progress). --speakers [N] labels each phrase with its speaker (runtime/speakers.h: turns, a small speaker-embedding
// model, clustering; N speakers, or as many as it finds): "speaker" (1-based) in each JSON segment, "Speaker N: " before
// each text line and SubRip cue. Errors are one line (main.cpp). Does not: record from a microphone, sample
// non-greedily, or label speakers while streaming (it needs the whole recording).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "audio/resample.h"
#include "audio/wav.h"
#include "cli.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "models/speaker.h"
#include "runtime/speakers.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"

namespace sotto::cli {
namespace {

enum class Format { Text, Json, Srt };

std::string srt_time(int64_t samples) {
  const int64_t ms = samples * 1000 / 16000;
  char b[32];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld,%03lld", (long long)(ms / 3600000), (long long)(ms / 60000 % 60),
                (long long)(ms / 1000 % 60), (long long)(ms % 1000));
  return b;
}

constexpr const char* kDefaultSpeakerModel = "models/sotto-speaker-f32.gguf";

// speaker: 1-based label, or 0 for none.
std::string json_segment(const TranscriptSegment& s, int speaker) {
  return "{\"start\": " + seconds_text(s.start) + ", \"end\": " + seconds_text(s.end) +
         (speaker > 0 ? ", \"speaker\": " + std::to_string(speaker) : std::string()) + ", \"text\": " +
         json::quote(s.text) + ", " + speech_confidence_json(s.words, s.flags) + "}";
}

// "--speakers" with an optional count: the next argument is the count unless it is an option, a WAV file or an
// existing file. Removed from args; returns -1 when absent, 0 for "find the number", else the count (1..8).
int take_speakers_arg(std::vector<char*>& args) {
  int n = -1;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string a = args[i];
    if (a != "--speakers" && a.rfind("--speakers=", 0) != 0) continue;
    std::string v;
    size_t take = 1;
    if (a.size() > 10) {
      v = a.substr(11);
    } else if (i + 1 < args.size()) {
      std::string nx = args[i + 1], low = nx;
      for (char& c : low) c = char(std::tolower(static_cast<unsigned char>(c)));
      std::error_code ec;
      const bool is_file = low.size() > 4 && low.substr(low.size() - 4) == ".wav";
      if (nx.rfind("--", 0) != 0 && !is_file && !std::filesystem::exists(nx, ec)) {
        v = nx;
        take = 2;
      }
    }
    args.erase(args.begin() + std::ptrdiff_t(i), args.begin() + std::ptrdiff_t(i + take));
    i--;
    if (v.empty()) {
      n = 0;
      continue;
    }
    bool digits = v.size() <= 2;
    for (char c : v) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoi(v) < 1 || std::stoi(v) > 8) {
      throw UsageError("sotto transcribe: --speakers takes a count of 1..8 (or nothing, to find it), not '" + v +
                       "' (see sotto transcribe --help)");
    }
    n = std::stoi(v);
  }
  return n;
}

class Printer {
 public:
  Printer(Format f, bool stream) : f_(f), stream_(stream) {}
  void begin() {
    if (f_ == Format::Json && !stream_) std::printf("{\"segments\": [");
  }
  void segment(const TranscriptSegment& s, int speaker = 0) {
    n_++;
    const std::string who = speaker > 0 ? "Speaker " + std::to_string(speaker) + ": " : "";
    if (f_ == Format::Text) {
      std::printf("%s%s\n", who.c_str(), s.text.c_str());
    } else if (f_ == Format::Srt) {
      std::printf("%d\n%s --> %s\n%s%s\n\n", n_, srt_time(s.start).c_str(), srt_time(s.end).c_str(), who.c_str(),
                  s.text.c_str());
    } else if (stream_) {
      std::printf("%s\n", json_segment(s, speaker).c_str());  // JSON Lines: one segment per line as it closes
    } else {
      std::printf("%s\n  %s", n_ > 1 ? "," : "", json_segment(s, speaker).c_str());
    }
    std::fflush(stdout);
  }
  void end(int64_t total_samples) {
    if (f_ == Format::Json && !stream_) std::printf("\n], \"duration\": %s}\n", seconds_text(total_samples).c_str());
    std::fflush(stdout);
  }

 private:
  Format f_;
  bool stream_;
  int n_ = 0;
};

// --timings: one stderr line per phrase, then a summary (latency median / max, real-time factor = wall / audio).
struct Timings {
  std::vector<double> latency;
  double compute_ms = 0;
  void add(const TranscriptSegment& s) {
    latency.push_back(s.latency_ms);
    compute_ms += s.encode_ms + s.decode_ms;
    std::fprintf(stderr, "timing: phrase %s-%s s  %zu tokens%s  encode %.1f ms  decode %.1f ms  latency %.1f ms\n",
                 seconds_text(s.start).c_str(), seconds_text(s.end).c_str(), s.tokens.size(), s.hit_token_cap ? " (cap)" : "",
                 s.encode_ms, s.decode_ms, s.latency_ms);
  }
  void report(int64_t n_samples, double wall_s) const {
    std::vector<double> l = latency;
    std::sort(l.begin(), l.end());
    const double audio_s = double(n_samples) / 16000.0;
    std::fprintf(stderr,
                 "timing: %zu phrases  latency median %.1f ms  max %.1f ms  audio %.2f s  model compute %.1f ms  "
                 "RTF %.4f (compute / audio)  wall %.2f s\n",
                 l.size(), l.empty() ? 0.0 : l[l.size() / 2], l.empty() ? 0.0 : l.back(), audio_s, compute_ms,
                 compute_ms / 1000.0 / std::max(1e-9, audio_s), wall_s);
  }
};

void progress_bar(int64_t done, int64_t total) {
  const int width = 30;
  const double frac = total > 0 ? double(done) / double(total) : 1.0;
  const int fill = int(frac * width + 0.5);
  std::fprintf(stderr, "\r[%s%s] %3d%% %s / %s s", std::string(size_t(fill), '#').c_str(),
               std::string(size_t(width - fill), ' ').c_str(), int(frac * 100 + 0.5), seconds_text(done).c_str(),
               seconds_text(total).c_str());
  if (done >= total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

}  // namespace

int run_transcribe(int argc_in, char** argv_in) {
  std::vector<char*> args(argv_in, argv_in + argc_in);
  const int n_speakers = take_speakers_arg(args);
  const int argc = int(args.size());
  char** argv = args.data();
  std::string model_path, input, speaker_model_path;
  bool speakers_flag = false;
  bool as_json = false, as_srt = false, stream = false, progress = false, timings = false;
  int n_threads = 0, chunk_ms = 100;
  float max_phrase_s = 20.0f, split_phrase_s = 16.0f;
  ArgParser ap("sotto transcribe", "-m MODEL.gguf [FILE.wav | --stream] [options]",
               "Transcribes speech with a GGUF speech model (Moonshine). The energy VAD splits the audio into phrases; "
               "each is decoded greedily. --stream reads raw s16le 16 kHz mono PCM from stdin and prints each phrase "
               "as soon as it closes.");
  ap.model("-m,--model", &model_path, std::string("GGUF speech model (the bundled ") + kDefaultAsrModel + ")");
  ap.positional("file", &input, "WAV file (any rate/channels; omit with --stream)", false);
  ap.flag("--json", &as_json, "JSON with segments, times, word confidence and flags (JSON Lines with --stream)");
  ap.flag("--srt", &as_srt, "SubRip subtitles");
  ap.flag("--stream", &stream, "read raw s16le 16 kHz mono PCM from stdin");
  ap.flag("--progress", &progress, "progress bar on stderr even when it is not a terminal");
  ap.flag("--timings", &timings, "per-phrase latency (end of phrase -> final text) and real-time factor on stderr");
  ap.flag("--speakers", &speakers_flag, "[N] label each phrase with its speaker: N speakers (1..8), or as many as found");
  ap.model("--speaker-model", &speaker_model_path,
            "speaker-embedding model for --speakers (" + std::string(kDefaultSpeakerModel) + ")");
  SpeakerOptions so;
  ap.option("--speaker-change", &so.change_threshold, "COS",
            "a speaker change where adjacent windows' embeddings have a cosine under this (" +
                std::to_string(so.change_threshold).substr(0, 4) + ")");
  ap.option("--speaker-merge", &so.merge_threshold, "COS",
            "--speakers without N: one speaker above this cosine (" + std::to_string(so.merge_threshold).substr(0, 4) + ")");
  ap.option("--chunk-ms", &chunk_ms, "MS", "stdin read size with --stream (100)");
  ap.option("--split-phrase", &split_phrase_s, "SEC", "cut longer phrases at their pauses (16)");
  ap.option("--max-phrase", &max_phrase_s, "SEC", "cut longer phrases even without a pause (20)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  if (!ap.parse(argc, argv)) return 0;
  if (as_json && as_srt) ap.usage_error("--json and --srt exclude each other");
  if (stream == !input.empty()) ap.usage_error(stream ? "--stream reads stdin: give no file" : "give a WAV file or --stream");
  if (chunk_ms <= 0 || chunk_ms > 10000) ap.usage_error("--chunk-ms must be in 1..10000");
  if (max_phrase_s <= 0.5f) ap.usage_error("--max-phrase must exceed 0.5");
  if (split_phrase_s <= 0.5f) ap.usage_error("--split-phrase must exceed 0.5");
  if (n_speakers >= 0 && stream) ap.usage_error("--speakers needs the whole recording: not with --stream");
  if (n_speakers < 0 && !speaker_model_path.empty()) ap.usage_error("--speaker-model is for --speakers");
  if (!(std::fabs(so.change_threshold) <= 1.0f) || !(std::fabs(so.merge_threshold) <= 1.0f)) {
    ap.usage_error("--speaker-change and --speaker-merge are cosines in -1..1");
  }
  const Format fmt = as_json ? Format::Json : as_srt ? Format::Srt : Format::Text;

  if (model_path.empty()) model_path = find_in_dirs(search_dirs(), kDefaultAsrModel);
  if (model_path.empty()) fail("no speech model: the bundled ", kDefaultAsrModel, " is missing; give one with -m MODEL.gguf");
  std::unique_ptr<GgufFile> spk_file;
  if (n_speakers >= 0) {  // check the speaker model before the slow work
    if (speaker_model_path.empty()) speaker_model_path = find_in_dirs(search_dirs(), kDefaultSpeakerModel);
    if (speaker_model_path.empty()) {
      fail("--speakers: no speaker model (", kDefaultSpeakerModel,
           " not found; train one with tools/train/speaker.py and pass --speaker-model FILE)");
    }
    spk_file = GgufFile::open(speaker_model_path);
  }
  auto file = GgufFile::open(model_path);
  ThreadPool pool(resolve_threads(n_threads, false));
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  TranscribeOptions opt;
  opt.max_phrase_s = max_phrase_s;
  opt.split_phrase_s = split_phrase_s;
  Transcriber tr(*model, *tok, opt);
  Printer out(fmt, stream);
  Timings tm;
  const auto t_start = std::chrono::steady_clock::now();
  auto emit = [&](const TranscriptSegment& s) {
    out.segment(s);
    if (timings) tm.add(s);
  };
  auto report = [&](int64_t n_samples) {
    if (timings) tm.report(n_samples, std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
  };

  if (!stream) {
    audio::Wav wav = audio::read_wav(input, true);
    if (!wav.warning.empty()) std::fprintf(stderr, "sotto: warning: %s\n", wav.warning.c_str());
    if (wav.samples.empty()) fail(input, ": no audio samples");
    std::vector<float> pcm = wav.sample_rate == 16000
                                 ? std::move(wav.samples)
                                 : audio::resample(wav.samples.data(), wav.samples.size(), wav.sample_rate, 16000);
    const bool bar = progress || isatty(2);
    std::unique_ptr<SpeakerModel> spk;
    if (spk_file) {
      spk = std::make_unique<SpeakerModel>(*spk_file, *be);
      if (pcm.size() < 16000) fail(input, ": ", seconds_text(int64_t(pcm.size())), " s of audio is too short for --speakers (at least 1 s)");
    }
    out.begin();
    auto segs = tr.transcribe(pcm.data(), pcm.size(), bar ? progress_bar : std::function<void(int64_t, int64_t)>{});
    if (spk) {
      so.n_speakers = n_speakers;
      const auto turns = diarize(*spk, pcm.data(), int64_t(pcm.size()), so);
      std::vector<int> who;
      segs = label_segments(segs, turns, [&](int64_t a, int64_t b) { return tr.recognize(pcm.data() + a, b - a); }, who);
      for (size_t i = 0; i < segs.size(); i++) {
        out.segment(segs[i], std::max(who[i], 0) + 1);  // no speech turn at all: one speaker
        if (timings) tm.add(segs[i]);
      }
    } else {
      for (const auto& s : segs) emit(s);
    }
    out.end(int64_t(pcm.size()));
    report(int64_t(pcm.size()));
    return 0;
  }

  out.begin();
  read_pcm_stdin(chunk_ms, [&](const float* x, size_t n) {
    for (const auto& s : tr.feed(x, n)) emit(s);
  });
  for (const auto& s : tr.finish()) emit(s);
  out.end(tr.n_fed());
  report(tr.n_fed());
  return 0;
}

}  // namespace sotto::cli
