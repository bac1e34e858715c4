// speakers.h — speaker labels for a recording (two-speaker conversations first), all on the device:
//   1. turns: the energy VAD (audio/vad.h, a shorter 250 ms hangover than transcription's) finds speech regions;
//      inside a region long enough for two windows, a speaker change is where the embeddings of the window_s
//      before and after a moment (on a hop_s grid) have a cosine under change_threshold (the lowest first, at
//      least window_s apart);
//   2. each turn is embedded whole (models/speaker.h, on the log-mel of the whole recording, sliced);
//   3. clustering: centroid agglomeration (duration-weighted, cosine), merging the closest pair until n_speakers
//      remain or, with n_speakers 0, while the closest pair is above merge_threshold; then k-means passes (nearest
//      centroid) until stable. Turns shorter than min_cluster_s only join the clusters the longer turns form.
//   4. labels 0, 1, ... in order of first appearance.
// Deterministic (no random start; ties go to the lower index). Transcript segments take the label of the turns they
// overlap most (label_segments, which re-recognizes a segment that spans a change of speaker in parts).
// Does not: overlapping speech (one speaker at a time), streaming (needs the whole recording), speaker identity
// across recordings.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "audio/vad.h"
#include "runtime/transcribe.h"

namespace sotto {

class SpeakerModel;

struct SpeakerOptions {
  int n_speakers = 0;              // 0: decide by merge_threshold; else exactly this many (fewer if fewer turns)
  float merge_threshold = 0.4f;    // cosine above which two clusters are one speaker (n_speakers 0)
  float change_threshold = 0.4f;   // cosine of adjacent windows under which the speaker changed
  float window_s = 1.5f;           // change detection windows (each side of the moment)
  float hop_s = 0.25f;             // their grid
  float min_turn_s = 0.2f;         // shorter speech is embedded with its surroundings (up to this long)
  float min_cluster_s = 1.0f;      // turns at least this long form the clusters
  audio::VadOptions vad = [] {
    audio::VadOptions v;
    v.min_silence_ms = 250;
    return v;
  }();
};

struct SpeakerTurn {
  int64_t start = 0, end = 0;   // samples, [start, end)
  int speaker = -1;             // 0-based label
  std::vector<float> embedding;  // unit length
};

// The embedding of 16 kHz mono samples (their log-mel, audio/mel.h, then the model); at least 401 samples.
std::vector<float> embed_speech(const SpeakerModel& model, const float* x, int64_t n);

// Turns with speaker labels for 16 kHz mono samples; an empty list when there is no speech.
std::vector<SpeakerTurn> diarize(const SpeakerModel& model, const float* x, int64_t n, const SpeakerOptions& opt);

// The clustering step alone: labels (0.. in order of first index) of unit-length embeddings with durations.
std::vector<int> cluster_speakers(const std::vector<std::vector<float>>& emb, const std::vector<double>& seconds,
                                  const SpeakerOptions& opt);

// Speaker of [start, end): the label with the most overlap among the turns (the nearest turn when none overlaps).
int speaker_of(const std::vector<SpeakerTurn>& turns, int64_t start, int64_t end);

// Each segment labelled (speakers[i] for out[i]). A segment over which two speakers each speak at least min_part_s
// is re-recognized in parts, one per run of one speaker's turns (recognize(x + a, b - a) gives a part's text), so
// no segment mixes speakers.
std::vector<TranscriptSegment> label_segments(const std::vector<TranscriptSegment>& segs,
                                              const std::vector<SpeakerTurn>& turns,
                                              const std::function<TranscriptSegment(int64_t, int64_t)>& recognize,
                                              std::vector<int>& speakers, double min_part_s = 0.5);

}  // namespace sotto
