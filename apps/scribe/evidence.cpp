// evidence.cpp — see evidence.h.
#include "scribe/evidence.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace sotto {

namespace {

std::string lower(std::string_view w) {
  std::string s(w);
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string without_disfluencies(std::string_view transcript) {
  static const std::vector<std::vector<std::string>> fillers = {
      {"um,"}, {"uh,"}, {"er,"}, {"erm,"}, {"right,"}, {"like,"}, {"you", "know,"}, {"sort", "of,"}, {"i", "mean,"},
      {"okay", "so,"}};
  // Words split at single spaces (newlines stay inside words: a turn's label is never dropped with a filler).
  std::vector<std::string_view> words;
  for (size_t i = 0; i <= transcript.size();) {
    const size_t j = std::min(transcript.find(' ', i), transcript.size());
    words.push_back(transcript.substr(i, j - i));
    i = j + 1;
  }
  std::string out;
  bool first = true;
  for (size_t i = 0; i < words.size();) {
    size_t skip = 0;
    for (const auto& f : fillers) {
      if (i + f.size() <= words.size()) {
        bool match = true;
        for (size_t k = 0; k < f.size() && match; ++k) match = lower(words[i + k]) == f[k];
        if (match) skip = std::max(skip, f.size());
      }
    }
    const std::string_view w = words[i];
    if (!skip && i + 1 < words.size() && w.size() > 1 && w.back() == ',' &&
        lower(w.substr(0, w.size() - 1)) == lower(words[i + 1]) &&
        std::all_of(w.begin(), w.end() - 1, [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
      skip = 1;  // a false start: "cough, cough"
    }
    if (skip && i + skip < words.size()) {  // never the last word (nothing would follow the filler)
      i += skip;
      continue;
    }
    if (!first) out += ' ';
    out += w;
    first = false;
    ++i;
  }
  return out;
}

std::string evidence_source(std::string_view transcript) {
  return std::string(transcript) + '\x01' + without_disfluencies(transcript);
}

EvidenceSampler::EvidenceSampler(std::shared_ptr<const grammar::TokenTrie> trie, const json::Value& schema,
                                 std::string_view transcript)
    : trie_(std::move(trie)), cursor_(schema, evidence_source(transcript)), mask_(size_t(trie_->n_words())) {}

void EvidenceSampler::apply(Candidates& c) {
  if (!device_mask()) return;  // outside a free-text value
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

const uint32_t* EvidenceSampler::device_mask() {
  if (!cursor_.constrained()) return nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  stats_.nodes += grammar::evidence_mask(*trie_, cursor_.automaton(), cursor_.pos(), mask_.data());
  stats_.mask_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++stats_.masks;
  return mask_.data();
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
