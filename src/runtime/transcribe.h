// transcribe.h — speech to text with an AsrModel: the energy VAD (audio/vad.h) cuts 16 kHz mono audio into phrases;
// each closed phrase is encoded and greedily decoded (at most max_tokens_per_second tokens per second of audio, as
// Moonshine caps it; Whisper: half its decoder context, after the prompt <|startoftranscript|><|en|><|transcribe|>
// <|notimestamps|>, on the log-mel of the phrase zero-padded to its 30 s window) into a segment with start/end times and text. Works on a whole buffer or on a stream fed in
// chunks of any size; the segments are the same either way (the VAD is chunk-invariant and each phrase is decoded
// from exactly its own samples). Phrases longer than split_phrase_s are cut at their quietest moments where those are
// pauses (a speaker who pauses less than the VAD's min_silence_ms between sentences gives long phrases; a small model
// trained on short utterances transcribes the parts far better); parts still longer than max_phrase_s (for Whisper
// at most its window) are split into equal parts.
// Early end of speech (EndpointOptions): when a phrase has paused for endpoint.pause_ms (less than the VAD's
// min_silence_ms), the phrase so far is decoded at once, as its final would be; if the evidence says it is complete
// (the decoder ended it with a likely eos after a sentence end, or the caller's check, e.g. the text is a command),
// the phrase closes there with that decode as its final text; otherwise it waits for the VAD's full silence and, if
// no speech came back, reuses the same decode (same samples: the pause is at least the VAD's padding). With
// endpoint.decode_ms that decode runs earlier in the pause, while the rest of it comes in; the decision waits for
// pause_ms.
// Does not: read files, resample (feed 16 kHz), sample stochastically, or decode incrementally (partial() and the
// pause check decode the phrase from its start).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audio/vad.h"
#include "models/asr-model.h"
#include "runtime/speech-confidence.h"

