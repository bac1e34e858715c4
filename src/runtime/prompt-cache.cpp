// prompt-cache.cpp — see prompt-cache.h.
#include "runtime/prompt-cache.h"

#include <algorithm>

#include "core/error.h"

namespace sotto {

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t limit) {
  const size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && a[i] == b[i]) i++;
  return i;
}

namespace {

// True when a's tokens start b's (a is redundant beside b).
bool starts(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

void PromptCache::save(Backend& be, const KvCache& cache, std::list<Snapshot>::iterator keep) {
  const size_t n = live_.size();
  if (n == 0 || max_bytes_ == 0 || size_t(cache.n_past) < n) return;
  size_t bytes = 0;
  for (size_t l = 0; l < cache.k.size(); l++) bytes += n * (cache.k[l].row_bytes() + cache.v[l].row_bytes());
  const size_t kept_bytes = keep == lru_.end() ? 0 : keep->bytes;
  if (bytes + kept_bytes > max_bytes_) return;  // not within the budget beside the snapshot about to be restored
  for (auto it = lru_.begin(); it != lru_.end();) {  // held already, or a prefix of it: redundant
    if (it != keep && starts(it->tokens, live_)) {
      bytes_ -= it->bytes;
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
  while (bytes_ + bytes > max_bytes_) {  // the least recently used first, never `keep`
    auto victim = std::prev(lru_.end());
    if (victim == keep) victim = std::prev(victim);
    bytes_ -= victim->bytes;
    lru_.erase(victim);
  }
  Snapshot s;
  s.tokens = live_;
  s.bytes = bytes;
  for (size_t l = 0; l < cache.k.size(); l++) {
    for (auto [src, dst] : {std::pair{&cache.k[l], &s.k}, {&cache.v[l], &s.v}}) {
      dst->emplace_back(n * src->row_bytes());
      be.read(*src, dst->back().data(), dst->back().size());
    }
  }
  lru_.push_front(std::move(s));
  bytes_ += bytes;
}

size_t PromptCache::prepare(Backend& be, KvCache& cache, const std::vector<int32_t>& tokens, bool reuse) {
  if (tokens.empty()) fail("prompt cache: an empty prompt");
  restored_ = false;
  const size_t limit = tokens.size() - 1;
  // The live cache's valid positions are live_.size() (cache.n_past may be past them after a failed run).
  if (size_t(cache.n_past) < live_.size()) live_.resize(size_t(cache.n_past));
  const size_t keep_live = reuse ? common_prefix(live_, tokens, limit) : 0;
  auto best = lru_.end();
  size_t keep = keep_live;
  if (reuse) {
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      const size_t c = common_prefix(it->tokens, tokens, limit);
      if (c > keep) keep = c, best = it;
    }
  }
  // Positions past keep_live are about to be overwritten: the live cache is saved first (never evicting `best`, which
  // it cannot make redundant: a snapshot starting the live tokens shares no more with the prompt than they do).
  if (keep_live < live_.size()) save(be, cache, best);
  if (best != lru_.end()) {
    for (size_t l = 0; l < cache.k.size(); l++) {
      be.write(cache.k[l], best->k[l].data(), keep * cache.k[l].row_bytes());
      be.write(cache.v[l], best->v[l].data(), keep * cache.v[l].row_bytes());
    }
    lru_.splice(lru_.begin(), lru_, best);  // most recently used
    restored_ = true;
  }
  live_.clear();  // until hold(): what runs next overwrites positions keep..
  cache.n_past = int(keep);
  return keep;
}

}  // namespace sotto
