// cmd-note.cpp — `sotto note`: transcript -> structured note under a template (JSON Schema), printed as
// JSON and Markdown, with the values the transcript does not support listed for the reviewer.
// Speech input: `sotto note visit.wav --asr-model M.gguf` transcribes the recording first (sotto transcribe's
// path: any WAV, resampled to 16 kHz, VAD phrases, greedy decode) and prints the transcript before the note, with
// the words the speech model was unsure of; a value resting only on them is flagged (scribe/support-speech.h).
// No speech model is bundled yet (docs/training.md), so --asr-model is required with audio; --transcript FILE
// gives the text directly. `--check NOTE.json` runs only the support check on a note written elsewhere (edited,
// or from another engine) and prints what the app's check prints: JSON {markdown, support} or the Markdown.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "audio/resample.h"
#include "audio/wav.h"
#include "backend/backend.h"
#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"
#include "runtime/loaded-model.h"
#include "scribe/note.h"
#include "scribe/support-speech.h"

namespace sotto::cli {

namespace {

// The recording's transcript: its phrases' texts, one line each, with the words the speech model was unsure of.
SpeechTranscript transcribe_file(const std::string& wav_path, const std::string& asr_path, int n_threads, bool quiet) {
  audio::Wav wav = audio::read_wav(wav_path, true);
  if (wav.samples.empty()) fail(wav_path, ": no audio samples");
  if (!wav.warning.empty() && !quiet) std::fprintf(stderr, "sotto: warning: %s\n", wav.warning.c_str());
  std::vector<float> pcm = wav.sample_rate == 16000
                               ? std::move(wav.samples)
                               : audio::resample(wav.samples.data(), wav.samples.size(), wav.sample_rate, 16000);
  auto file = GgufFile::open(asr_path);
  ThreadPool pool(n_threads);
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  Transcriber tr(*model, *tok);
  const bool tty = !quiet && isatty(2);
  SpeechTranscript t = speech_transcript(tr.transcribe(pcm.data(), pcm.size(), [&](int64_t done, int64_t total) {
    if (tty) std::fprintf(stderr, "\rsotto: transcribing %3d%%", int(100 * done / std::max<int64_t>(1, total)));
  }));
  if (tty) std::fprintf(stderr, "\n");
  if (t.text.empty()) fail(wav_path, ": no speech recognised");
  return t;
}

// --transcript FILE: text, or (a .json file) `sotto transcribe --json` output with its uncertain words.
SpeechTranscript read_transcript(const std::string& path) {
  const std::string s = path == "-" ? read_stream(stdin, "stdin") : read_file(path);
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".json") == 0) return speech_transcript_from_json(json::parse(s, path), path);
  return SpeechTranscript{s, {}};
}

}  // namespace