namespace sotto {

class Tokenizer;
namespace grammar {
class CompiledGrammar;
}

struct TranscriptSegment;

// End of speech before the VAD's full wait (docs/voice.md, "End of speech"). Synchronous backends only (the CPU):
// the pause check decodes inside feed().
struct EndpointOptions {
  int pause_ms = 0;      // 0: off; else the silence after which the phrase is checked, in [vad.padding_ms, vad.min_silence_ms)
  // Speculative decode: the phrase so far is decoded at this shorter pause (in [vad.padding_ms, pause_ms]; 0: at
  // pause_ms), so that its text is ready when the pause reaches pause_ms, where the end is decided with it (the
  // samples are the same: the VAD's padding ends before either pause). A pause that does not last costs a decode.
  int decode_ms = 0;
  float eos_min = 2.0f;  // the decoder's signal: its eos probability at least this after text ending in . ! or ? (> 1: off)
  // The caller's signal, e.g. voice: the text (or the biased decode's choice) is a command of the set.
  std::function<bool(const TranscriptSegment&)> complete;
};

struct TranscribeOptions {
  audio::VadOptions vad;
  EndpointOptions endpoint;
  // Biased decoding: when set, each closed phrase (not partials) is decoded a second time, greedily under this
  // grammar's token mask (e.g. a command set's phrases, voice/command-grammar.h), from the same encoded audio;
  // TranscriptSegment::biased holds the result. Not thread-safe: one Transcriber per grammar at a time.
  std::shared_ptr<grammar::CompiledGrammar> bias;
  float split_phrase_s = 16.0f;  // longer phrases are cut at their pauses (quiet 300 ms windows)
  float max_phrase_s = 20.0f;   // no part is longer than this
};

struct TranscriptSegment {
  int64_t start = 0, end = 0;      // samples from the stream start, [start, end)
  std::vector<int32_t> tokens;     // generated ids (no start token, no eos)
  std::string text;                // decoded; valid UTF-8 (U+FFFD for stray bytes), no control chars, trimmed
  bool hit_token_cap = false;      // stopped by the tokens-per-second cap, not by eos
  float eos_prob = 0;              // the probability of the eos that ended the decode (0 when the cap ended it)
  std::vector<float> probs;        // per token: its probability under the step's softmax (speech-confidence.h)
  std::vector<TranscriptWord> words;  // the text's words with their confidence
  std::vector<SpeechFlag> flags;      // hallucination guards: word spans with a reason (text is never removed)
  // Sum of the log-probabilities of the tokens and of the eos that ended them (when one did), and their count.
  double logprob = 0;
  int n_scored = 0;
  // The second, grammar-constrained decode (TranscribeOptions::bias): its tokens and text, whether it ended with
  // eos where the grammar could end (complete), its log-prob under the model's unconstrained distribution (eos
  // included), and its wall time (included in decode_ms and latency_ms).
  struct Biased {
    bool ran = false, complete = false;
    std::vector<int32_t> tokens;
    std::string text;
    double logprob = 0;
    int n_scored = 0;
    double ms = 0;
  } biased;
  double encode_ms = 0, decode_ms = 0;  // wall time spent on this segment
  // Moonshine's latency: wall time from the moment the end of the phrase is known (the start of the feed() or
  // finish() call whose samples let the VAD close it) to its final text. Excludes the VAD's hangover (the
  // min_silence_ms of silence it waits for before it marks the end).
  // With an endpoint (the pause check's decode reused), the wall time of that decode less the audio that came
  // between the check and the close, if more (the decode, started at the pause, finishes after the close).
  double latency_ms = 0;
  int64_t speech_end = 0;  // the end of the last speech frame (samples): the end of speech
  int64_t known_at = 0;    // samples fed by the end of the feed() call that closed the phrase (end of speech known)
  int64_t decoded_at = 0;  // samples fed when its text was decoded: known_at, or earlier when a pause check decoded it
  std::string endpoint;    // why it closed: "silence" (the VAD's full wait), "eos" or "complete" (early), "split", "finish"
  double t_start() const { return double(start) / 16000.0; }
  double t_end() const { return double(end) / 16000.0; }
};

// A time in samples at 16 kHz as the transcript's JSON writes it: seconds with 3 decimals ("1.770").
std::string seconds_text(int64_t samples);

// Greedy decoding of one phrase, one token per step(), for hosts that must return to an event loop between tokens
// (the wasm host waits for the GPU there). The constructor encodes the samples, runs the prompt and records the
// argmax of the logits on the backend plus a read of it (and of its probability: softmax of the logits in place,
// then the row of the argmax as a device-side gather, 4 more bytes); step() consumes that token (the read must be complete:
// at once on the CPU, after the host settles the GPU otherwise) and, unless the phrase ends, runs it and records
// the next argmax. Transcriber::recognize is this loop run to the end.
class PhraseDecoder {
 public:
  // bias: a grammar to decode the phrase a second time under, once the free decode is done (see TranscribeOptions).
  PhraseDecoder(AsrModel& model, const Tokenizer& tok, const float* x, int64_t n,
                std::shared_ptr<grammar::CompiledGrammar> bias = nullptr);
  // Returns false when the phrase is done (eos or the token cap); segment() is then final.
  bool step();
  bool done() const { return done_; }
  // tokens and text (final once done()), timings (engine-side: with a GPU backend that records work and returns,
  // encode_ms/decode_ms are recording times, not GPU time); start = 0, end = n.
  TranscriptSegment& segment() { return seg_; }

 private:
  void run(const int32_t* ids, int n);  // decode + argmax + its probability + deferred reads of both
  void decode_biased();                 // the second decode, on the same encoded audio (st_)
  AsrModel& model_;
  const Tokenizer& tok_;
  std::shared_ptr<grammar::CompiledGrammar> bias_;
  std::vector<int32_t> prompt_;
  AsrState st_;
  Tensor next_;           // I32 {1}: argmax of the last logits, on the backend
  Tensor prob_;           // F32 {1, 1}: softmax(logits)[argmax], on the backend
  int32_t pending_ = -1;  // its value once read
  float pending_p_ = -1;  // and the probability's
  int cap_ = 0;
  double seconds_ = 0;  // the phrase's audio
  bool done_ = false;
  double decode_ms_ = 0;
  TranscriptSegment seg_;
};

class Transcriber {
 public:
  Transcriber(AsrModel& model, const Tokenizer& tok, const TranscribeOptions& opt = {});
  Transcriber(const Transcriber&) = delete;  // the VAD's pause check points here
  Transcriber& operator=(const Transcriber&) = delete;

