// transcribe.cpp — see transcribe.h. The stream buffer keeps samples from the end of the last closed phrase on (the
// VAD never starts a phrase before the previous one's end), so memory is bounded by the longest phrase plus the
// silence before it.
#include "runtime/transcribe.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "audio/mel.h"
#include "core/error.h"
#include "grammar/matcher.h"
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

}  // namespace

Transcriber::Transcriber(AsrModel& model, const Tokenizer& tok, const TranscribeOptions& opt)
    : model_(model), tok_(tok), opt_(opt), vad_(opt.vad) {
  if (model.config().sample_rate != opt.vad.sample_rate) fail("transcribe: the VAD and the model disagree on the sample rate");
  if (opt.max_phrase_s <= 0.5f) fail("transcribe: max_phrase_s must exceed 0.5 s");
  if (opt.split_phrase_s <= 0.5f) fail("transcribe: split_phrase_s must exceed 0.5 s");
  const AsrConfig& c = model.config();
  if (c.n_mels > 0) {  // Whisper: a phrase must fit the encoder's fixed window
    opt_.max_phrase_s = std::min(opt_.max_phrase_s, float(c.n_mel_frames) * 160.0f / float(c.sample_rate));
  }
  const EndpointOptions& e = opt.endpoint;
  if (e.pause_ms < 0) fail("transcribe: the endpoint pause must not be negative");
  if (e.decode_ms < 0 || e.decode_ms > e.pause_ms || (e.decode_ms > 0 && e.decode_ms < opt.vad.padding_ms)) {
    fail("transcribe: the speculative decode's pause (", std::to_string(e.decode_ms), " ms) must be in [padding ",
         std::to_string(opt.vad.padding_ms), " ms, the endpoint pause ", std::to_string(e.pause_ms), " ms]");
  }
  if (e.pause_ms > 0) {
    const bool early = e.decode_ms > 0 && e.decode_ms < e.pause_ms;
    vad_.set_pause_check(early ? e.decode_ms : e.pause_ms, [this](const audio::Segment& s) { return pause_check(s); },
                         early);
  }
}

// The phrase so far, decoded as its final would be (the same samples, the same options), once per pause (at
// decode_ms when speculative, called again each frame after); it ends early, once the pause reaches pause_ms, when
// the decoder ended it with a likely eos right after a sentence end, or when the caller's check accepts it.
bool Transcriber::pause_check(const audio::Segment& s) {
  if (s.start < buf_start_ || s.end > n_fed_ || s.end <= s.start) return false;
  if (double(s.end - s.start) > double(opt_.split_phrase_s) * opt_.vad.sample_rate) return false;  // would be split
  if (!check_.seg || check_.start != s.start || check_.end != s.end) decode_check(s);
  if (s.pause * 1000 < int64_t(opt_.endpoint.pause_ms) * opt_.vad.sample_rate) return false;
  if (!check_.decided) {
    check_.decided = true;
    if (on_pause_check) on_pause_check(*check_.seg, check_.ended);
  }
  return check_.ended;
}

void Transcriber::decode_check(const audio::Segment& s) {
  const auto t0 = std::chrono::steady_clock::now();
  PhraseDecoder d(model_, tok_, buf_.data() + (s.start - buf_start_), s.end - s.start, opt_.bias);
  while (d.step()) {
  }
  check_.seg = std::make_unique<TranscriptSegment>(std::move(d.segment()));
  check_.ms = ms_since(t0);
  check_.start = s.start;
  check_.end = s.end;
  check_.at = n_fed_;
  check_.decided = false;
  TranscriptSegment& seg = *check_.seg;
  seg.start = s.start;
  seg.end = s.end;
  seg.speech_end = s.speech_end;
  const EndpointOptions& e = opt_.endpoint;
  const char last = seg.text.empty() ? 0 : seg.text.back();
  const bool eos = !seg.hit_token_cap && seg.eos_prob >= e.eos_min && (last == '.' || last == '!' || last == '?');
  check_.ended = eos || (e.complete && e.complete(seg));
  seg.endpoint = eos ? "eos" : check_.ended ? "complete" : "";
}

