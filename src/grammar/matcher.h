// matcher.h — runs a byte-level Grammar against a vocabulary: masks of allowed tokens, accept, rollback,
// forced continuations.
//
// How it works. The grammar is a pushdown automaton over bytes: a parse position is a stack of grammar
// positions (top = the byte set to match next, below = where to return when a rule ends), and the parser
// state is the SET of such stacks (all live parses). Stacks are hash-consed (a stack is a (position, parent
// stack) node), states are interned sets of stack ids, and transitions state x byte -> state are computed once
// (per class of bytes the grammar cannot tell apart) and stored in a table: the automaton is determinised
// lazily, only where the vocabulary walks.
// The mask of a state walks the token trie in preorder with one table lookup per trie node, skipping a
// subtree as soon as its prefix is rejected. Two shortcuts take most of the vocabulary without a walk:
//  - text: when every "safe text" character (token-trie.h) leads from the state to one common state, for
//    n characters in a row (forever inside a JSON string; n = the remaining count under maxLength), all
//    text tokens of at most n characters are allowed at once (a precomputed bit set, copied), and trie
//    subtrees holding only such tokens are skipped; safe ASCII bytes that end every parse (a pattern class
//    such as [^<>]) may be excluded, the same ones all along the chain, and the bit set then leaves out
//    the tokens containing them;
//  - byte groups: when all bytes of some coarse byte groups lead to one common state for h steps, subtrees
//    of height <= h made of those groups are taken whole (digits in a number, counted repetitions).
// Masks are cached per state (a JSON document revisits few states: every byte inside a string leaves the
// state unchanged), so after the first document of a template most steps are a cache hit.
// CompiledGrammar holds these caches and is shared by every GrammarMatcher of that grammar+vocabulary; it is
// NOT thread-safe (give each thread its own). GrammarMatcher is one generation's position, cheap to create.
// Mask format: n_words() uint32 words, bit (id & 31) of word (id >> 5) set when token id is allowed.
// End-of-generation tokens are allowed exactly when the grammar can end; when it can do nothing else, they
// are the only tokens allowed, so sampling under the mask stops when the document is complete.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <algorithm>
#include <array>
#include <vector>

#include "grammar/grammar.h"
#include "grammar/token-trie.h"

namespace sotto::grammar {

struct VecHash {
  size_t operator()(const std::vector<int32_t>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (int32_t x : v) h = (h ^ uint32_t(x)) * 1099511628211ull;
    return size_t(h);
  }
};

// Open-addressing map from non-zero-able 64-bit keys to int32 (the automaton's hot lookups).
class FlatMap64 {
 public:
  FlatMap64() { rehash(64); }
  // Returns the value for key, inserting `value` first if absent.
  int32_t find_or_insert(uint64_t key, int32_t value) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t i = hash(key) & (keys_.size() - 1);
    while (used_[i]) {
      if (keys_[i] == key) return vals_[i];
      i = (i + 1) & (keys_.size() - 1);
    }
    used_[i] = 1;
    keys_[i] = key;
    vals_[i] = value;
    ++size_;
    return value;
  }

