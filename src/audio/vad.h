// vad.h — energy voice activity detector with an adaptive noise floor and hangover; segments a 16 kHz mono
// stream, fed in chunks of any size, into phrases [start, end) in samples from the stream start.
// Per 10 ms frame: energy in dBFS; the noise floor follows drops quickly and rises slowly (rise_db_per_s), so it
// tracks stationary noise; a frame is speech when it exceeds floor + on_db (or floor + off_db while inside a
// phrase: hysteresis). A phrase ends after min_silence_ms of non-speech (hangover); phrases shorter than
// min_speech_ms are dropped; kept phrases get padding_ms each side (clamped to the stream and to the previous
// phrase). Output is the same for any chunking. An early end (set_pause_check): when a phrase's silence reaches
// pause_ms (< min_silence_ms), a caller's check sees the phrase as it would close then and may close it at once; the
// check runs at that frame, inside feed(), so the output stays the same for any chunking. Does not: model-based VAD,
// resampling (feed 16 kHz), decide what an early end needs (the caller's check does: runtime/transcribe.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace sotto::audio {

struct VadOptions {
  int sample_rate = 16000;
  int frame_ms = 10;
  int min_speech_ms = 150;
  int min_silence_ms = 400;
  int padding_ms = 50;
  float on_db = 9.0f;           // start threshold above noise floor
  float off_db = 3.0f;          // stay-in-phrase threshold above noise floor
  float rise_db_per_s = 3.0f;   // how fast the floor may climb
  float floor_min_db = -75.0f;  // the floor never goes below this (digital silence)
};

struct Segment {
  int64_t start = 0;  // sample index, inclusive
  int64_t end = 0;    // exclusive
  int64_t speech_end = 0;  // the end of the last speech frame (end without the padding, unless clamped)
  bool early = false;      // closed by the pause check, before min_silence_ms of silence
  int64_t pause = 0;       // at a pause check: the silence so far (samples after speech_end)
};

class Vad {
 public:
  explicit Vad(const VadOptions& opt = {});
  // Feeds samples; appends phrases that are now closed.
  void feed(const float* x, size_t n, std::vector<Segment>& closed);
  // Ends the stream; appends the last phrase if one is open.
  void finish(std::vector<Segment>& closed);
  // The phrase open now (speech heard, not closed yet): its start as it will close with, and the end of the samples
  // framed so far; false when none is open.
  bool open(Segment& s) const;
  float noise_floor_db() const { return floor_db_; }
  // Early end: once per pause, when the open phrase has had pause_ms of silence (padding_ms <= pause_ms <
  // min_silence_ms, so the phrase's samples are those it would close with after the full wait), check(phrase) is
  // called; true closes the phrase there. every_frame: called at each frame of the pause from pause_ms on (s.pause
  // grows by a frame each time) until it closes the phrase or the full wait does. check = nullptr turns it off.
  void set_pause_check(int pause_ms, std::function<bool(const Segment&)> check, bool every_frame = false);

 private:
  void frame(const float* x, std::vector<Segment>& closed);
  bool phrase(int64_t stream_end, Segment& s) const;  // the open phrase as it would close; false if too short
  void close(std::vector<Segment>& closed, int64_t stream_end);
  VadOptions opt_;
  int frame_len_;
  std::vector<float> pending_;
  int64_t n_frames_ = 0;
  float floor_db_ = 0.0f;
  bool have_floor_ = false;
  bool in_phrase_ = false;
  int64_t start_frame_ = 0, last_speech_frame_ = 0;
  int64_t prev_end_ = 0;  // end sample of the last emitted phrase
  int64_t n_samples_ = 0;
  int pause_ms_ = 0;
  bool pause_every_frame_ = false;
  int64_t pause_checked_ = -1;  // the last speech frame whose pause was checked
  std::function<bool(const Segment&)> pause_check_;
};

// One-shot helper.
std::vector<Segment> detect_phrases(const float* x, size_t n, const VadOptions& opt = {});

}  // namespace sotto::audio
