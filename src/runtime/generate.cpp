// generate.cpp — the prefill/decode loop and the streaming stop-string/UTF-8 hold-back (see generate.h).
#include "runtime/generate.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "models/model.h"
#include "runtime/sampler.h"
#include "text/tokenizer.h"

namespace sotto {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Bytes a UTF-8 sequence starting with lead byte b should have; 1 for ASCII and for invalid leads.
int utf8_len(unsigned char b) {
  if (b < 0xC0) return 1;  // ASCII, or a stray continuation byte (invalid: emitted as is)
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  if (b < 0xF5) return 4;
  return 1;
}

const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::None: return "none";
    case StopReason::Eog: return "eog";
    case StopReason::MaxTokens: return "max-tokens";
    case StopReason::StopString: return "stop-string";
    case StopReason::Cancelled: return "cancelled";
    case StopReason::ContextFull: return "context-full";
  }
  return "?";
}

size_t utf8_complete_prefix(std::string_view s) {
  const size_t n = s.size();
  // Find the last byte that is not a continuation byte, within the last 4 bytes.
  for (size_t back = 1; back <= std::min<size_t>(n, 4); ++back) {
    const size_t j = n - back;
    const auto b = static_cast<unsigned char>(s[j]);
    if ((b & 0xC0) == 0x80) continue;
    return size_t(utf8_len(b)) > back ? j : n;
  }
  return n;  // only continuation bytes: invalid, nothing to wait for
}

// ---- StopMatcher

StopMatcher::StopMatcher(std::vector<std::string> stop) {
  for (auto& s : stop)
    if (!s.empty()) stop_.push_back(std::move(s));
}