PhraseDecoder::PhraseDecoder(AsrModel& model, const Tokenizer& tok, const float* x, int64_t n,
                             std::shared_ptr<grammar::CompiledGrammar> bias)
    : model_(model), tok_(tok), bias_(std::move(bias)) {
  const AsrConfig& c = model_.config();
  seg_.end = n;
  const double seconds = double(n) / double(c.sample_rate);
  seconds_ = seconds;
  // Prompt: Whisper's <|startoftranscript|><|en|><|transcribe|><|notimestamps|> when the vocabulary has them, else
  // the model's decoder start token (Moonshine).
  std::vector<int32_t> prompt = {c.decoder_start};
  if (const int32_t sot = tok_.token_id("<|startoftranscript|>"); sot >= 0 && c.n_mels > 0) {
    prompt = {sot};
    for (const char* t : {"<|en|>", "<|transcribe|>", "<|notimestamps|>"}) {
      if (const int32_t id = tok_.token_id(t); id >= 0) prompt.push_back(id);
    }
  }
  prompt_ = prompt;
  const int room = c.n_ctx - int(prompt.size());
  if (room < 1) fail("transcribe: the decoder context (", std::to_string(c.n_ctx), ") has no room after the prompt");
  int cap = c.max_tokens_per_second > 0 ? int(std::ceil(seconds * c.max_tokens_per_second)) : c.n_ctx / 2;
  cap_ = std::max(1, std::min(room, cap));
  const auto t0 = std::chrono::steady_clock::now();
  // Biased decoding may need more tokens than the cap (a command said quickly): room for 32.
  st_ = model_.new_state(int(prompt.size()) + (bias_ ? std::max(cap_, std::min(room, 32)) : cap_));
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
  prob_ = model_.backend().alloc(DType::F32, {1, 1, 1, 1});
  seg_.hit_token_cap = true;
  const auto t1 = std::chrono::steady_clock::now();
  run(prompt.data(), int(prompt.size()));
  decode_ms_ = ms_since(t1);
}

void PhraseDecoder::run(const int32_t* ids, int n) {
  Backend& be = model_.backend();
  const Tensor logits = model_.decode_device(st_, ids, n);
  be.argmax(logits, next_);
  // The chosen token's probability from the same logits: softmax in place (they are not used after this step),
  // then the row of the argmax of the logits seen as a {1, n_vocab} table.
  Tensor probs = logits;
  be.softmax(probs);
  be.get_rows_device(reshape(probs, {1, probs.ne[0], 1, 1}), next_, prob_);
  pending_ = -1;
  pending_p_ = -1;
  be.read(next_, &pending_, sizeof pending_);
  be.read(prob_, &pending_p_, sizeof pending_p_);
  be.sync();
}

