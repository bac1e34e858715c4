// generate.h — the text generation loop: prefill a prompt in chunks, then sample and decode one token at a
// time, streaming text pieces to a callback.
// Stops on: an end-of-generation token (not emitted), max_tokens, a stop string (not emitted; it may span
// token boundaries), the callback returning false, or a full context.
// Streaming contract: text that could still become the start of a stop string is held back until it cannot;
// the callback never receives a split UTF-8 sequence (an incomplete sequence left at the very end of
// generation is emitted as U+FFFD). Special (control) tokens are not emitted unless emit_special.
// After return the cache holds the prompt and every generated token except the last one sampled (which was
// never run through the model).
// Does not: tokenize the prompt or apply chat templates (the caller does), or own the model/cache/sampler.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "models/model.h"

namespace sotto {

class Tokenizer;
class SamplerChain;

struct GenerateParams {
  int max_tokens = 256;            // < 0: until the context is full
  int n_batch = 256;               // prefill chunk size (tokens per forward call)
  std::vector<std::string> stop;   // stop strings (empty ones are ignored)
  bool emit_special = false;       // pass the text of special tokens to the callback
  // When the sampler chain forces the next tokens (a grammar with a single continuation), take them
  // without sampling and run them through the model together with the sampled token in one forward.
  bool fast_forward = true;
};

enum class StopReason { None, Eog, MaxTokens, StopString, Cancelled, ContextFull };
const char* stop_reason_name(StopReason r);  // "eog", "max-tokens", "stop-string", "cancelled", "context-full"

struct GenerateStats {
  int n_prompt = 0;        // tokens prefilled
  int n_generated = 0;     // tokens sampled (including a final eog token)
  int n_decode = 0;        // forward calls after the prefill (one per sampled token)
  int n_forced = 0;        // tokens taken without sampling (fast-forward), included in n_generated
  double prefill_s = 0.0;  // forward time of the prompt, including the first logits
  double decode_s = 0.0;   // time of the decode forward calls
  double sample_s = 0.0;   // time in the sampler chain
  StopReason stop = StopReason::None;
  double prefill_tps() const { return prefill_s > 0 ? n_prompt / prefill_s : 0.0; }
  double decode_tps() const { return decode_s > 0 ? n_decode / decode_s : 0.0; }
};

struct GenerateResult {
  GenerateStats stats;
  std::vector<int32_t> tokens;  // every sampled token, in order (an eog token included)
  std::string text;             // exactly the concatenation of what the callback received
};

// Receives one piece of text; returning false cancels generation (StopReason::Cancelled).
using TextCallback = std::function<bool(std::string_view piece)>;

// Runs `prompt` (at positions cache.n_past..) and generates. The sampler chain learns the prompt through
// observe_prompt() and each sampled token through accept(). Throws Error when the prompt is empty or does
// not fit in the context ("prompt of 5000 tokens does not fit the context of 4096 (0 already used)").
// prompt_embd: embedding rows that replace the prompt's token embeddings at their positions (0 = the prompt's first
// token; image features at the <image> tokens, runtime/vision-prompt.h); the prefill splits them across chunks.
GenerateResult generate(Model& model, KvCache& cache, const Tokenizer& tokenizer, SamplerChain& sampler,
                        const std::vector<int32_t>& prompt, const GenerateParams& params,
                        const TextCallback& on_text = {}, const std::vector<EmbdSpan>& prompt_embd = {});

// generate()'s prefill alone: prompt[0..n) at cache.n_past.. in forward calls of n_batch tokens, the spans of
// prompt_embd cut at the chunk boundaries; returns the last position's logits. Throws Error when a span is not
// inside the prompt (fitting the context is the caller's check).
std::vector<float> prefill(Model& model, KvCache& cache, const int32_t* prompt, int n, int n_batch,
                           const std::vector<EmbdSpan>& prompt_embd = {});
// The parts of spans (rows n_embd wide, positions from the prompt's start) inside positions [pos, pos + n), at
// positions from pos: what one prefill chunk takes.
std::vector<EmbdSpan> spans_in(const std::vector<EmbdSpan>& spans, int pos, int n, int n_embd);

// ---- streaming helpers (exposed for tests and other loops)

// The length of the longest prefix of s that does not end inside an incomplete (but so far valid) UTF-8
// sequence. Invalid bytes count as complete, so they are never held back forever.
size_t utf8_complete_prefix(std::string_view s);

// Holds generated text back until it cannot be (part of) a stop string or a split UTF-8 sequence.
class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stop);
  // Appends text; returns the part that is now safe to emit. After a stop string is found, stopped()
  // is true, the returned text is everything before it, and further input is ignored.
  std::string push(std::string_view text);
  // The held-back tail at the end of generation (an incomplete UTF-8 tail becomes U+FFFD).
  std::string flush();
  bool stopped() const { return stopped_; }
  const std::string& matched() const { return matched_; }  // the stop string that was found

 private:
  std::vector<std::string> stop_;
  std::string pending_;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace sotto