std::string StopMatcher::push(std::string_view text) {
  if (stopped_) return {};
  pending_.append(text);
  // A complete stop string: everything before the earliest one is emitted, the rest dropped.
  size_t best = std::string::npos;
  for (const auto& s : stop_) {
    const size_t pos = pending_.find(s);
    if (pos != std::string::npos && pos < best) {
      best = pos;
      matched_ = s;
    }
  }
  if (best != std::string::npos) {
    stopped_ = true;
    pending_.resize(best);
    return flush();
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stop_) {
    for (size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k) {
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  const size_t safe = utf8_complete_prefix(std::string_view(pending_).substr(0, pending_.size() - hold));
  std::string out = pending_.substr(0, safe);
  pending_.erase(0, safe);
  return out;
}

std::string StopMatcher::flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  const size_t ok = utf8_complete_prefix(out);
  if (ok < out.size()) {
    out.resize(ok);
    out += kReplacement;
  }
  return out;
}

// ---- the loop

std::vector<EmbdSpan> spans_in(const std::vector<EmbdSpan>& spans, int pos, int n, int n_embd) {
  std::vector<EmbdSpan> out;
  for (const EmbdSpan& sp : spans) {
    const int a = std::max(sp.pos, pos), b = std::min(sp.pos + sp.n, pos + n);
    if (a < b) out.push_back({a - pos, b - a, sp.rows + size_t(a - sp.pos) * size_t(n_embd)});
  }
  return out;
}

std::vector<float> prefill(Model& model, KvCache& cache, const int32_t* prompt, int n_prompt, int n_batch,
                           const std::vector<EmbdSpan>& prompt_embd) {
  n_batch = std::max(1, n_batch);
  std::vector<float> logits;
  std::vector<EmbdSpan> local;  // the parts of prompt_embd inside one chunk, at chunk positions
  const int n_embd = model.config().n_embd;
  for (const EmbdSpan& sp : prompt_embd) {
    if (sp.pos < 0 || sp.n <= 0 || sp.pos + sp.n > n_prompt || !sp.rows)
      fail("generate: embedding rows at [", std::to_string(sp.pos), ", ", std::to_string(sp.pos + sp.n),
           ") are not inside the prompt of ", std::to_string(n_prompt), " tokens");
  }
  for (int i = 0; i < n_prompt; i += n_batch) {
    const int n = std::min(n_batch, n_prompt - i);
    local = spans_in(prompt_embd, i, n, n_embd);
    logits = local.empty() ? model.forward(cache, prompt + i, n, false)
                           : model.forward_embd(cache, prompt + i, n, local.data(), int(local.size()), false);
  }
  return logits;
}

GenerateResult generate(Model& model, KvCache& cache, const Tokenizer& tokenizer, SamplerChain& sampler,
                        const std::vector<int32_t>& prompt, const GenerateParams& params,
                        const TextCallback& on_text, const std::vector<EmbdSpan>& prompt_embd) {
  GenerateResult res;
  GenerateStats& st = res.stats;
  if (prompt.empty()) fail("generate: empty prompt (at least one token is needed)");
  const int n_prompt = int(prompt.size());
  if (cache.n_past < 0 || int64_t(cache.n_past) + n_prompt > cache.n_ctx)
    fail("generate: prompt of ", std::to_string(n_prompt), " tokens does not fit the context of ",
         std::to_string(cache.n_ctx), " (", std::to_string(cache.n_past), " already used)");
  const int n_batch = std::max(1, params.n_batch);

  sampler.observe_prompt(prompt.data(), n_prompt);

  // Prefill in chunks; only the last chunk's last logits are needed.
  auto t0 = Clock::now();
  std::vector<float> logits = prefill(model, cache, prompt.data(), n_prompt, n_batch, prompt_embd);
  st.prefill_s = seconds_since(t0);
  st.n_prompt = n_prompt;

  StopMatcher matcher(params.stop);
  bool cancelled = false;
  auto emit = [&](const std::string& piece) {
    if (piece.empty() || cancelled) return;
    res.text += piece;
    if (on_text && !on_text(piece)) cancelled = true;
  };

  std::vector<int32_t> batch;  // the sampled token and any forced ones, run in one forward
  for (;;) {
    if (params.max_tokens >= 0 && st.n_generated >= params.max_tokens) {
      st.stop = StopReason::MaxTokens;
      break;
    }
    if (logits.empty()) fail("generate: the model returned no logits");
    t0 = Clock::now();
    const int32_t tok = sampler.sample(logits.data(), int(logits.size()));
    sampler.accept(tok);
    st.sample_s += seconds_since(t0);
    res.tokens.push_back(tok);
    ++st.n_generated;

    if (tokenizer.is_eog(tok)) {
      st.stop = StopReason::Eog;
      break;
    }
    auto take = [&](int32_t t) {  // emits one token's text; false when generation must stop here
      const bool hide = tokenizer.is_special(t) && !params.emit_special;
      emit(matcher.push(hide ? std::string() : tokenizer.token_to_piece(t)));
      if (cancelled) st.stop = StopReason::Cancelled;
      else if (matcher.stopped()) st.stop = StopReason::StopString;
      else if (params.max_tokens >= 0 && st.n_generated >= params.max_tokens) st.stop = StopReason::MaxTokens;
      else if (cache.n_past + int(batch.size()) > cache.n_ctx) st.stop = StopReason::ContextFull;
      return st.stop == StopReason::None;
    };
    batch.assign(1, tok);
    if (!take(tok)) break;
    // Fast-forward: tokens the grammar forces join this step's forward pass.
    if (params.fast_forward) {
      for (int32_t f : sampler.forced_tokens()) {
        if (tokenizer.is_eog(f) || cache.n_past + int(batch.size()) >= cache.n_ctx) break;
        sampler.accept(f);
        res.tokens.push_back(f);
        ++st.n_generated;
        ++st.n_forced;
        batch.push_back(f);
        if (!take(f)) break;
      }
      if (st.stop != StopReason::None) break;
    }
    t0 = Clock::now();
    logits = model.forward(cache, batch.data(), int(batch.size()), false);
    st.decode_s += seconds_since(t0);
    ++st.n_decode;
  }
  if (st.stop != StopReason::Cancelled && st.stop != StopReason::StopString) emit(matcher.flush());
  return res;
}

}  // namespace sotto
