// evidence.cpp — see evidence.h.
#include "scribe/evidence.h"

#include <limits>

namespace sotto {

EvidenceSampler::EvidenceSampler(std::shared_ptr<const grammar::TokenTrie> trie, const json::Value& schema,
                                 std::string_view source)
    : trie_(std::move(trie)), cursor_(schema, source), mask_(size_t(trie_->n_words())) {}

void EvidenceSampler::apply(Candidates& c) {
  if (!cursor_.constrained()) return;
  const auto t0 = std::chrono::steady_clock::now();
  stats_.nodes += grammar::evidence_mask(*trie_, cursor_.automaton(), cursor_.pos(), mask_.data());
  stats_.mask_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++stats_.masks;
  const int32_t n_vocab = trie_->n_vocab();
  auto allowed = [&](int32_t id) { return id >= 0 && id < n_vocab && ((mask_[size_t(id) >> 5] >> (id & 31)) & 1); };
  const float ninf = -std::numeric_limits<float>::infinity();
  size_t live = 0;
  for (const TokenData& d : c.data) live += d.logit != ninf && allowed(d.id);
  if (live == 0) {  // the grammar and the transcript share no token here: the grammar decides
    ++stats_.fallbacks;
    return;
  }
  size_t kept = 0;
  for (size_t i = 0; i < c.data.size(); ++i) {
    if (allowed(c.data[i].id)) c.data[kept++] = c.data[i];
  }
  c.data.resize(kept);
  c.has_probs = false;
  c.selected = -1;
}

void EvidenceSampler::accept(int32_t token) {
  if (token < 0 || token >= trie_->n_vocab() || trie_->is_eog(token)) return;
  cursor_.accept(trie_->piece(token));
}

void EvidenceSampler::reset() {
  cursor_.reset();
  stats_ = {};
}

EvidenceStats EvidenceSampler::stats() const {
  EvidenceStats s = stats_;
  s.values = cursor_.n_values() + cursor_.n_left_source();
  s.left_source = cursor_.n_left_source();
  return s;
}

}  // namespace sotto