// A small beam search under the grammar's mask, on the CPU-read logits; scores are the unconstrained softmax's
// log-probs. Each live hypothesis has its own self-attention cache (a state sharing the free decode's encoded audio
// and cross-attention keys and values); a child copies its parent's rows [0, n_past) before it runs its token.
void PhraseDecoder::decode_biased() {
  TranscriptSegment::Biased& b = seg_.biased;
  b.ran = true;
  constexpr int kBeam = 4;
  const int n_ctx = st_.n_ctx;
  const int32_t eos = tok_.eos();
  Backend& be = model_.backend();
  struct Hyp {
    std::vector<int32_t> tokens;
    double lp = 0;
    std::unique_ptr<grammar::GrammarMatcher> gm;
    std::vector<float> logp;  // next token's log-softmax
    int slot = 0;
  };
  std::vector<AsrState> states(2 * kBeam);
  for (auto& s : states) {
    s = model_.new_state(n_ctx);
    s.cross_k = st_.cross_k;
    s.cross_v = st_.cross_v;
    s.enc = st_.enc;
    s.n_frames = st_.n_frames;
  }
  auto log_softmax = [](std::vector<float>& l) {
    float mx = -INFINITY;
    for (float v : l) mx = std::max(mx, v);
    double z = 0;
    for (float v : l) z += std::exp(double(v - mx));
    const float lse = float(double(mx) + std::log(z));
    for (float& v : l) v -= lse;
  };
  std::vector<Hyp> live(1);
  live[0].gm = std::make_unique<grammar::GrammarMatcher>(bias_);
  live[0].logp = model_.decode(states[0], prompt_.data(), int(prompt_.size()));
  log_softmax(live[0].logp);
  std::vector<float> host;
  bool have_best = false;
  double best_lp = 0;
  std::vector<int32_t> best_tokens;
  int half = 0;  // live hypotheses use slots [half * kBeam, half * kBeam + kBeam)
  for (int step = 0; !live.empty(); step++) {
    struct Cand { int parent; int32_t tok; double lp; };
    std::vector<Cand> cands;
    for (int h = 0; h < int(live.size()); h++) {
      Hyp& y = live[size_t(h)];
      const uint32_t* mask = y.gm->mask();
      const int32_t nv = std::min<int32_t>(int32_t(y.logp.size()), y.gm->n_vocab());
      std::vector<std::pair<float, int32_t>> top;
      for (int32_t id = 0; id < nv; id++) {
        if (id == eos || tok_.is_eog(id) || !((mask[id >> 5] >> (id & 31)) & 1)) continue;
        top.push_back({y.logp[size_t(id)], id});
      }
      const size_t k = std::min<size_t>(kBeam, top.size());
      std::partial_sort(top.begin(), top.begin() + long(k), top.end(), [](auto& x, auto& z) { return x.first > z.first; });
      for (size_t i = 0; i < k; i++) cands.push_back({h, top[i].second, y.lp + double(top[i].first)});
      if (y.gm->can_end() && eos >= 0 && eos < int32_t(y.logp.size())) {  // a finished hypothesis
        const double lp = y.lp + double(y.logp[size_t(eos)]);
        if (!have_best || lp > best_lp) {
          have_best = true;
          best_lp = lp;
          best_tokens = y.tokens;
        }
      }
    }
    std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& z) { return x.lp > z.lp; });
    if (cands.size() > size_t(kBeam)) cands.resize(kBeam);
    // Scores only fall as tokens are added: stop once the best finished hypothesis beats every live one, or
    // when another token would not fit the context.
    if (have_best && (cands.empty() || cands[0].lp <= best_lp)) break;
    if (int(prompt_.size()) + step + 1 >= n_ctx) break;
    const int other = 1 - half;
    std::vector<Hyp> next;
    for (size_t i = 0; i < cands.size(); i++) {
      const Hyp& p = live[size_t(cands[i].parent)];
      Hyp c;
      c.gm = std::make_unique<grammar::GrammarMatcher>(*p.gm);
      if (!c.gm->accept_token(cands[i].tok)) continue;
      c.tokens = p.tokens;
      c.tokens.push_back(cands[i].tok);
      c.lp = cands[i].lp;
      c.slot = other * kBeam + int(i);
      AsrState& src = states[size_t(p.slot)];
      AsrState& dst = states[size_t(c.slot)];
      for (size_t l = 0; l < src.self_k.size(); l++) {
        const size_t nb = size_t(src.n_past) * size_t(src.self_k[l].ne[0]) * sizeof(float);
        host.resize(nb / sizeof(float));
        for (auto [from, to] : {std::pair{&src.self_k[l], &dst.self_k[l]}, std::pair{&src.self_v[l], &dst.self_v[l]}}) {
          be.read(*from, host.data(), nb);
          be.write(*to, host.data(), nb);
        }
      }
      dst.n_past = src.n_past;
      c.logp = model_.decode(dst, &c.tokens.back(), 1);
      log_softmax(c.logp);
      next.push_back(std::move(c));
    }
    live = std::move(next);
    half = other;
  }
  if (have_best) {
    b.complete = true;
    b.tokens = best_tokens;
    b.logprob = best_lp;
    b.n_scored = int(best_tokens.size()) + 1;
  }
  std::string text;
  for (int32_t id : b.tokens) {
    if (!tok_.is_special(id)) text += tok_.token_to_piece(id);
  }
  b.text = trim(speech_text_utf8(text));
}

