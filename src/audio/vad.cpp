// vad.cpp — energy VAD state machine. See vad.h.
#include "audio/vad.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace sotto::audio {

Vad::Vad(const VadOptions& opt) : opt_(opt) {
  frame_len_ = opt.sample_rate * opt.frame_ms / 1000;
  if (frame_len_ <= 0 || opt.min_silence_ms < 0 || opt.min_speech_ms < 0 || opt.padding_ms < 0) fail("vad: bad options");
}

bool Vad::phrase(int64_t stream_end, Segment& s) const {
  const int64_t n_speech = last_speech_frame_ + 1 - start_frame_;
  if (n_speech * opt_.frame_ms < opt_.min_speech_ms) return false;
  const int64_t pad = int64_t(opt_.sample_rate) * opt_.padding_ms / 1000;
  s.start = std::max(start_frame_ * frame_len_ - pad, prev_end_);
  s.speech_end = std::min((last_speech_frame_ + 1) * frame_len_, stream_end);
  s.end = std::min((last_speech_frame_ + 1) * frame_len_ + pad, stream_end);
  return true;
}

void Vad::close(std::vector<Segment>& closed, int64_t stream_end) {
  in_phrase_ = false;
  Segment s;
  if (!phrase(stream_end, s)) return;
  prev_end_ = s.end;
  closed.push_back(s);
}

void Vad::set_pause_check(int pause_ms, std::function<bool(const Segment&)> check, bool every_frame) {
  if (check && (pause_ms < opt_.padding_ms || pause_ms >= opt_.min_silence_ms)) {
    fail("vad: the early-end pause (", std::to_string(pause_ms), " ms) must be in [padding ", std::to_string(opt_.padding_ms),
         " ms, min_silence ", std::to_string(opt_.min_silence_ms), " ms)");
  }
  pause_ms_ = pause_ms;
  pause_every_frame_ = every_frame;
  pause_check_ = std::move(check);
}

bool Vad::open(Segment& s) const {
  if (!in_phrase_) return false;
  const int64_t pad = int64_t(opt_.sample_rate) * opt_.padding_ms / 1000;
  s.start = std::max(start_frame_ * frame_len_ - pad, prev_end_);
  s.end = n_frames_ * frame_len_;
  return s.end > s.start;
}

void Vad::frame(const float* x, std::vector<Segment>& closed) {
  double e = 0.0;
  for (int i = 0; i < frame_len_; ++i) e += double(x[i]) * double(x[i]);
  const float db = float(10.0 * std::log10(e / frame_len_ + 1e-12));
  const int64_t f = n_frames_++;
  if (!have_floor_) {
    floor_db_ = std::max(db, opt_.floor_min_db);
    have_floor_ = true;
  }
  const float thr = floor_db_ + (in_phrase_ ? opt_.off_db : opt_.on_db);
  const bool speech = db > thr;
  // Floor: fall fast toward quieter frames, climb slowly otherwise.
  if (db < floor_db_) floor_db_ = 0.5f * floor_db_ + 0.5f * db;
  else floor_db_ = std::min(db, floor_db_ + opt_.rise_db_per_s * float(opt_.frame_ms) / 1000.0f);
  floor_db_ = std::max(floor_db_, opt_.floor_min_db);

  if (speech) {
    if (!in_phrase_) {
      in_phrase_ = true;
      start_frame_ = f;
    }
    last_speech_frame_ = f;
  } else if (in_phrase_ && (f - last_speech_frame_) * opt_.frame_ms >= opt_.min_silence_ms) {
    close(closed, (f + 1) * frame_len_);
  } else if (in_phrase_ && pause_check_ && (f - last_speech_frame_) * opt_.frame_ms >= pause_ms_ &&
             (pause_every_frame_ || pause_checked_ != last_speech_frame_)) {
    pause_checked_ = last_speech_frame_;  // once per pause, unless every frame
    Segment s;
    s.pause = (f - last_speech_frame_) * frame_len_;
    if (phrase((f + 1) * frame_len_, s) && pause_check_(s)) {
      in_phrase_ = false;
      s.early = true;
      prev_end_ = s.end;
      closed.push_back(s);
    }
  }
}

void Vad::feed(const float* x, size_t n, std::vector<Segment>& closed) {
  n_samples_ += int64_t(n);
  size_t i = 0;
  if (!pending_.empty()) {
    const size_t take = std::min(n, size_t(frame_len_) - pending_.size());
    pending_.insert(pending_.end(), x, x + take);
    i = take;
    if (pending_.size() < size_t(frame_len_)) return;
    frame(pending_.data(), closed);
    pending_.clear();
  }
  for (; i + size_t(frame_len_) <= n; i += size_t(frame_len_)) frame(x + i, closed);
  pending_.assign(x + i, x + n);
}

void Vad::finish(std::vector<Segment>& closed) {
  if (in_phrase_) close(closed, n_samples_);
}

std::vector<Segment> detect_phrases(const float* x, size_t n, const VadOptions& opt) {
  Vad v(opt);
  std::vector<Segment> out;
  v.feed(x, n, out);
  v.finish(out);
  return out;
}

}  // namespace sotto::audio