int run_note(int argc, char** argv) {
  std::string audio, transcript_file, tmpl = "soap", model_path, format = "both", asr_path, check_file, visit_date;
  std::string evidence = "on";
  int n_threads = 0, n_ctx = 4096, max_tokens = 1024;
  bool quiet = false, no_windows = false;
  ArgParser ap("sotto note", "[AUDIO.wav] --transcript FILE -m MODEL.gguf [--template soap] [options]",
               "Writes a structured note from a transcript under a template's JSON Schema and prints it as JSON\n"
               "and Markdown; values the transcript does not support are listed for review.");
  ap.positional("AUDIO", &audio, "a recording (WAV, any rate, mono or stereo)", false);
  ap.option("--transcript", &transcript_file, "FILE",
            "the transcript as text (- for stdin), or FILE.json from `sotto transcribe --json` (its uncertain words are "
            "carried into the check)");
  ap.model("--asr-model", &asr_path,
            std::string("GGUF speech model (Moonshine/Whisper) for AUDIO (the bundled ") + kDefaultAsrModel + ")");
  ap.option("--template", &tmpl, "NAME|FILE", "soap, legal, hr, finance, or a .schema.json file (soap)");
  ap.model("-m,--model", &model_path, std::string("GGUF note model (the bundled ") + kDefaultNoteModel + ")");
  ap.option("--format", &format, "F", "json, markdown or both (both)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  ap.option("-c,--ctx-size", &n_ctx, "N", "context size (4096)");
  ap.option("--max-tokens", &max_tokens, "N", "longest note in tokens (1024)", 1);
  ap.option("--visit-date", &visit_date, "YYYY-MM-DD",
            "the visit's date, given to the model: relative dates (\"in two weeks\") are resolved against it; "
            "without it they stay as said");
  ap.option("--check", &check_file, "NOTE.json", "check this note against the transcript (no model): JSON {markdown, support} or Markdown");
  ap.option("--evidence", &evidence, "on|off",
            "evidence-constrained decoding: free-text values are copied from the transcript word for word (on)");
  ap.flag("--no-windows", &no_windows, "read a transcript longer than the model's trained context whole (default: in overlapping windows, notes merged)");
  ap.flag("-q,--quiet", &quiet, "no progress or statistics on stderr");
  if (!ap.parse(argc, argv)) return 0;
  if (format != "json" && format != "markdown" && format != "both") ap.usage_error("--format must be json, markdown or both");
  if (!audio.empty() && !transcript_file.empty()) ap.usage_error("give AUDIO or --transcript FILE, not both");
  if (audio.empty() && transcript_file.empty()) ap.usage_error("missing AUDIO or --transcript FILE");
  if (evidence != "on" && evidence != "off") ap.usage_error("--evidence must be on or off, got '" + evidence + "'");
  if (!visit_date.empty() && !is_calendar_date(visit_date)) {
    ap.usage_error("--visit-date must be a date YYYY-MM-DD, got '" + visit_date + "'");
  }
  const std::vector<std::string> dirs = search_dirs();
  if (!check_file.empty()) {
    if (transcript_file.empty()) ap.usage_error("--check needs --transcript FILE");
    const NoteTemplate t = load_template(tmpl, dirs);
    const SpeechTranscript st = read_transcript(transcript_file);
    const json::Value note = json::parse(read_file(check_file), check_file);
    if (!note.is_object()) fail(check_file, ": not a JSON object");
    std::vector<FieldSupport> support = check_support(note, st.text, &t.schema, visit_date);
    mark_uncertain_speech(support, st.text, st.uncertain);
    const std::string md = note_to_markdown(t, note, support);
    if (format == "markdown") {
      std::printf("%s", md.c_str());
    } else {
      json::Value out = json::Value::object();
      out.set("markdown", json::Value(md));
      out.set("support", support_to_json(support));
      std::printf("%s\n", json::dump(out, format == "both" ? 2 : 0).c_str());
    }
    return 0;
  }
  if (!audio.empty() && asr_path.empty()) asr_path = find_in_dirs(dirs, kDefaultAsrModel);
  if (!audio.empty() && asr_path.empty()) {
    fail("no speech model: the bundled ", kDefaultAsrModel, " is missing; give one with --asr-model M.gguf, or the text with --transcript FILE");
  }
  if (model_path.empty()) model_path = find_in_dirs(dirs, kDefaultNoteModel);
  if (model_path.empty()) fail("no note model: the bundled ", kDefaultNoteModel, " is missing; give one with -m MODEL.gguf");
  if (n_ctx < 64) ap.usage_error("--ctx-size must be at least 64");
  n_threads = resolve_threads(n_threads, quiet);

  const NoteTemplate t = load_template(tmpl, dirs);
  SpeechTranscript st;
  if (!audio.empty()) {
    st = transcribe_file(audio, asr_path, n_threads, quiet);
    if (format != "json") {
      std::printf("# Transcript\n\n%s\n", st.text.c_str());
      // What the speech model was unsure of (runtime/speech-confidence.h), for the reviewer to listen to again.
      if (!st.uncertain.empty()) std::printf("Uncertain speech (listen again):\n\n");
      for (const UncertainSpeech& u : st.uncertain) {
        std::printf("- \"%s\" (%s)\n", st.text.substr(u.begin, u.end - u.begin).c_str(), u.reason.c_str());
      }
      if (!st.uncertain.empty()) std::printf("\n");
    }
  } else {
    st = read_transcript(transcript_file);
  }
  const std::string& transcript = st.text;
  if (transcript.find_first_not_of(" \t\r\n") == std::string::npos) fail(transcript_file, ": the transcript is empty");

  if (!quiet) std::fprintf(stderr, "sotto: loading %s\n", model_path.c_str());
  LoadedModel lm = load_model(model_path, n_threads, true);
  NoteOptions opt;
  opt.n_ctx = n_ctx;
  opt.max_tokens = max_tokens;
  opt.windows = !no_windows;
  opt.visit_date = visit_date;
  opt.evidence = evidence == "on";
  // Progress on a terminal: the characters written so far, at most 5 updates a second.
  const bool tty = !quiet && isatty(2);
  size_t chars = 0;
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  NoteResult r = write_note(lm, t, transcript, opt, [&](std::string_view piece) {
    chars += piece.size();
    const auto now = std::chrono::steady_clock::now();
    if (tty && now - last > std::chrono::milliseconds(200)) {
      std::fprintf(stderr, "\rsotto: writing the %s note: %zu characters", t.name.c_str(), chars);
      last = now;
    }
    return true;
  });
  if (tty) std::fprintf(stderr, "\rsotto: wrote the %s note: %zu characters\n", t.name.c_str(), chars);
  mark_uncertain_speech(r.support, transcript, st.uncertain);
  if (const std::string w = describe_windows(r.windows); !w.empty() && !quiet) std::fprintf(stderr, "sotto: %s\n", w.c_str());
  if (format != "markdown") std::printf("%s\n", json::dump(r.note, 2).c_str());
  if (format == "both") std::printf("\n");
  if (format != "json") std::printf("%s", note_to_markdown(t, r.note, r.support).c_str());
  if (!quiet) {
    int flagged = 0, unchecked = 0;
    for (const auto& f : r.support) flagged += f.flagged ? 1 : 0, unchecked += f.checked ? 0 : 1;
    std::fprintf(stderr, "sotto: %d values, %d flagged for review, %d not checked | prompt %d tokens, generated %d (%d forced), %.1f tok/s\n",
                 int(r.support.size()), flagged, unchecked, r.stats.n_prompt, r.stats.n_generated, r.stats.n_forced,
                 r.stats.decode_tps());
    if (opt.evidence) {
      std::fprintf(stderr, "sotto: evidence: %d free-text values copied from the transcript, %d left it; %d masks, %.3f ms a mask\n",
                   r.evidence.values - r.evidence.left_source, r.evidence.left_source, r.evidence.masks,
                   r.evidence.masks ? 1e3 * r.evidence.mask_s / r.evidence.masks : 0.0);
    }
  }
  return 0;
}

}  // namespace sotto::cli