bool PhraseDecoder::step() {
  if (done_) return false;
  const auto t0 = std::chrono::steady_clock::now();
  const int32_t tok = pending_;
  if (tok < 0 || tok >= model_.config().n_vocab) fail("transcribe: no token read back (settle the backend first)");
  if (pending_p_ > 0) {
    seg_.logprob += std::log(double(pending_p_));
    seg_.n_scored++;
  }
  if (tok_.is_eog(tok) || tok == tok_.eos()) {
    seg_.hit_token_cap = false;
    seg_.eos_prob = std::max(pending_p_, 0.0f);
    done_ = true;
  } else {
    seg_.tokens.push_back(tok);
    seg_.probs.push_back(pending_p_);
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
  seg_.text = trim(speech_text_utf8(text));
  seg_.words = group_words(tok_, seg_.tokens, seg_.probs, seg_.text);
  seg_.flags = speech_flags(seg_.words, seconds_);
  if (bias_) {
    const auto t2 = std::chrono::steady_clock::now();
    decode_biased();
    seg_.biased.ms = ms_since(t2);
    seg_.decode_ms += seg_.biased.ms;
  }
  st_ = AsrState{};  // frees the encoder output and caches now
  return false;
}

TranscriptSegment Transcriber::recognize(const float* x, int64_t n) {
  PhraseDecoder d(model_, tok_, x, n);
  while (d.step()) {
  }
  return std::move(d.segment());
}

std::string seconds_text(int64_t samples) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", double(samples) / 16000.0);
  return b;
}

bool Transcriber::partial(TranscriptSegment& out, int min_ms) {
  audio::Segment s;
  if (current_ || !queue_.empty() || !vad_.open(s)) return false;
  s.end = std::min(s.end, n_fed_);
  if (s.start < buf_start_ || s.end - s.start < int64_t(min_ms) * opt_.vad.sample_rate / 1000) return false;
  out = recognize(buf_.data() + (s.start - buf_start_), s.end - s.start);
  out.start = s.start;
  out.end = s.end;
  return true;
}

// Cut points (ascending, excluding a and b) that split the phrase x[0, n) into parts of at most target samples where
// it has pauses: each cut goes to the centre of the quietest 300 ms window at least min_part from either end of its
// range (so the VAD's padding at the phrase's ends is never taken for a pause), if that window is quiet (its mean
// square under a tenth of the range's). A range longer than max_len without such a pause is split into equal parts.
static void pause_cuts(const std::vector<double>& cum, int64_t a, int64_t b, int64_t target, int64_t max_len,
                       int64_t min_part, std::vector<int64_t>& cuts) {
  const int64_t len = b - a;
  if (len <= target) return;
  constexpr int64_t kWin = 4800, kHop = 160;  // 300 ms (longer than the pause at a comma), 10 ms at 16 kHz
  int64_t best = -1;
  double best_ms = 0;
  for (int64_t c = a + std::max(min_part, kWin / 2); c + std::max(min_part, kWin / 2) <= b; c += kHop) {
    const double ms = (cum[size_t(c + kWin / 2)] - cum[size_t(c - kWin / 2)]) / double(kWin);
    if (best < 0 || ms < best_ms) best = c, best_ms = ms;
  }
  const double range_ms = (cum[size_t(b)] - cum[size_t(a)]) / double(len);
  if (best >= 0 && best_ms < 0.1 * range_ms) {
    pause_cuts(cum, a, best, target, max_len, min_part, cuts);
    cuts.push_back(best);
    pause_cuts(cum, best, b, target, max_len, min_part, cuts);
  } else if (len > max_len) {
    const int64_t parts = (len + max_len - 1) / max_len;
    for (int64_t p = 1; p < parts; p++) cuts.push_back(a + len * p / parts);
  }
}

