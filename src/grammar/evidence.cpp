// evidence.cpp — see evidence.h.
#include "grammar/evidence.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace sotto::grammar {

SuffixAutomaton::SuffixAutomaton(std::string_view text) {
  // The classic online construction (one state per end-position class), transitions in small lists while
  // building, then flattened.
  struct St {
    int32_t len, link;
    std::vector<std::pair<uint8_t, int32_t>> next;
  };
  std::vector<St> st;
  st.reserve(text.size() * 2 + 1);
  st.push_back({0, -1, {}});
  auto find = [&](int32_t s, uint8_t b) -> int32_t {
    for (const auto& [c, to] : st[size_t(s)].next) {
      if (c == b) return to;
    }
    return kDead;
  };
  auto set = [&](int32_t s, uint8_t b, int32_t to) {
    for (auto& e : st[size_t(s)].next) {
      if (e.first == b) {
        e.second = to;
        return;
      }
    }
    st[size_t(s)].next.push_back({b, to});
  };
  auto word = [](uint8_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80; };
  std::vector<int32_t> prefix_state;  // the state created for each end position 1..n
  int32_t last = 0;
  for (char ch : text) {
    const uint8_t b = uint8_t(ch);
    const int32_t cur = int32_t(st.size());
    st.push_back({st[size_t(last)].len + 1, 0, {}});
    prefix_state.push_back(cur);
    int32_t p = last;
    while (p != -1 && find(p, b) == kDead) {
      set(p, b, cur);
      p = st[size_t(p)].link;
    }
    if (p != -1) {
      const int32_t q = find(p, b);
      if (st[size_t(p)].len + 1 == st[size_t(q)].len) {
        st[size_t(cur)].link = q;
      } else {
        const int32_t clone = int32_t(st.size());
        St c{st[size_t(p)].len + 1, st[size_t(q)].link, st[size_t(q)].next};
        st.push_back(std::move(c));
        while (p != -1 && find(p, b) == q) {
          set(p, b, clone);
          p = st[size_t(p)].link;
        }
        st[size_t(q)].link = clone;
        st[size_t(cur)].link = clone;
      }
    }
    last = cur;
  }
  // Word ends: a state ends at a word boundary when one of its end positions e does (e == n, or text[e] or
  // text[e - 1] is not a word byte); end positions of a state are those of the states whose suffix link leads to
  // it, so the flag is propagated from the longest states down.
  ends_word_.assign(st.size(), 0);
  ends_word_[0] = 1;  // the empty value
  for (size_t i = 0; i < prefix_state.size(); ++i) {
    const size_t e = i + 1;
    if (e == text.size() || !word(uint8_t(text[e])) || !word(uint8_t(text[e - 1]))) ends_word_[size_t(prefix_state[i])] = 1;
  }
  std::vector<int32_t> by_len(st.size());
  for (size_t v = 0; v < st.size(); ++v) by_len[v] = int32_t(v);
  std::sort(by_len.begin(), by_len.end(), [&](int32_t a, int32_t b) { return st[size_t(a)].len > st[size_t(b)].len; });
  for (int32_t v : by_len) {
    if (st[size_t(v)].link >= 0 && ends_word_[size_t(v)]) ends_word_[size_t(st[size_t(v)].link)] = 1;
  }
  first_.reserve(st.size() + 1);
  for (auto& s : st) {
    first_.push_back(uint32_t(edges_.size()));
    std::sort(s.next.begin(), s.next.end());
    for (const auto& [c, to] : s.next) edges_.push_back({c, to});
  }
  first_.push_back(uint32_t(edges_.size()));
  std::fill(std::begin(root_), std::end(root_), kDead);
  for (const auto& [c, to] : st[0].next) root_[c] = to;
}

int32_t SuffixAutomaton::advance(int32_t s, std::string_view bytes) const {
  for (char c : bytes) {
    if (s < 0) return kDead;
    s = next(s, uint8_t(c));
  }
  return s;
}

std::string mark_word_starts(std::string_view source) {
  std::string out;
  out.reserve(source.size() + source.size() / 4);
  bool after_word = false;
  for (char ch : source) {
    const bool w = is_word_byte(uint8_t(ch));
    if (w && !after_word) out += char(kWordStart);
    out += ch;
    after_word = w;
  }
  return out;
}

