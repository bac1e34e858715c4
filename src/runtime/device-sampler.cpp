// device-sampler.cpp — see device-sampler.h.
#include "runtime/device-sampler.h"

#include <chrono>

#include "core/error.h"

namespace sotto {

DeviceSampler::DeviceSampler(const SamplerParams& params, std::shared_ptr<grammar::CompiledGrammar> grammar,
                             const Tokenizer* tok, std::unique_ptr<MaskLink> link)
    : sp_(params), link_(std::move(link)), rng_(params.seed) {
  if (link_ && !grammar) fail("DeviceSampler: a mask link needs a grammar");
  (void)make_chain(params);  // the CPU's parameter checks, with its messages
  penalties_ = params.repeat_penalty != 1.0f || params.frequency_penalty != 0.0f || params.presence_penalty != 0.0f;
  const bool draw = params.temperature > 0.0f;
  if (draw && (params.top_k < 1 || params.top_k > 256)) {
    fail("sampling on the GPU needs top_k in 1..256 (got ", std::to_string(params.top_k),
         "): the GPU keeps at most 256 candidates");
  }
  if (grammar) grammar_ = make_grammar_sampler(std::move(grammar), tok);
  gp_.draw = draw;
  gp_.top_k = draw ? params.top_k : 1;
  gp_.top_p = params.top_p;
  gp_.min_p = params.min_p;
  gp_.inv_temp = draw ? 1.0f / params.temperature : 1.0f;
  gp_.repeat = params.repeat_penalty;
  gp_.frequency = params.frequency_penalty;
  gp_.presence = params.presence_penalty;
}

void DeviceSampler::observe_prompt(const int32_t* ids, int n) {
  for (int i = 0; i < n; ++i) {
    if (!penalties_ || sp_.repeat_last_n == 0) return;
    window_.push_back(ids[i]);
    ++counts_[ids[i]];
    if (sp_.repeat_last_n > 0 && window_.size() > size_t(sp_.repeat_last_n)) {
      auto it = counts_.find(window_.front());
      if (--it->second == 0) counts_.erase(it);
      window_.pop_front();
    }
  }
}

const GpuSampleParams& DeviceSampler::step(int32_t n_logits) {
  ++n_steps_;
  gp_.penalties.clear();
  if (penalties_)
    for (const auto& [id, c] : counts_) gp_.penalties.emplace_back(id, c);
  gp_.mask = nullptr;
  // Top-k leaves the candidates unsorted (in id order) when they are at most k, and with top-p off nothing
  // sorts them before the draw: the GPU must then walk them in id order too.
  gp_.id_order = gp_.draw && sp_.top_p >= 1.0f && n_logits <= gp_.top_k;
  if (grammar_) {
    const auto t0 = std::chrono::steady_clock::now();
    grammar::GrammarMatcher& m = grammar_->matcher();
    const uint32_t* mask = m.mask();
    packed_.resize(grammar::packed_mask_words(n_logits));
    grammar::pack_mask_for_logits(mask, m.n_vocab(), n_logits, packed_.data());
    gp_.mask = packed_.data();
    mask_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The CPU grammar link keeps only the allowed tokens, in id order, when fewer than half are allowed or
    // the row is padded (GrammarSampler::apply); else all n_logits stay, the forbidden ones at -inf.
    // (counted only where the draw walks them: with top-p off)
    const bool walk = gp_.draw && sp_.top_p >= 1.0f;
    size_t allowed = 0;
    if (walk)
      for (int32_t w = 0; w < m.n_words(); ++w) allowed += size_t(__builtin_popcount(mask[w]));
    const bool gathered = n_logits != m.n_vocab() || allowed * 2 < size_t(m.n_vocab());
    size_t candidates = gathered ? allowed : size_t(n_logits);
    if (const uint32_t* lm = link_ ? link_->device_mask() : nullptr) {
      // The CPU link keeps, in id order, the candidates its mask allows: the allowed tokens (gathered) or every
      // token of its mask (the grammar's forbidden ones stay at -inf); nothing the grammar allows: the grammar's.
      narrowed_.resize(packed_.size());
      size_t both = 0, in_link = 0;
      for (int32_t w = 0; w < m.n_words(); ++w) {
        narrowed_[size_t(w)] = packed_[size_t(w)] & lm[w];
        both += size_t(__builtin_popcount(narrowed_[size_t(w)]));
        in_link += size_t(__builtin_popcount(lm[w]));
      }
      for (size_t w = size_t(m.n_words()); w < narrowed_.size(); ++w) narrowed_[w] = 0;
      if (both == 0) {
        link_->device_fallback();
      } else {
        gp_.mask = narrowed_.data();
        candidates = gathered ? both : in_link;
      }
    }
    if (walk) gp_.id_order = candidates <= size_t(gp_.top_k);
  }
  if (gp_.draw) gp_.u = float(rng_.next_double());
  return gp_;
}

void DeviceSampler::accept(int32_t id) {
  if (grammar_) grammar_->accept(id);
  if (link_) link_->accept(id);
  observe_prompt(&id, 1);
}

std::vector<int32_t> DeviceSampler::forced_tokens() {
  return grammar_ ? grammar_->forced_tokens() : std::vector<int32_t>{};
}

}  // namespace sotto