 private:
  static size_t hash(uint64_t k) { return size_t((k * 0x9E3779B97F4A7C15ull) >> 20); }
  void rehash(size_t n) {
    std::vector<uint64_t> k = std::move(keys_);
    std::vector<int32_t> v = std::move(vals_);
    std::vector<uint8_t> u = std::move(used_);
    keys_.assign(n, 0);
    vals_.assign(n, 0);
    used_.assign(n, 0);
    size_ = 0;
    for (size_t i = 0; i < u.size(); ++i) {
      if (u[i]) find_or_insert(k[i], v[i]);
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<int32_t> vals_;
  std::vector<uint8_t> used_;
  size_t size_ = 0;
};

// Set of 64-bit keys cleared in O(1) by bumping a generation stamp (the scratch set of expand()).
class StampSet {
 public:
  StampSet() : keys_(256), stamps_(256, 0) {}
  void clear() {
    if (++gen_ == 0) {
      std::fill(stamps_.begin(), stamps_.end(), 0);
      gen_ = 1;
    }
    size_ = 0;
  }
  bool insert(uint64_t key) {  // true if newly inserted
    if ((size_ + 1) * 2 > keys_.size()) grow();
    size_t i = size_t((key * 0x9E3779B97F4A7C15ull) >> 20) & (keys_.size() - 1);
    while (stamps_[i] == gen_) {
      if (keys_[i] == key) return false;
      i = (i + 1) & (keys_.size() - 1);
    }
    stamps_[i] = gen_;
    keys_[i] = key;
    ++size_;
    return true;
  }

 private:
  void grow() {
    std::vector<uint64_t> old;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (stamps_[i] == gen_) old.push_back(keys_[i]);
    }
    keys_.assign(keys_.size() * 2, 0);
    stamps_.assign(keys_.size(), 0);
    size_ = 0;
    for (uint64_t k : old) insert(k);
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> stamps_;
  uint32_t gen_ = 1;
  size_t size_ = 0;
};

class CompiledGrammar {
 public:
  static constexpr int32_t kDead = -1;

  // max_cached_masks bounds the per-state mask cache (each mask is n_vocab / 8 bytes); max_states bounds
  // the automaton (each state holds a 1 KiB transition row): past it, next() throws sotto::Error.
  CompiledGrammar(Grammar g, std::shared_ptr<const TokenTrie> vocab, size_t max_cached_masks = 1024,
                  size_t max_states = 1 << 18);

  const Grammar& grammar() const { return g_; }
  const TokenTrie& vocab() const { return *vocab_; }
  int32_t initial_state() const { return 0; }

  int32_t next(int32_t state, uint8_t b) {
    int32_t t = trans_[size_t(state) * 256 + b];
    return t != kUnknown ? t : compute_next(state, b);
  }
  int32_t advance(int32_t state, std::string_view bytes);  // kDead if any byte is rejected
  bool can_end(int32_t state) const { return can_end_[size_t(state)]; }
  bool only_end(int32_t state) const { return only_end_[size_t(state)]; }

  // Cached allowed-token mask of `state` (vocab().n_words() words); the pointer stays valid until the next
  // mask() call on this grammar (the cache may be cleared to bound its memory).
  const uint32_t* mask(int32_t state);
  // Computes the mask without the cache (for tests and benchmarks of the cold path).
  void compute_mask(int32_t state, uint32_t* out);

  // Bytes the grammar forces from `state` (stops where two bytes are possible or the grammar can end).
  std::string forced_bytes(int32_t state, size_t max_len = 4096);

  size_t n_states() const { return can_end_.size(); }
  size_t n_stacks() const { return nodes_.size(); }
  size_t n_cached_masks() const { return mask_store_.size(); }
  void clear_mask_cache();

 private:
  static constexpr int32_t kUnknown = -2;
  struct Node {
    int32_t pos;     // position in grammar elems (-1 for the empty stack)
    int32_t parent;  // node id of the rest of the stack
  };

  int32_t compute_next(int32_t state, uint8_t b);
  int32_t intern_node(int32_t pos, int32_t parent);
  void expand(int32_t pos, int32_t parent, std::vector<int32_t>& out);
  int32_t intern_state(std::vector<int32_t>& stacks);  // sorts and dedups stacks
  // Per byte group g: the state every byte of g leads to from `state`, or kDead when they differ or die.
  const int32_t* group_targets(int32_t state);
  // Groups whose bytes all lead to one common state (the most groups sharing a target), and that target.
  uint8_t uniform_groups(int32_t state, int32_t* target);
  // True if from `state` every string of length <= h over bytes of `groups` stays alive, all strings of a
  // given length reaching the same state (so the subtree of such strings is accepted whole).
  bool uniform_for(int32_t state, uint8_t groups, int32_t h);
  // The one state every safe-text character (token-trie.h) leads to from `state`, with truncated
  // characters kept alive; kDead if they differ or die. Inside a JSON string it is the state itself.
  int32_t char_next(int32_t state);
  bool text_returns(int32_t target, int32_t s, int conts, std::unordered_map<uint64_t, bool>& memo);
  // How many characters the char_next chain lasts from `state` (capped at the vocabulary's longest token
  // in characters; a loop lasts forever). Text tokens of at most that many characters are all allowed.
  // Text tokens must also avoid the chain's excluded ASCII bytes (*excl_id, an index into excl_sets_; 0 =
  // none): the chain lasts only while every state on it excludes the same bytes.
  int32_t text_chain(int32_t state, int32_t* excl_id);

  Grammar g_;
  std::shared_ptr<const TokenTrie> vocab_;
  size_t max_cached_masks_;
  size_t max_states_;

  // Bytes that lie in exactly the same grammar byte sets behave identically: one transition computation
  // fills the table for the whole class.
  std::vector<std::vector<uint8_t>> byte_classes_;
  uint8_t class_of_[256];
  std::vector<Node> nodes_;  // node 0 is the empty stack
  FlatMap64 node_ids_;
  std::vector<std::vector<int32_t>> state_stacks_;
  std::unordered_map<std::vector<int32_t>, int32_t, VecHash> state_ids_;
  std::vector<int32_t> trans_;  // [n_states * 256]
  std::vector<bool> can_end_, only_end_;
  std::vector<int32_t> char_next_;  // kUnknown until computed
  std::vector<int32_t> char_excl_;  // per state: index into excl_sets_ of the bytes char_next excludes
  std::vector<std::array<uint64_t, 2>> excl_sets_ = {{0, 0}};  // sets of safe ASCII bytes, 0 = none
  // Text tokens of <= n chars with none of the excluded bytes, by (exclusion set, n).
  std::unordered_map<uint64_t, std::vector<uint32_t>> text_masks_;
  const std::vector<uint32_t>& text_mask(int32_t max_chars, int32_t excl_id);
  struct TextBase {
    std::vector<uint32_t> all;           // every text token free of the excluded bytes
    std::vector<int32_t> by_chars_desc;  // the same tokens, longest (in characters) first
  };
  std::unordered_map<int32_t, TextBase> text_bases_;  // by exclusion set
  std::vector<uint8_t> trie_tokens_;  // [n_vocab]: 1 for the tokens the trie walks (not end-of-generation)
  const std::vector<uint8_t>& trie_tokens();
  const TextBase& text_base(int32_t excl_id);
  std::vector<int32_t> group_targets_;  // [n_states * 8], kUnknown until computed
  std::vector<int32_t> mask_slot_;    // per state: index into mask_store_, -1 none
  std::vector<std::vector<uint32_t>> mask_store_;
  StampSet visited_;  // scratch for expand
  std::vector<int32_t> scratch_;
  std::vector<std::pair<int32_t, int32_t>> expand_work_;  // expand()'s work list (position, parent stack)
  std::vector<int32_t> walk_;  // scratch: state per trie depth
  std::vector<uint8_t> walk_groups_;  // scratch: byte groups on the path to each trie depth
  // Tokens of at most max_len bytes made only of bytes from `groups`: accepted by any state whose uniform
  // chain over those groups lasts max_len steps, so a mask starts from this set and the trie walk skips
  // them. Built on first use per (groups, max_len).
  std::unordered_map<uint32_t, std::vector<uint32_t>> subset_masks_;
  const std::vector<uint32_t>& subset_mask(uint8_t groups, int32_t max_len);
};

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<CompiledGrammar> cg);