namespace {

// One decoded content byte: through the word-start marker when it opens a word.
EvidencePos feed(const SuffixAutomaton& sa, int32_t s, bool after_word, uint8_t c) {
  const bool w = is_word_byte(c);
  if (w && !after_word) {
    s = sa.next(s, kWordStart);
    if (s < 0) return {SuffixAutomaton::kDead, false, false};
  }
  return {sa.next(s, c), false, w};
}

}  // namespace

EvidencePos evidence_step(const SuffixAutomaton& sa, EvidencePos p, uint8_t b) {
  if (p.sam < 0) return p;
  if (!p.escape) {
    if (b == '"') return {sa.ends_word(p.sam) ? kEvidenceClosed : SuffixAutomaton::kDead, false, false};
    if (b == '\\') {  // alive only if some escape can continue the copy
      for (uint8_t c : {'"', '\\', '/', '\n', '\t', '\r', '\b', '\f'}) {  // none is a word byte
        if (sa.next(p.sam, c) >= 0) return {p.sam, true, p.after_word};
      }
      return {SuffixAutomaton::kDead, false, false};
    }
    if (b < 0x20) return {SuffixAutomaton::kDead, false, false};
    return feed(sa, p.sam, p.after_word, b);
  }
  uint8_t c;
  switch (b) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'n': c = '\n'; break;
    case 't': c = '\t'; break;
    case 'r': c = '\r'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    default: return {SuffixAutomaton::kDead, false, false};  // \uXXXX and invalid escapes
  }
  return feed(sa, p.sam, p.after_word, c);
}

int64_t evidence_mask(const TokenTrie& trie, const SuffixAutomaton& sa, EvidencePos p, uint32_t* out) {
  std::memset(out, 0, size_t(trie.n_words()) * sizeof(uint32_t));
  for (int32_t id : trie.eog_ids()) out[id >> 5] |= uint32_t(1) << (id & 31);
  if (p.sam < 0) return 0;
  const std::vector<int32_t>& order = trie.token_order();
  auto allow_range = [&](int32_t a, int32_t b) {
    for (int32_t k = a; k < b; ++k) {
      const int32_t id = order[size_t(k)];
      out[id >> 5] |= uint32_t(1) << (id & 31);
    }
  };
  const int32_t n = trie.n_nodes();
  const uint8_t* bytes = trie.bytes_data();
  const uint16_t* depth = trie.depth_data();
  const int32_t* end = trie.end_data();
  const int32_t* tb = trie.tok_begin_data();
  std::vector<EvidencePos> walk(size_t(trie.max_depth()) + 1);
  walk[0] = p;
  int64_t visited = 0;
  for (int32_t i = 1; i < n;) {
    ++visited;
    const EvidencePos q = evidence_step(sa, walk[size_t(depth[i]) - 1], bytes[i]);
    if (q.sam == SuffixAutomaton::kDead) {
      i = end[i];
      continue;
    }
    if (q.sam == kEvidenceClosed) {  // the string closes here: the rest of every token below is the grammar's
      allow_range(tb[i], tb[end[i]]);
      i = end[i];
      continue;
    }
    walk[depth[i]] = q;
    allow_range(tb[i], tb[i + 1]);  // tokens ending at this node
    ++i;
  }
  return visited;
}

FreeTextTracker::FreeTextTracker(const json::Value& schema) : root_(schema) {}

void FreeTextTracker::reset() {
  stack_.clear();
  in_string_ = string_is_key_ = escape_ = free_ = false;
  key_buf_.clear();
}

void FreeTextTracker::expand(const json::Value* s, std::vector<const json::Value*>& out, int depth) const {
  if (!s || depth > 32) return;
  if (!s->is_object()) {
    out.push_back(s);  // true / false schemas
    return;
  }
  if (const json::Value* ref = s->find("$ref"); ref && ref->is_string()) {
    const std::string& r = ref->str();
    if (r.rfind("#", 0) == 0) {
      const json::Value* at = &root_;
      size_t i = 1;
      while (at && i < r.size()) {
        const size_t j = std::min(r.find('/', i + 1), r.size());
        at = at->find(r.substr(i + 1, j - i - 1));
        i = j;
      }
      expand(at, out, depth + 1);
    }
    return;
  }
  bool branched = false;
  for (const char* k : {"anyOf", "oneOf"}) {
    if (const json::Value* a = s->find(k); a && a->is_array()) {
      branched = true;
      for (const json::Value& b : a->arr()) expand(&b, out, depth + 1);
    }
  }
  if (const json::Value* a = s->find("allOf"); a && a->is_array()) {
    for (const json::Value& b : a->arr()) expand(&b, out, depth + 1);
  }
  if (!branched) out.push_back(s);
}

