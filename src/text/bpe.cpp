// bpe.cpp — see bpe.h.
#include "text/bpe.h"

#include <array>
#include <cstdio>
#include <queue>

#include "text/unicode.h"

namespace sotto {

namespace {
struct ByteTable {
  std::array<std::string, 256> to_u;
  std::array<int, 324> from_u;  // code points used are < 324
  ByteTable() {
    from_u.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const uint32_t cp = printable ? uint32_t(b) : uint32_t(256 + n++);
      unicode::append_utf8(to_u[size_t(b)], cp);
      from_u[cp] = b;
    }
  }
};
const ByteTable& table() {
  static const ByteTable t;
  return t;
}
uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
}  // namespace

const std::string& byte_to_unicode(uint8_t b) { return table().to_u[b]; }
int unicode_to_byte(uint32_t cp) { return cp < 324 ? table().from_u[cp] : -1; }

void BpeVocab::index() {
  ids.clear();
  ids.reserve(pieces.size() * 2);
  for (size_t i = 0; i < pieces.size(); i++) ids.emplace(pieces[i], int32_t(i));  // first id wins
  for (int b = 0; b < 256; b++) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    auto it = ids.find(name);
    byte_ids[b] = it == ids.end() ? -1 : it->second;
  }
}

bool BpeVocab::add_merge(const std::string& a, const std::string& b, int32_t rank) {
  auto ia = ids.find(a), ib = ids.find(b), ij = ids.find(a + b);
  if (ia == ids.end() || ib == ids.end() || ij == ids.end()) return false;
  merges.emplace(key(ia->second, ib->second), std::make_pair(rank, ij->second));
  return true;
}

void BpeVocab::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  // Initial symbols.
  std::vector<int32_t> sym;
  if (kind == BpeKind::ByteLevel) {
    std::string mapped;
    for (char c : piece) mapped += byte_to_unicode(uint8_t(c));
    if (ignore_merges) {
      auto it = ids.find(mapped);
      if (it != ids.end()) {
        out.push_back(it->second);
        return;
      }
    }
    for (char c : piece) {
      auto it = ids.find(byte_to_unicode(uint8_t(c)));
      if (it != ids.end()) sym.push_back(it->second);  // a byte-level vocabulary has all 256
    }
  } else {
    for (const auto& c : unicode::decode_utf8(piece)) {
      auto it = ids.find(std::string(piece.substr(c.off, c.len)));
      if (it != ids.end()) {
        sym.push_back(it->second);
        continue;
      }
      bool all = true;
      for (uint32_t k = 0; k < c.len; k++) all = all && byte_ids[uint8_t(piece[c.off + k])] >= 0;
      if (all) {
        for (uint32_t k = 0; k < c.len; k++) sym.push_back(byte_ids[uint8_t(piece[c.off + k])]);
      } else if (unk >= 0 && (sym.empty() || sym.back() != unk)) {
        sym.push_back(unk);
      }
    }
  }
  const size_t n = sym.size();
  if (n <= 1) {
    out.insert(out.end(), sym.begin(), sym.end());
    return;
  }

  // Linked list of symbols and a heap of candidate merges (rank, left position).
  std::vector<int32_t> prev(n), next(n);
  for (size_t i = 0; i < n; i++) {
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  struct Cand {
    double rank;
    int32_t pos, left, right, merged;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](int32_t i) {
    if (i < 0 || next[size_t(i)] < 0) return;
    const int32_t a = sym[size_t(i)], b = sym[size_t(next[size_t(i)])];
    if (use_scores) {
      auto it = ids.find(pieces[size_t(a)] + pieces[size_t(b)]);
      if (it != ids.end()) heap.push({-double(scores[size_t(it->second)]), i, a, b, it->second});
    } else {
      auto it = merges.find(key(a, b));
      if (it != merges.end()) heap.push({double(it->second.first), i, a, b, it->second.second});
    }
  };
  for (size_t i = 0; i + 1 < n; i++) push(int32_t(i));
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const auto i = size_t(c.pos);
    if (sym[i] != c.left || next[i] < 0 || sym[size_t(next[i])] != c.right) continue;  // stale
    const int32_t j = next[i];
    sym[i] = c.merged;
    sym[size_t(j)] = -1;
    next[i] = next[size_t(j)];
    if (next[i] >= 0) prev[size_t(next[i])] = int32_t(i);
    push(prev[i]);
    push(int32_t(i));
  }
  for (int32_t i = 0; i >= 0; i = next[size_t(i)]) out.push_back(sym[size_t(i)]);
}

}  // namespace sotto