  int32_t n_vocab() const { return cg_->vocab().n_vocab(); }
  int32_t n_words() const { return cg_->vocab().n_words(); }

  // Allowed tokens for the next step (all zero once an end-of-generation token was accepted).
  const uint32_t* mask();
  void fill_mask(uint32_t* out);  // copies mask() into out[n_words()]
  bool is_allowed(int32_t id);    // without computing the whole mask

  // Advances by one token; returns false (and changes nothing) if the token is not allowed.
  bool accept_token(int32_t id);
  // Advances by raw bytes (e.g. a prompt prefix already forced into the output); false if rejected.
  bool accept_bytes(std::string_view bytes);
  // Undoes the last n accepted tokens (or accept_bytes calls). Throws if n exceeds the history.
  void rollback(int n);
  void reset();

  bool can_end() const;      // the text so far is a complete document
  bool is_finished() const;  // an end-of-generation token was accepted
  size_t n_accepted() const { return history_.size() - 1; }

  // Tokens the grammar forces from here (greedy longest-prefix tokenisation of forced_bytes); not accepted.
  std::vector<int32_t> forced_tokens();
  std::string forced_bytes();

 private:
  static constexpr int32_t kFinished = -3;
  std::shared_ptr<CompiledGrammar> cg_;
  std::vector<int32_t> history_;  // state after each accepted token; front is the initial state
  std::vector<uint32_t> zero_;
};

// ---- Upload form for a device backend (WebGPU): see docs/grammar.md.
// Words of a packed mask over a logits row of n_logits entries.
inline size_t packed_mask_words(int32_t n_logits) { return (size_t(n_logits) + 31) / 32; }
// Copies a matcher mask (n_vocab tokens) into out[packed_mask_words(n_logits)] for a logits row of
// n_logits >= n_vocab entries (models often pad their output vocabulary): bit (id & 31) of word id >> 5 is
// set exactly when id < n_vocab and the token is allowed; padding ids and the unused high bits of the last
// word are 0. Words are host-order uint32 (little-endian on every target Sotto runs on), so the buffer can
// be written to a GPU storage buffer as is. Throws sotto::Error if n_logits < n_vocab.
void pack_mask_for_logits(const uint32_t* mask, int32_t n_vocab, int32_t n_logits, uint32_t* out);

}  // namespace sotto::grammar