namespace {

bool type_allows(const json::Value& s, const char* type) {
  const json::Value* t = s.find("type");
  if (!t) return true;
  if (t->is_string()) return t->str() == type;
  if (t->is_array()) {
    for (const json::Value& x : t->arr()) {
      if (x.is_string() && x.str() == type) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<const json::Value*> FreeTextTracker::value_schemas() const {
  std::vector<const json::Value*> out;
  if (stack_.empty()) {
    expand(&root_, out, 0);
    return out;
  }
  const Frame& f = stack_.back();
  for (const json::Value* s : f.schemas) {
    if (!s->is_object()) continue;
    if (f.object) {
      const json::Value* props = s->find("properties");
      const json::Value* sub = props ? props->find(f.key) : nullptr;
      if (!sub) {
        const json::Value* ap = s->find("additionalProperties");
        if (ap && ap->is_object()) sub = ap;
      }
      expand(sub, out, 0);
    } else {
      if (s->find("prefixItems")) continue;  // tuple positions are not followed
      const json::Value* items = s->find("items");
      if (items && items->is_object()) expand(items, out, 0);
    }
  }
  return out;
}

namespace {

// Free text: every branch that may hold a string is a plain string (see evidence.h), and there is one.
bool free_text(const std::vector<const json::Value*>& branches) {
  int n_string = 0;
  for (const json::Value* s : branches) {
    if (!s->is_object()) return false;  // a `true` schema: anything, not only text
    if (!type_allows(*s, "string")) continue;
    ++n_string;
    for (const char* k : {"enum", "const", "format", "pattern"}) {
      if (s->find(k)) return false;
    }
  }
  return n_string > 0;
}

}  // namespace

void FreeTextTracker::accept(std::string_view bytes) {
  for (char ch : bytes) {
    const uint8_t b = uint8_t(ch);
    if (in_string_) {
      if (escape_) {
        escape_ = false;
        if (string_is_key_) key_buf_ += char(b == 'n' ? '\n' : b == 't' ? '\t' : b);
      } else if (b == '\\') {
        escape_ = true;
      } else if (b == '"') {
        in_string_ = false;
        if (string_is_key_ && !stack_.empty()) {
          stack_.back().key = key_buf_;
          stack_.back().want_key = false;
        }
      } else if (string_is_key_) {
        key_buf_ += ch;
      }
      continue;
    }
    switch (b) {
      case '{':
      case '[': {
        Frame f{b == '{', value_schemas(), std::string(), b == '{'};
        stack_.push_back(std::move(f));
        break;
      }
      case '}':
      case ']':
        if (!stack_.empty()) stack_.pop_back();
        break;
      case ',':
        if (!stack_.empty() && stack_.back().object) stack_.back().want_key = true;
        break;
      case '"':
        in_string_ = true;
        escape_ = false;
        string_is_key_ = !stack_.empty() && stack_.back().object && stack_.back().want_key;
        key_buf_.clear();
        free_ = !string_is_key_ && free_text(value_schemas());
        break;
      default:
        break;  // ':', whitespace, numbers, true/false/null
    }
  }
}

EvidenceCursor::EvidenceCursor(const json::Value& schema, std::string_view source)
    : tracker_(schema), sa_(mark_word_starts(source)) {}

void EvidenceCursor::reset() {
  tracker_.reset();
  pos_ = {};
  n_values_ = n_left_ = 0;
}

void EvidenceCursor::accept(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (tracker_.in_free_text()) {
      const bool alive = pos_.sam >= 0;
      pos_ = evidence_step(sa_, pos_, uint8_t(bytes[i]));
      if (pos_.sam == kEvidenceClosed) {
        ++n_values_;
      } else if (alive && pos_.sam == SuffixAutomaton::kDead) {
        ++n_left_;
      }
      tracker_.accept(bytes.substr(i, 1));
    } else {
      tracker_.accept(bytes.substr(i, 1));
      if (tracker_.in_free_text()) pos_ = {sa_.root(), false, false};
    }
  }
}

}  // namespace sotto::grammar
