// speaker-abi.cpp — speaker labels for the wasm build (wasm/asr.mjs SottoSpeakers): the small speaker-embedding
// model (models/speaker.h) on the wasm CPU backend, and runtime/speakers.h's turns and clustering, as `sotto
// transcribe --speakers` runs them:
//   sotto_spk_create(gguf, name, n_threads)   a session owning the model (takes the buffer from sotto_buffer_new)
//   sotto_spk_label(s, pcm, n, rate, n_speakers, spans, n_spans)
//                                             the whole recording (mono f32 at `rate`, resampled to 16 kHz as the
//                                             CLI does) -> turns; then each span [spans[2i], spans[2i+1]) (samples
//                                             at 16 kHz: the transcript's phrases) gets the speaker whose turns it
//                                             overlaps most (speaker_of). Result (sotto_spk_out, sotto_spk_out_len):
//                                             {"speakers": N, "labels": [1-based label per span], "turns":
//                                             [{"start", "end" (seconds), "speaker" (1-based)}]}
//   sotto_spk_free(s)
// n_speakers: 1..8, or 0 to find the count (SpeakerOptions::merge_threshold).
// Unlike the CLI, a phrase over which the speaker changes is not recognized again in parts (that needs the speech
// model on the same thread; on WebGPU it decodes asynchronously): it takes the label of the speaker who speaks
// most of it.
// Errors: sotto::fail() traps with its one-line message (sotto_last_error, wasm/sotto-abi.cpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audio/resample.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/speaker.h"
#include "runtime/speakers.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

struct SpkSession {
  std::unique_ptr<sotto::GgufFile> file;
  std::unique_ptr<sotto::ThreadPool> pool;
  std::unique_ptr<sotto::Backend> backend;
  std::unique_ptr<sotto::SpeakerModel> model;
  std::string out;
};

}  // namespace

SOTTO_EXPORT SpkSession* sotto_spk_create(std::vector<uint8_t>* gguf, const char* name, int n_threads) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  auto s = std::make_unique<SpkSession>();
  s->file = sotto::GgufFile::from_memory(std::move(*bytes), name);
  if (!sotto::SpeakerModel::is_speaker_model(*s->file)) sotto::fail(name, ": not a speaker-embedding model");
  s->pool = std::make_unique<sotto::ThreadPool>(std::max(1, n_threads));
  s->backend = sotto::make_cpu_backend(*s->pool, /*own_weights=*/true);
  s->model = std::make_unique<sotto::SpeakerModel>(*s->file, *s->backend);
  return s.release();
}

SOTTO_EXPORT void sotto_spk_free(SpkSession* s) { delete s; }

SOTTO_EXPORT const char* sotto_spk_label(SpkSession* s, const float* x, uint32_t n, int rate, int n_speakers,
                                         const int32_t* spans, uint32_t n_spans) {
  if (rate < 1000 || rate > 768000) sotto::fail("speakers: sample rate ", std::to_string(rate), " Hz out of range (1000..768000)");
  if (n_speakers < 0 || n_speakers > 8) sotto::fail("speakers: a count of 1..8 (or 0, to find it), not ", std::to_string(n_speakers));
  std::vector<float> resampled;
  if (rate != 16000) resampled = sotto::audio::resample(x, n, rate, 16000);
  const float* pcm = rate == 16000 ? x : resampled.data();
  const int64_t len = rate == 16000 ? int64_t(n) : int64_t(resampled.size());
  if (len < 16000) sotto::fail("speakers: ", sotto::seconds_text(len), " s of audio is too short (at least 1 s)");
  sotto::SpeakerOptions so;
  so.n_speakers = n_speakers;
  const std::vector<sotto::SpeakerTurn> turns = sotto::diarize(*s->model, pcm, len, so);
  int count = 0;
  for (const auto& t : turns) count = std::max(count, t.speaker + 1);
  s->out = "{\"speakers\": " + std::to_string(std::max(count, 1)) + ", \"labels\": [";
  for (uint32_t i = 0; i < n_spans; i++) {
    const int who = turns.empty() ? 0 : sotto::speaker_of(turns, spans[2 * i], spans[2 * i + 1]);
    s->out += (i ? ", " : "") + std::to_string(std::max(who, 0) + 1);  // no speech turn at all: one speaker
  }
  s->out += "], \"turns\": [";
  for (size_t i = 0; i < turns.size(); i++) {
    s->out += std::string(i ? ", " : "") + "{\"start\": " + sotto::seconds_text(turns[i].start) + ", \"end\": " + sotto::seconds_text(turns[i].end) +
              ", \"speaker\": " + std::to_string(turns[i].speaker + 1) + "}";
  }
  s->out += "]}";
  return s->out.c_str();
}

SOTTO_EXPORT uint32_t sotto_spk_out_len(SpkSession* s) { return uint32_t(s->out.size()); }
