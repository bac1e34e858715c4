// prompt-cache.h — which tokens a KV cache holds, and a small LRU of saved prefixes, so a conversation's next turn
// (or another conversation interleaved with it) prefills only what is new. The rule: a new prompt keeps the longest
// prefix it shares with the live cache or with a saved snapshot (at most all but its last token, whose logits give
// the first answer token); the kept positions' K/V are bit for bit what a cold run computes for them, so the answer
// is a cold run's. Before the live cache's positions are overwritten, it is saved as a snapshot (the tokens and the
// K/V rows of positions 0..n), most recently used first, evicted least recently used first to stay within max_bytes
// (never the one about to be restored; a live cache that does not fit beside it, or at all, is not saved); a snapshot
// whose tokens start the saved ones is dropped as redundant.
// Does not: hold several live caches (one KvCache is reused; a snapshot is copied back into it), share rows between
// snapshots, or know about images (a prompt with image embeddings must not be matched by its token ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <vector>

#include "backend/backend.h"
#include "models/model.h"

namespace sotto {

class PromptCache {
 public:
  explicit PromptCache(size_t max_bytes = 0) : max_bytes_(max_bytes) {}

  // Before running prompt `tokens` (not empty) on `cache`: saves the live cache when the prompt would overwrite
  // some of it, then makes `cache` hold the longest reusable prefix (copied from a snapshot when one shares more
  // than the live cache); sets cache.n_past to it and returns it. reuse = false: keeps nothing (a cold run).
  size_t prepare(Backend& be, KvCache& cache, const std::vector<int32_t>& tokens, bool reuse = true);
  // After the run: the tokens at the cache's positions 0..cache.n_past (the prompt and the answer tokens run).
  // Until it is called, the live cache counts as holding nothing (a run that failed leaves it so).
  void hold(std::vector<int32_t> tokens) { live_ = std::move(tokens); }

  size_t n_snapshots() const { return lru_.size(); }
  size_t bytes() const { return bytes_; }  // of the snapshots (the live cache is not counted)
  size_t max_bytes() const { return max_bytes_; }
  bool restored() const { return restored_; }  // the last prepare() copied a snapshot back

 private:
  struct Snapshot {
    std::vector<int32_t> tokens;
    std::vector<std::vector<uint8_t>> k, v;  // per layer: rows 0..tokens.size()
    size_t bytes = 0;
  };
  // Saves the live cache as the most recent snapshot, evicting the least recently used but never `keep`.
  void save(Backend& be, const KvCache& cache, std::list<Snapshot>::iterator keep);

  std::vector<int32_t> live_;
  std::list<Snapshot> lru_;  // most recently used first
  size_t bytes_ = 0, max_bytes_ = 0;
  bool restored_ = false;
};

// The number of leading tokens a and b share, at most limit.
size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t limit);

}  // namespace sotto