void Transcriber::queue_phrases(const std::vector<audio::Segment>& closed, std::chrono::steady_clock::time_point t0,
                                const char* why) {
  const double sr = opt_.vad.sample_rate;
  const int64_t max_len = int64_t(double(opt_.max_phrase_s) * sr);
  const int64_t target = std::min(max_len, int64_t(double(opt_.split_phrase_s) * sr));
  for (const audio::Segment& s : closed) {
    if (s.start < buf_start_ || s.end > n_fed_ || s.end <= s.start) {
      fail("transcribe: phrase [", std::to_string(s.start), ", ", std::to_string(s.end), ") outside the buffered audio [",
           std::to_string(buf_start_), ", ", std::to_string(n_fed_), ")");
    }
    const float* x = buf_.data() + (s.start - buf_start_);
    const int64_t len = s.end - s.start;
    std::vector<int64_t> bounds = {0};
    if (len > target) {
      std::vector<double> cum(size_t(len) + 1, 0.0);
      for (int64_t i = 0; i < len; i++) cum[size_t(i) + 1] = cum[size_t(i)] + double(x[i]) * double(x[i]);
      pause_cuts(cum, 0, len, target, max_len, int64_t(sr), bounds);
    }
    bounds.push_back(len);
    for (size_t p = 0; p + 1 < bounds.size(); p++) {
      Job j;
      j.start = s.start + bounds[p];
      j.end = s.start + bounds[p + 1];
      j.speech_end = std::min(j.end, s.speech_end);
      j.known_at = n_fed_;
      j.endpoint = p + 2 < bounds.size() ? "split" : s.early ? "early" : why;
      j.samples.assign(x + bounds[p], x + bounds[p + 1]);
      j.t0 = t0;
      if (bounds.size() == 2 && check_.seg && check_.start == s.start && check_.end == s.end) {
        j.done = std::move(check_.seg);  // the pause check decoded exactly these samples
        j.done_ms = check_.ms;
        j.done_at = check_.at;
        if (!s.early) j.done->endpoint = why;
      }
      queue_.push_back(std::move(j));
    }
    if (check_.start >= 0 && check_.start < s.end) check_ = Check{};  // this phrase's or an earlier one's
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
  queue_phrases(closed, t0, "silence");
}

void Transcriber::push_finish() {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<audio::Segment> closed;
  vad_.finish(closed);
  queue_phrases(closed, t0, "finish");
}

bool Transcriber::step(std::vector<TranscriptSegment>& out) {
  if (!current_) {
    if (queue_.empty()) return false;
    current_job_ = std::move(queue_.front());
    queue_.pop_front();
    if (on_phrase_audio) on_phrase_audio(current_job_.start, current_job_.samples);
    if (current_job_.done) {  // decoded by the pause check: final now
      TranscriptSegment seg = std::move(*current_job_.done);
      seg.start = current_job_.start;
      seg.end = current_job_.end;
      seg.speech_end = current_job_.speech_end;
      seg.known_at = current_job_.known_at;
      seg.decoded_at = current_job_.done_at;
      // In real time that decode began when the pause was heard and ran while the audio up to the close came in.
      const double gap_ms = double(current_job_.known_at - current_job_.done_at) * 1000.0 / opt_.vad.sample_rate;
      seg.latency_ms = std::max(ms_since(current_job_.t0), current_job_.done_ms - gap_ms);
      current_job_ = Job{};
      out.push_back(std::move(seg));
      return !queue_.empty();
    }
    current_ = std::make_unique<PhraseDecoder>(model_, tok_, current_job_.samples.data(),
                                               int64_t(current_job_.samples.size()), opt_.bias);
    return true;  // the prompt's argmax is pending
  }
  if (current_->step()) return true;
  TranscriptSegment seg = std::move(current_->segment());
  current_.reset();
  seg.start = current_job_.start;
  seg.end = current_job_.end;
  seg.speech_end = current_job_.speech_end;
  seg.known_at = current_job_.known_at;
  seg.decoded_at = current_job_.known_at;
  seg.endpoint = current_job_.endpoint;
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
    queue_phrases({s}, std::chrono::steady_clock::now(), s.end < int64_t(n) ? "silence" : "finish");
    run_all(out);
    if (progress) progress(s.end, int64_t(n));
  }
  if (progress) progress(int64_t(n), int64_t(n));
  return out;
}

}  // namespace sotto
