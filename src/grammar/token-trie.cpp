// token-trie.cpp — builds the preorder byte trie of a vocabulary (see token-trie.h).
#include "grammar/token-trie.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace sotto::grammar {

int byte_group_slow(uint8_t b) {
  if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) return 0;
  if (b == ' ') return 1;
  if (b == '"') return 3;
  if (b == '\\') return 4;
  if (b < 0x20 || b == 0x7F) return 5;
  if (b < 0x80) return 2;
  if (b < 0xC0) return 6;
  return 7;
}

bool is_safe_text(const std::string& s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    uint8_t c = uint8_t(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') return false;
      ++i;
      continue;
    }
    int conts;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) {
      conts = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      conts = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      conts = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    ++i;
    for (int k = 0; k < conts; ++k, ++i) {
      if (i == n) return true;  // truncated at the end: allowed
      uint8_t d = uint8_t(s[i]);
      if (k == 0 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return false;
    }
  }
  return true;
}

TokenTrie::TokenTrie(std::vector<std::string> pieces, const std::vector<int32_t>& eog_ids)
    : pieces_(std::move(pieces)), eog_(eog_ids), is_eog_(pieces_.size(), false) {
  for (int32_t id : eog_) {
    if (id < 0 || size_t(id) >= pieces_.size()) {
      fail("token trie: end-of-generation id ", std::to_string(id), " outside vocabulary of ",
           std::to_string(pieces_.size()));
    }
    is_eog_[size_t(id)] = true;
  }
  std::vector<int32_t> order;
  order.reserve(pieces_.size());
  for (size_t id = 0; id < pieces_.size(); ++id) {
    if (!is_eog_[id] && !pieces_[id].empty()) order.push_back(int32_t(id));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pieces_[size_t(a)] < pieces_[size_t(b)] || (pieces_[size_t(a)] == pieces_[size_t(b)] && a < b);
  });
  if (pieces_.size() > size_t(INT32_MAX / 2)) fail("token trie: vocabulary too large");

  std::vector<int32_t> parent;
  byte_.push_back(0);
  depth_.push_back(0);
  end_.push_back(0);
  tok_begin_.push_back(0);
  parent.push_back(-1);
  std::vector<int32_t> path = {0};  // path[d] = node at depth d on the current branch
  const std::string* prev = nullptr;
  for (int32_t id : order) {
    const std::string& p = pieces_[size_t(id)];
    if (p.size() > 65535) fail("token trie: token ", std::to_string(id), " longer than 65535 bytes");
    size_t common = 0;
    if (prev) {
      size_t lim = std::min(prev->size(), p.size());
      while (common < lim && (*prev)[common] == p[common]) ++common;
    }
    while (path.size() > common + 1) {  // close nodes that are not on this piece's path
      end_[size_t(path.back())] = int32_t(byte_.size());
      path.pop_back();
    }
    for (size_t d = common; d < p.size(); ++d) {
      int32_t node = int32_t(byte_.size());
      byte_.push_back(uint8_t(p[d]));
      depth_.push_back(uint16_t(d + 1));
      end_.push_back(0);
      tok_begin_.push_back(int32_t(tokens_.size()));
      parent.push_back(path.back());
      path.push_back(node);
    }
    tokens_.push_back(id);
    max_depth_ = std::max(max_depth_, int32_t(p.size()));
    prev = &p;
  }
  while (!path.empty()) {
    end_[size_t(path.back())] = int32_t(byte_.size());
    path.pop_back();
  }
  tok_begin_.push_back(int32_t(tokens_.size()));

  token_groups_.assign(pieces_.size(), 0);
  for (size_t id = 0; id < pieces_.size(); ++id) {
    for (char c : pieces_[id]) token_groups_[id] = uint8_t(token_groups_[id] | (1u << byte_group(uint8_t(c))));
  }
  const size_t n = byte_.size();
  text_token_.assign(pieces_.size(), 0);
  for (size_t id = 0; id < pieces_.size(); ++id) text_token_[id] = !pieces_[id].empty() && is_safe_text(pieces_[id]);
  token_chars_.assign(pieces_.size(), 0);
  for (size_t id = 0; id < pieces_.size(); ++id) {
    int32_t c = 0;
    for (char b : pieces_[id]) c += (uint8_t(b) & 0xC0) != 0x80;
    token_chars_[id] = uint16_t(std::min(c, 65535));
    if (!is_eog_[id]) max_token_chars_ = std::max(max_token_chars_, c);
  }
  all_text_.assign(n, 1);
  max_chars_below_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (int32_t t = tok_begin_[i]; t < tok_begin_[i + 1]; ++t) {
      const size_t id = size_t(tokens_[size_t(t)]);
      if (!text_token_[id]) all_text_[i] = 0;
      max_chars_below_[i] = std::max(max_chars_below_[i], token_chars_[id]);
    }
  }
  groups_below_.assign(n, 0);
  height_.assign(n, 0);
  for (size_t i = n; i-- > 1;) {
    uint8_t sub = uint8_t(groups_below_[i] | (1u << byte_group(byte_[i])));
    groups_below_[size_t(parent[i])] |= sub;
    uint16_t& ph = height_[size_t(parent[i])];
    ph = std::max<uint16_t>(ph, uint16_t(height_[i] + 1));
    if (!all_text_[i]) all_text_[size_t(parent[i])] = 0;
    uint16_t& pc = max_chars_below_[size_t(parent[i])];
    pc = std::max(pc, max_chars_below_[i]);
  }
}

int32_t TokenTrie::longest_prefix_token(const std::string& bytes) const {
  int32_t best = -1;
  int32_t node = 0;
  for (size_t d = 0; d < bytes.size(); ++d) {
    int32_t child = node + 1, found = -1;
    while (child < end_[size_t(node)]) {  // children of `node` are consecutive subtrees
      if (byte_[size_t(child)] == uint8_t(bytes[d])) {
        found = child;
        break;
      }
      child = end_[size_t(child)];
    }
    if (found < 0) break;
    node = found;
    if (tok_begin_[size_t(node)] < tok_begin_[size_t(node) + 1]) best = tokens_[size_t(tok_begin_[size_t(node)])];
  }
  return best;
}

}  // namespace sotto::grammar
