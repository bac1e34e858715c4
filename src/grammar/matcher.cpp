// matcher.cpp — lazily determinised byte-level pushdown automaton, token masks and the matcher (matcher.h).
#include "grammar/matcher.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/error.h"

namespace sotto::grammar {

CompiledGrammar::CompiledGrammar(Grammar g, std::shared_ptr<const TokenTrie> vocab, size_t max_cached_masks,
                                 size_t max_states)
    : g_(std::move(g)),
      vocab_(std::move(vocab)),
      max_cached_masks_(std::max<size_t>(max_cached_masks, 1)),
      max_states_(std::max<size_t>(max_states, 16)) {
  if (!vocab_) fail(g_.name, ": no vocabulary given to the grammar");
  check_grammar(g_);
  {
    std::vector<std::vector<bool>> sig(256, std::vector<bool>(g_.byte_sets.size()));
    for (int b = 0; b < 256; ++b) {
      for (size_t k = 0; k < g_.byte_sets.size(); ++k) sig[size_t(b)][k] = g_.byte_sets[k].has(uint8_t(b));
    }
    std::vector<int> rep;  // representative byte of each class
    for (int b = 0; b < 256; ++b) {
      size_t c = 0;
      while (c < rep.size() && sig[size_t(rep[c])] != sig[size_t(b)]) ++c;
      if (c == rep.size()) {
        rep.push_back(b);
        byte_classes_.emplace_back();
      }
      byte_classes_[c].push_back(uint8_t(b));
      class_of_[b] = uint8_t(c);
    }
  }
  nodes_.push_back({-1, -1});  // the empty stack: the grammar is complete
  walk_.assign(size_t(vocab_->max_depth()) + 1, 0);
  walk_groups_.assign(size_t(vocab_->max_depth()) + 1, 0);
  std::vector<int32_t> stacks;
  visited_.clear();
  for (int32_t alt : g_.rules[size_t(g_.root)].alts) expand(alt, 0, stacks);
  if (stacks.empty()) fail(g_.name, ": grammar matches nothing");
  int32_t s0 = intern_state(stacks);
  (void)s0;  // always state 0
}

int32_t CompiledGrammar::intern_node(int32_t pos, int32_t parent) {
  uint64_t key = (uint64_t(uint32_t(pos)) << 32) | uint32_t(parent);
  int32_t id = node_ids_.find_or_insert(key, int32_t(nodes_.size()));
  if (id == int32_t(nodes_.size())) nodes_.push_back({pos, parent});
  return id;
}

// Pushes onto `out` every stack whose top is a byte set (or the empty stack) reachable from grammar position
// `pos` with the rest of the stack `parent`, without consuming input. An explicit work list rather than
// recursion: a grammar may chain thousands of rules at one position.
void CompiledGrammar::expand(int32_t pos, int32_t parent, std::vector<int32_t>& out) {
  std::vector<std::pair<int32_t, int32_t>>& work = expand_work_;
  work.clear();
  work.push_back({pos, parent});
  while (!work.empty()) {
    const auto [at, up] = work.back();
    work.pop_back();
    const Elem& e = g_.elems[size_t(at)];
    if (e.kind == ElemKind::bytes) {
      out.push_back(intern_node(at, up));
      continue;
    }
    uint64_t key = (uint64_t(uint32_t(at)) << 32) | uint32_t(up);
    if (!visited_.insert(key)) continue;
    if (e.kind == ElemKind::end) {
      if (up == 0) {
        out.push_back(0);
      } else {
        Node p = nodes_[size_t(up)];
        work.push_back({p.pos, p.parent});
      }
      continue;
    }
    // rule reference: return to at + 1 unless that ends the alternative (then return straight to up)
    int32_t ret = g_.elems[size_t(at) + 1].kind == ElemKind::end ? up : intern_node(at + 1, up);
    const std::vector<int32_t>& alts = g_.rules[size_t(e.arg)].alts;
    for (size_t k = alts.size(); k-- > 0;) work.push_back({alts[k], ret});
  }
}

int32_t CompiledGrammar::intern_state(std::vector<int32_t>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto it = state_ids_.find(stacks);
  if (it != state_ids_.end()) return it->second;
  if (state_stacks_.size() >= max_states_) {
    fail(g_.name, ": grammar automaton exceeded ", std::to_string(max_states_),
         " states (a very large or highly ambiguous grammar)");
  }
  int32_t id = int32_t(state_stacks_.size());
  state_stacks_.push_back(stacks);
  state_ids_.emplace(stacks, id);
  trans_.resize(trans_.size() + 256, kUnknown);
  can_end_.push_back(stacks.front() == 0);
  only_end_.push_back(stacks.size() == 1 && stacks.front() == 0);
  group_targets_.resize(group_targets_.size() + 8, kUnknown);
  char_next_.push_back(kUnknown);
  char_excl_.push_back(0);
  mask_slot_.push_back(-1);
  return id;
}

int32_t CompiledGrammar::compute_next(int32_t state, uint8_t b) {
  scratch_.clear();
  visited_.clear();
  const std::vector<int32_t>& stacks = state_stacks_[size_t(state)];
  for (int32_t sid : stacks) {
    if (sid == 0) continue;
    Node n = nodes_[size_t(sid)];
    const Elem& e = g_.elems[size_t(n.pos)];
    if (g_.byte_sets[size_t(e.arg)].has(b)) expand(n.pos + 1, n.parent, scratch_);
  }
  int32_t r = scratch_.empty() ? kDead : intern_state(scratch_);
  for (uint8_t x : byte_classes_[class_of_[b]]) trans_[size_t(state) * 256 + x] = r;
  return r;
}

int32_t CompiledGrammar::advance(int32_t state, std::string_view bytes) {
  for (char c : bytes) {
    state = next(state, uint8_t(c));
    if (state < 0) return kDead;
  }
  return state;
}

const int32_t* CompiledGrammar::group_targets(int32_t state) {
  if (group_targets_[size_t(state) * 8] == kUnknown) {
    int32_t t[8];
    bool seen[8] = {};
    for (int b = 0; b < 256; ++b) {
      int g = byte_group(uint8_t(b));
      int32_t ns = next(state, uint8_t(b));
      if (!seen[g]) {
        seen[g] = true;
        t[g] = ns;
      } else if (t[g] != ns) {
        t[g] = kDead;
      }
    }
    std::copy(t, t + 8, group_targets_.begin() + ptrdiff_t(state) * 8);  // after next(): the table may grow
  }
  return group_targets_.data() + size_t(state) * 8;
}

uint8_t CompiledGrammar::uniform_groups(int32_t state, int32_t* target) {
  const int32_t* t = group_targets(state);
  uint8_t best = 0;
  int best_n = 0;
  *target = kDead;
  for (int g = 0; g < 8; ++g) {
    if (t[g] < 0) continue;
    uint8_t set = 0;
    int n = 0;
    for (int h = 0; h < 8; ++h) {
      if (t[h] == t[g]) {
        set = uint8_t(set | (1u << h));
        ++n;
      }
    }
    if (n > best_n) {
      best_n = n;
      best = set;
      *target = t[g];
    }
  }
  return best;
}

bool CompiledGrammar::uniform_for(int32_t state, uint8_t groups, int32_t h) {
  int32_t cur = state;
  for (int32_t k = 0; k < h; ++k) {
    const int32_t* t = group_targets(cur);
    int32_t common = -2;
    for (int g = 0; g < 8; ++g) {
      if (!(groups >> g & 1)) continue;
      if (t[g] < 0 || (common != -2 && t[g] != common)) return false;
      common = t[g];
    }
    if (common == cur) return true;  // a loop: stays forever
    cur = common;
  }
  return true;
}

bool CompiledGrammar::text_returns(int32_t target, int32_t s, int conts, std::unordered_map<uint64_t, bool>& memo) {
  if (conts == 0) return s == target;
  uint64_t key = (uint64_t(uint32_t(s)) << 8) | uint32_t(conts);
  auto it = memo.find(key);
  if (it != memo.end()) return it->second;
  bool ok = true;
  for (int c = 0x80; c <= 0xBF && ok; ++c) {
    int32_t t = next(s, uint8_t(c));
    ok = t >= 0 && text_returns(target, t, conts - 1, memo);
  }
  memo[key] = ok;
  return ok;
}

int32_t CompiledGrammar::char_next(int32_t state) {
  if (char_next_[size_t(state)] != kUnknown) return char_next_[size_t(state)];
  int32_t target = kUnknown;
  bool ok = true;
  std::array<uint64_t, 2> excl = {0, 0};  // safe ASCII bytes that end every parse (a class like [^<>])
  for (int b = 0x20; b < 0x80 && ok; ++b) {
    if (b == '"' || b == '\\') continue;
    int32_t t = next(state, uint8_t(b));
    if (t < 0) {
      excl[size_t(b >> 6)] |= uint64_t(1) << (b & 63);
      continue;
    }
    if (target == kUnknown) target = t;
    ok = t == target;
  }
  ok = ok && target != kUnknown;
  std::unordered_map<uint64_t, bool> memo;
  for (int lead = 0xC2; lead <= 0xF4 && ok; ++lead) {
    int conts = lead <= 0xDF ? 1 : lead <= 0xEF ? 2 : 3;
    int lo = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    int hi = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    int32_t s1 = next(state, uint8_t(lead));
    ok = s1 >= 0;
    for (int c = lo; c <= hi && ok; ++c) {
      int32_t s2 = next(s1, uint8_t(c));
      ok = s2 >= 0 && text_returns(target, s2, conts - 1, memo);
    }
  }
  int32_t r = ok ? target : kDead;
  int32_t excl_id = 0;
  if (ok) {
    auto it = std::find(excl_sets_.begin(), excl_sets_.end(), excl);
    if (it == excl_sets_.end()) it = excl_sets_.insert(excl_sets_.end(), excl);
    excl_id = int32_t(it - excl_sets_.begin());
  }
  char_next_[size_t(state)] = r;  // by index: next() may have grown the vector
  char_excl_[size_t(state)] = excl_id;
  return r;
}

int32_t CompiledGrammar::text_chain(int32_t state, int32_t* excl_id) {
  const int32_t cap = vocab_->max_token_chars();
  int32_t cur = state;
  *excl_id = 0;
  for (int32_t k = 0; k < cap; ++k) {
    int32_t t = char_next(cur);
    if (t < 0) return k;
    if (k == 0) *excl_id = char_excl_[size_t(cur)];
    if (char_excl_[size_t(cur)] != *excl_id) return k;  // excluded bytes change: the chain ends here
    if (t == cur) return cap;  // a loop
    cur = t;
  }
  return cap;
}

const std::vector<uint8_t>& CompiledGrammar::trie_tokens() {
  if (trie_tokens_.empty()) {
    trie_tokens_.assign(size_t(vocab_->n_vocab()), 0);
    for (int32_t id : vocab_->token_order()) trie_tokens_[size_t(id)] = 1;
  }
  return trie_tokens_;
}

const CompiledGrammar::TextBase& CompiledGrammar::text_base(int32_t excl_id) {
  TextBase& tb = text_bases_[excl_id];
  if (!tb.all.empty()) return tb;
  const TokenTrie& v = *vocab_;
  const std::array<uint64_t, 2> excl = excl_sets_[size_t(excl_id)];
  tb.all.assign(size_t(v.n_words()), 0);
  const std::vector<uint8_t>& in_trie = trie_tokens();
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < v.n_vocab(); ++id) {  // id order: the pieces are read sequentially
    if (!in_trie[size_t(id)] || !v.text_token(id)) continue;
    if (excl_id != 0) {
      bool clean = true;
      for (char c : v.piece(id)) {
        const uint8_t b = uint8_t(c);
        if (b < 0x80 && (excl[b >> 6] >> (b & 63) & 1)) clean = false;
      }
      if (!clean) continue;
    }
    tb.all[size_t(id) >> 5] |= uint32_t(1) << (id & 31);
    ids.push_back(id);
  }
  // Counting sort by characters, longest first.
  const int32_t max_c = v.max_token_chars();
  std::vector<int32_t> start(size_t(max_c) + 2, 0);
  for (int32_t id : ids) ++start[size_t(max_c - std::min<int32_t>(v.token_chars(id), max_c)) + 1];
  for (size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
  tb.by_chars_desc.resize(ids.size());
  for (int32_t id : ids) tb.by_chars_desc[size_t(start[size_t(max_c - std::min<int32_t>(v.token_chars(id), max_c))]++)] = id;
  return tb;
}

const std::vector<uint32_t>& CompiledGrammar::text_mask(int32_t max_chars, int32_t excl_id) {
  if (text_masks_.size() >= 256) text_masks_.clear();  // bound the memory; rebuilt on demand
  std::vector<uint32_t>& m = text_masks_[(uint64_t(uint32_t(excl_id)) << 32) | uint32_t(max_chars)];
  if (m.empty()) {
    const TextBase& tb = text_base(excl_id);
    const TokenTrie& v = *vocab_;
    m = tb.all;  // minus the tokens longer than max_chars, which come first
    for (int32_t id : tb.by_chars_desc) {
      if (v.token_chars(id) <= max_chars) break;
      m[size_t(id) >> 5] &= ~(uint32_t(1) << (id & 31));
    }
  }
  return m;
}

const std::vector<uint32_t>& CompiledGrammar::subset_mask(uint8_t groups, int32_t max_len) {
  if (subset_masks_.size() >= 256) subset_masks_.clear();  // bound the memory; rebuilt on demand
  std::vector<uint32_t>& m = subset_masks_[uint32_t(groups) | (uint32_t(max_len) << 8)];
  if (m.empty()) {
    const TokenTrie& v = *vocab_;
    m.assign(size_t(v.n_words()), 0);
    const std::vector<uint8_t>& in_trie = trie_tokens();
    for (int32_t id = 0; id < v.n_vocab(); ++id) {  // id order: sequential reads
      if (in_trie[size_t(id)] && (v.token_groups(id) & ~groups) == 0 && int32_t(v.piece(id).size()) <= max_len) {
        m[size_t(id) >> 5] |= uint32_t(1) << (id & 31);
      }
    }
  }
  return m;
}

void CompiledGrammar::compute_mask(int32_t state, uint32_t* out) {
  const TokenTrie& v = *vocab_;
  const size_t n_words = size_t(v.n_words());
  auto set = [out](int32_t id) { out[id >> 5] |= uint32_t(1) << (id & 31); };
  // Tokens short enough and made only of bytes from groups along which the state moves uniformly (a
  // loop inside a string, or a counted repetition) are accepted without a walk.
  uint8_t root_set = 0;
  int32_t root_len = 0;  // the uniform chain lasts this many bytes (capped at the longest token)
  int32_t excl_id = 0;  // text tokens this long, free of the excluded bytes, are in
  const int32_t text_chars = only_end(state) ? 0 : text_chain(state, &excl_id);
  const bool text = text_chars > 0;
  if (text) {
    std::memcpy(out, text_mask(text_chars, excl_id).data(), sizeof(uint32_t) * n_words);
  } else if (!only_end(state)) {
    int32_t target;
    root_set = uniform_groups(state, &target);
    if (root_set != 0) {
      int32_t lo = 1, hi = v.max_depth();  // largest h with uniform_for(state, root_set, h)
      if (uniform_for(state, root_set, hi)) {
        root_len = hi;
      } else {
        while (lo < hi) {
          int32_t mid = (lo + hi + 1) / 2;
          if (uniform_for(state, root_set, mid)) lo = mid; else hi = mid - 1;
        }
        root_len = lo;
      }
    }
  }
  if (text) {
    // started from the text tokens above
  } else if (root_set != 0 && root_len > 0) {
    std::memcpy(out, subset_mask(root_set, root_len).data(), sizeof(uint32_t) * n_words);
  } else {
    root_set = 0;
    std::memset(out, 0, sizeof(uint32_t) * n_words);
  }
  if (can_end(state)) {
    for (int32_t id : v.eog_ids()) set(id);
  }
  if (only_end(state)) return;
  const uint8_t* bytes = v.bytes_data();
  const uint16_t* depth = v.depth_data();
  const int32_t* end = v.end_data();
  const int32_t* tb = v.tok_begin_data();
  const uint8_t* groups = v.groups_data();
  const uint16_t* height = v.height_data();
  const uint8_t* all_text = v.all_text_data();
  const uint16_t* max_chars = v.max_chars_data();
  const int32_t* toks = v.token_order().data();
  int32_t* walk = walk_.data();
  uint8_t* path_groups = walk_groups_.data();
  walk[0] = state;
  path_groups[0] = 0;
  uint8_t bit_of[256];  // byte -> its group bit
  for (int b = 0; b < 256; ++b) bit_of[b] = uint8_t(1u << byte_group(uint8_t(b)));
  const int32_t n = v.n_nodes();
  int32_t i = 1;
  while (i < n) {
    const int32_t d = depth[i];
    const uint8_t pg = uint8_t(path_groups[d - 1] | bit_of[bytes[i]]);
    const uint8_t gb = groups[i];
    if (text && all_text[i] && max_chars[i] <= text_chars) {  // every token below is set already
      i = end[i];
      continue;
    }
    const bool in_root_set = (pg & ~root_set) == 0 && d <= root_len;  // this node's tokens are already set
    if (in_root_set && (gb & ~root_set) == 0 && d + height[i] <= root_len) {  // so is the whole subtree
      i = end[i];
      continue;
    }
    int32_t ns = next(walk[d - 1], bytes[i]);
    if (ns < 0) {
      i = end[i];
      continue;
    }
    walk[d] = ns;
    path_groups[d] = pg;
    if (gb != 0 && uniform_for(ns, gb, height[i])) {  // every string below stays alive: take the subtree
      for (int32_t t = tb[i], te = tb[end[i]]; t < te; ++t) set(toks[t]);
      i = end[i];
      continue;
    }
    if (!in_root_set) {
      for (int32_t t = tb[i], te = tb[i + 1]; t < te; ++t) set(toks[t]);
    }
    ++i;
  }
}

const uint32_t* CompiledGrammar::mask(int32_t state) {
  int32_t slot = mask_slot_[size_t(state)];
  if (slot >= 0) return mask_store_[size_t(slot)].data();
  if (mask_store_.size() >= max_cached_masks_) clear_mask_cache();
  std::vector<uint32_t> m(size_t(vocab_->n_words()));
  compute_mask(state, m.data());
  mask_slot_[size_t(state)] = int32_t(mask_store_.size());
  mask_store_.push_back(std::move(m));
  return mask_store_.back().data();
}

void CompiledGrammar::clear_mask_cache() {
  mask_store_.clear();
  std::fill(mask_slot_.begin(), mask_slot_.end(), -1);
}

std::string CompiledGrammar::forced_bytes(int32_t state, size_t max_len) {
  std::string out;
  while (out.size() < max_len && !can_end(state)) {
    int only = -1;
    for (int b = 0; b < 256; ++b) {
      if (next(state, uint8_t(b)) >= 0) {
        if (only >= 0) {
          only = -2;
          break;
        }
        only = b;
      }
    }
    if (only < 0) break;
    out += char(only);
    state = next(state, uint8_t(only));
  }
  return out;
}

// ---- GrammarMatcher ----

GrammarMatcher::GrammarMatcher(std::shared_ptr<CompiledGrammar> cg) : cg_(std::move(cg)) {
  if (!cg_) fail("grammar matcher: no compiled grammar");
  zero_.assign(size_t(cg_->vocab().n_words()), 0);
  reset();
}

void GrammarMatcher::reset() {
  history_.assign(1, cg_->initial_state());
}

const uint32_t* GrammarMatcher::mask() {
  int32_t s = history_.back();
  return s == kFinished ? zero_.data() : cg_->mask(s);
}

void GrammarMatcher::fill_mask(uint32_t* out) {
  std::memcpy(out, mask(), sizeof(uint32_t) * size_t(n_words()));
}

bool GrammarMatcher::is_allowed(int32_t id) {
  int32_t s = history_.back();
  if (s == kFinished || id < 0 || id >= n_vocab()) return false;
  const TokenTrie& v = cg_->vocab();
  if (v.is_eog(id)) return cg_->can_end(s);
  const std::string& p = v.piece(id);
  return !p.empty() && cg_->advance(s, p) >= 0;
}

bool GrammarMatcher::accept_token(int32_t id) {
  int32_t s = history_.back();
  if (s == kFinished || id < 0 || id >= n_vocab()) return false;
  const TokenTrie& v = cg_->vocab();
  if (v.is_eog(id)) {
    if (!cg_->can_end(s)) return false;
    history_.push_back(kFinished);
    return true;
  }
  const std::string& p = v.piece(id);
  if (p.empty()) return false;
  int32_t ns = cg_->advance(s, p);
  if (ns < 0) return false;
  history_.push_back(ns);
  return true;
}

bool GrammarMatcher::accept_bytes(std::string_view bytes) {
  int32_t s = history_.back();
  if (s == kFinished) return false;
  int32_t ns = cg_->advance(s, bytes);
  if (ns < 0) return false;
  history_.push_back(ns);
  return true;
}

void GrammarMatcher::rollback(int n) {
  if (n < 0 || size_t(n) >= history_.size()) {
    fail("grammar matcher: cannot roll back ", std::to_string(n), " tokens; only ",
         std::to_string(history_.size() - 1), " accepted");
  }
  history_.resize(history_.size() - size_t(n));
}

bool GrammarMatcher::can_end() const {
  int32_t s = history_.back();
  return s == kFinished || cg_->can_end(s);
}

bool GrammarMatcher::is_finished() const { return history_.back() == kFinished; }

std::string GrammarMatcher::forced_bytes() {
  int32_t s = history_.back();
  return s == kFinished ? std::string() : cg_->forced_bytes(s);
}

std::vector<int32_t> GrammarMatcher::forced_tokens() {
  std::vector<int32_t> out;
  std::string rest = forced_bytes();
  const TokenTrie& v = cg_->vocab();
  while (!rest.empty()) {
    int32_t t = v.longest_prefix_token(rest);
    if (t < 0) break;
    out.push_back(t);
    rest.erase(0, v.piece(t).size());
  }
  return out;
}

void pack_mask_for_logits(const uint32_t* mask, int32_t n_vocab, int32_t n_logits, uint32_t* out) {
  if (n_logits < n_vocab) {
    fail("grammar mask: logits row of ", std::to_string(n_logits), " entries is shorter than the vocabulary (",
         std::to_string(n_vocab), " tokens)");
  }
  const size_t full = size_t(n_vocab) / 32, words = packed_mask_words(n_logits);
  std::memcpy(out, mask, sizeof(uint32_t) * full);
  for (size_t w = full; w < words; ++w) out[w] = 0;
  if (n_vocab % 32) out[full] = mask[full] & ((uint32_t(1) << (n_vocab % 32)) - 1);
}

}  // namespace sotto::grammar
