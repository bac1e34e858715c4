// transcribe.cpp — see transcribe.h. The stream buffer keeps samples from the end of the last closed phrase on (the
// VAD never starts a phrase before the previous one's end), so memory is bounded by the longest phrase plus the
// silence before it.
#include "runtime/transcribe.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "audio/mel.h"
#include "core/error.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace sotto {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\n')) a++;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\n')) b--;
  return s.substr(a, b - a);
}

// Invalid UTF-8 (byte-fallback tokens that do not form a character) becomes U+FFFD and control characters a space,
// so every output is valid one-line text.
std::string valid_utf8(const std::string& s) {
  std::string o;
  for (const unicode::CodePoint& c : unicode::decode_utf8(s)) {
    append_utf8(o, c.cp == unicode::kInvalid ? 0xFFFDu : c.cp < 0x20 || c.cp == 0x7F ? uint32_t(' ') : c.cp);
  }
  return o;
}

}  // namespace

Transcriber::Transcriber(AsrModel& model, const Tokenizer& tok, const TranscribeOptions& opt)
    : model_(model), tok_(tok), opt_(opt), vad_(opt.vad) {
  if (model.config().sample_rate != opt.vad.sample_rate) fail("transcribe: the VAD and the model disagree on the sample rate");
  if (opt.max_phrase_s <= 0.5f) fail("transcribe: max_phrase_s must exceed 0.5 s");
  const AsrConfig& c = model.config();
  if (c.n_mels > 0) {  // Whisper: a phrase must fit the encoder's fixed window
    opt_.max_phrase_s = std::min(opt_.max_phrase_s, float(c.n_mel_frames) * 160.0f / float(c.sample_rate));
  }
}

PhraseDecoder::PhraseDecoder(AsrModel& model, const Tokenizer& tok, const float* x, int64_t n)
    : model_(model), tok_(tok) {
  const AsrConfig& c = model_.config();
  seg_.end = n;
  const double seconds = double(n) / double(c.sample_rate);
  // Prompt: Whisper's <|startoftranscript|><|en|><|transcribe|><|notimestamps|> when the vocabulary has them, else
  // the model's decoder start token (Moonshine).
  std::vector<int32_t> prompt = {c.decoder_start};
  if (const int32_t sot = tok_.token_id("<|startoftranscript|>"); sot >= 0 && c.n_mels > 0) {
    prompt = {sot};
    for (const char* t : {"<|en|>", "<|transcribe|>", "<|notimestamps|>"}) {
      if (const int32_t id = tok_.token_id(t); id >= 0) prompt.push_back(id);
    }
  }
  const int room = c.n_ctx - int(prompt.size());
  if (room < 1) fail("transcribe: the decoder context (", std::to_string(c.n_ctx), ") has no room after the prompt");
  int cap = c.max_tokens_per_second > 0 ? int(std::ceil(seconds * c.max_tokens_per_second)) : c.n_ctx / 2;
  cap_ = std::max(1, std::min(room, cap));
  const auto t0 = std::chrono::steady_clock::now();
  st_ = model_.new_state(int(prompt.size()) + cap_);
  if (c.n_mels > 0) {
    // Whisper: log-mel of the phrase zero-padded to the encoder's fixed window, as [frames][mels].
    const int64_t window = int64_t(c.n_mel_frames) * 160;
    if (n > window) fail("transcribe: a ", std::to_string(n), "-sample phrase exceeds the model's window");
    std::vector<float> padded(size_t(window), 0.0f);
    std::copy(x, x + n, padded.begin());
    audio::MelOptions mo;
    mo.n_mels = c.n_mels;
    const audio::LogMel mel = audio::MelSpectrogram(mo).compute(padded.data(), padded.size());
    std::vector<float> frames(size_t(mel.n_frames) * size_t(mel.n_mels));
    for (int m = 0; m < mel.n_mels; m++) {
      for (int t = 0; t < mel.n_frames; t++) frames[size_t(t) * size_t(mel.n_mels) + size_t(m)] = mel.data[size_t(m) * size_t(mel.n_frames) + size_t(t)];
    }
    model_.encode_mel(st_, frames.data(), mel.n_frames);
  } else {
    std::vector<float> padded;
    if (n < model_.min_samples()) {
      padded.assign(size_t(model_.min_samples()), 0.0f);
      std::copy(x, x + n, padded.begin());
      x = padded.data();
      n = model_.min_samples();
    }
    model_.encode(st_, x, n);
  }
  seg_.encode_ms = ms_since(t0);
  next_ = model_.backend().alloc(DType::I32, {1, 1, 1, 1});
  seg_.hit_token_cap = true;
  run(prompt.data(), int(prompt.size()));
}

void PhraseDecoder::run(const int32_t* ids, int n) {
  const auto t0 = std::chrono::steady_clock::now();
  Backend& be = model_.backend();
  const Tensor logits = model_.decode_device(st_, ids, n);
  be.argmax(logits, next_);
  pending_ = -1;
  be.read(next_, &pending_, sizeof pending_);
  be.sync();
  decode_ms_ += ms_since(t0);
}