  // Streaming: feeds samples; returns the segments of phrases that closed during this call.
  std::vector<TranscriptSegment> feed(const float* x, size_t n);
  // Ends the stream: returns the segment of the phrase still open, if any.
  std::vector<TranscriptSegment> finish();
  // Samples fed so far.
  int64_t n_fed() const { return n_fed_; }
  // TranscribeOptions::bias for the phrases decoded from now on (null: off).
  void set_bias(std::shared_ptr<grammar::CompiledGrammar> bias) { opt_.bias = std::move(bias); }

  // Whole buffer: feed(x, n) then finish(); progress(samples done, total) is called as phrases complete.
  std::vector<TranscriptSegment> transcribe(const float* x, size_t n,
                                            const std::function<void(int64_t, int64_t)>& progress = {});

  // Greedy transcription of exactly these samples (zero-padded to the model's minimum length).
  TranscriptSegment recognize(const float* x, int64_t n);

  // A partial transcript of the phrase being spoken: the open phrase's audio so far (its start to the last sample
  // fed), recognised; false when no phrase is open, it is under min_ms long, or decoding is queued (deferred mode).
  // Changes nothing: the phrase's final text still comes from feed()/finish(), the same as without partials.
  bool partial(TranscriptSegment& out, int min_ms = 300);

  // Deferred mode, for hosts that wait for the GPU between decode steps: push() runs the VAD and queues the phrases
  // that close (nothing is decoded); push_finish() ends the stream; step() advances the queued work by one decode
  // step and appends the segments it completes; it returns true while work remains (the host completes the
  // backend's pending read, then calls again). feed() is push() then step() until it returns false. Latency counts
  // from the start of the push() call that closed the phrase.
  void push(const float* x, size_t n);
  void push_finish();
  bool step(std::vector<TranscriptSegment>& out);
  // Phrases (or parts) queued and not yet completed, the one being decoded included.
  size_t n_queued() const { return queue_.size() + (current_ ? 1 : 0); }

  // Test hook: called with each phrase's samples just before it is recognized.
  std::function<void(int64_t start, const std::vector<float>& samples)> on_phrase_audio;
  // Called with each pause check's decode (start/end set) and whether it ended the phrase.
  std::function<void(const TranscriptSegment& seg, bool ended)> on_pause_check;

 private:
  struct Job {
    int64_t start = 0, end = 0, speech_end = 0, known_at = 0;
    std::string endpoint;
    std::vector<float> samples;
    std::chrono::steady_clock::time_point t0;
    std::unique_ptr<TranscriptSegment> done;  // the pause check's decode of exactly these samples
    double done_ms = 0;                       // its wall time
    int64_t done_at = 0;                      // samples fed when it ran
  };
  // The last pause check: its phrase, decode, wall time and the samples fed when it ran.
  struct Check {
    int64_t start = -1, end = -1, at = 0;
    std::unique_ptr<TranscriptSegment> seg;
    double ms = 0;
    bool ended = false;    // the evidence says complete (decided at pause_ms)
    bool decided = false;  // the pause reached pause_ms (on_pause_check called)
  };
  bool pause_check(const audio::Segment& s);
  void decode_check(const audio::Segment& s);  // decodes the phrase so far into check_
  void queue_phrases(const std::vector<audio::Segment>& closed, std::chrono::steady_clock::time_point t0,
                     const char* why);
  void run_all(std::vector<TranscriptSegment>& out);

  AsrModel& model_;
  const Tokenizer& tok_;
  TranscribeOptions opt_;
  audio::Vad vad_;
  std::vector<float> buf_;  // samples [buf_start_, n_fed_)
  int64_t buf_start_ = 0;
  int64_t n_fed_ = 0;
  std::deque<Job> queue_;                   // closed phrases (split into parts) waiting to be decoded
  std::unique_ptr<PhraseDecoder> current_;  // the part being decoded
  Job current_job_;
  Check check_;
};

}  // namespace sotto