bool PhraseDecoder::step() {
  if (done_) return false;
  const auto t0 = std::chrono::steady_clock::now();
  const int32_t tok = pending_;
  if (tok < 0 || tok >= model_.config().n_vocab) fail("transcribe: no token read back (settle the backend first)");
  if (tok_.is_eog(tok) || tok == tok_.eos()) {
    seg_.hit_token_cap = false;
    done_ = true;
  } else {
    seg_.tokens.push_back(tok);
    if (int(seg_.tokens.size()) < cap_) {
      run(&tok, 1);
    } else {
      done_ = true;
    }
  }
  decode_ms_ += ms_since(t0);
  if (!done_) return true;
  seg_.decode_ms = decode_ms_;
  std::string text;
  for (int32_t id : seg_.tokens) {
    if (!tok_.is_special(id)) text += tok_.token_to_piece(id);
  }
  seg_.text = trim(valid_utf8(text));
  st_ = AsrState{};  // frees the encoder output and caches now
  return false;
}

TranscriptSegment Transcriber::recognize(const float* x, int64_t n) {
  PhraseDecoder d(model_, tok_, x, n);
  while (d.step()) {
  }
  return std::move(d.segment());
}

void Transcriber::queue_phrases(const std::vector<audio::Segment>& closed, std::chrono::steady_clock::time_point t0) {
  const int64_t max_len = int64_t(double(opt_.max_phrase_s) * opt_.vad.sample_rate);
  for (const audio::Segment& s : closed) {
    if (s.start < buf_start_ || s.end > n_fed_ || s.end <= s.start) {
      fail("transcribe: phrase [", std::to_string(s.start), ", ", std::to_string(s.end), ") outside the buffered audio [",
           std::to_string(buf_start_), ", ", std::to_string(n_fed_), ")");
    }
    const int64_t len = s.end - s.start;
    const int64_t parts = (len + max_len - 1) / max_len;
    for (int64_t p = 0; p < parts; p++) {
      const int64_t a = s.start + len * p / parts, b = s.start + len * (p + 1) / parts;
      Job j;
      j.start = a;
      j.end = b;
      j.samples.assign(buf_.begin() + (a - buf_start_), buf_.begin() + (b - buf_start_));
      j.t0 = t0;
      queue_.push_back(std::move(j));
    }
    // Nothing before this phrase's end is needed again.
    buf_.erase(buf_.begin(), buf_.begin() + (s.end - buf_start_));
    buf_start_ = s.end;
  }
}

void Transcriber::push(const float* x, size_t n) {
  const auto t0 = std::chrono::steady_clock::now();
  buf_.insert(buf_.end(), x, x + n);
  n_fed_ += int64_t(n);
  std::vector<audio::Segment> closed;
  vad_.feed(x, n, closed);
  queue_phrases(closed, t0);
}

void Transcriber::push_finish() {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<audio::Segment> closed;
  vad_.finish(closed);
  queue_phrases(closed, t0);
}

bool Transcriber::step(std::vector<TranscriptSegment>& out) {
  if (!current_) {
    if (queue_.empty()) return false;
    current_job_ = std::move(queue_.front());
    queue_.pop_front();
    if (on_phrase_audio) on_phrase_audio(current_job_.start, current_job_.samples);
    current_ = std::make_unique<PhraseDecoder>(model_, tok_, current_job_.samples.data(),
                                               int64_t(current_job_.samples.size()));
    return true;  // the prompt's argmax is pending
  }
  if (current_->step()) return true;
  TranscriptSegment seg = std::move(current_->segment());
  current_.reset();
  seg.start = current_job_.start;
  seg.end = current_job_.end;
  seg.latency_ms = ms_since(current_job_.t0);
  current_job_ = Job{};
  out.push_back(std::move(seg));
  return !queue_.empty();
}

void Transcriber::run_all(std::vector<TranscriptSegment>& out) {
  while (step(out)) {
  }
}

std::vector<TranscriptSegment> Transcriber::feed(const float* x, size_t n) {
  push(x, n);
  std::vector<TranscriptSegment> out;
  run_all(out);
  return out;
}

std::vector<TranscriptSegment> Transcriber::finish() {
  push_finish();
  std::vector<TranscriptSegment> out;
  run_all(out);
  return out;
}

std::vector<TranscriptSegment> Transcriber::transcribe(const float* x, size_t n,
                                                       const std::function<void(int64_t, int64_t)>& progress) {
  // VAD over everything first (cheap), then the phrases one by one so progress can be reported.
  std::vector<audio::Segment> closed;
  buf_.insert(buf_.end(), x, x + n);
  n_fed_ += int64_t(n);
  vad_.feed(x, n, closed);
  vad_.finish(closed);
  std::vector<TranscriptSegment> out;
  if (progress) progress(0, int64_t(n));
  for (const audio::Segment& s : closed) {
    queue_phrases({s}, std::chrono::steady_clock::now());
    run_all(out);
    if (progress) progress(s.end, int64_t(n));
  }
  if (progress) progress(int64_t(n), int64_t(n));
  return out;
}

}  // namespace sotto
