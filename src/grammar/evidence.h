// evidence.h — evidence-constrained decoding: free-text string values of a JSON document may only be spans
// copied from a source text (a transcript). Three parts, used together by the scribe (apps/scribe/evidence.h):
//  - SuffixAutomaton: the source's substrings as a deterministic automaton over bytes (exact bytes: no case or
//    whitespace folding, since the reference notes copy the transcript's words as said).
//  - evidence_mask: the tokens that, written inside a JSON string whose decoded content so far is the
//    automaton state, keep that content a substring of the source or close the string (an unescaped '"';
//    what follows the quote is the grammar's business). A value may close only where the copy ends at a word
//    boundary of some occurrence (not "amoxicil", not "6 days, u" for "6 days, um"): a word cut short reads
//    as a different word. One walk of the token trie (token-trie.h), a subtree
//    skipped as soon as its prefix leaves the source. JSON escapes \" \\ \/ \n \t \r \b \f are decoded
//    before the check; \u escapes are not allowed (a copy never needs one: the source's bytes are written as
//    they are); raw control bytes are not allowed (JSON forbids them).
//  - FreeTextTracker: follows a JSON document byte by byte against its JSON Schema and says when the next
//    bytes are inside a free-text string value. "Free text", per keyword: a string position whose every string
//    branch (after $ref, anyOf, oneOf) is {"type": "string"} (or a type list holding "string", or no type)
//    without enum, const, format or pattern; maxLength/minLength do not matter. Object keys, enums, formats
//    (dates), patterns, numbers, booleans and null are never constrained, nor a position with both a free and
//    a restricted string branch (the follow-up date of the SOAP template), nor tuple items (prefixItems).
// Does not: parse or validate JSON (the grammar matcher does; the tracker assumes its input is a prefix of a
// valid document), fold case, or join several spans in one value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "grammar/token-trie.h"

namespace sotto::grammar {

class SuffixAutomaton {
 public:
  static constexpr int32_t kDead = -1;
  explicit SuffixAutomaton(std::string_view text);

  int32_t root() const { return 0; }
  int32_t next(int32_t s, uint8_t b) const {
    if (s == 0) return root_[b];
    const Edge* e = edges_.data() + first_[size_t(s)];
    const Edge* end = edges_.data() + first_[size_t(s) + 1];
    for (; e != end; ++e) {
      if (e->byte == b) return e->to;
    }
    return kDead;
  }
  int32_t advance(int32_t s, std::string_view bytes) const;  // kDead once a byte leaves the source
  size_t n_states() const { return first_.size() - 1; }
  // Some occurrence of the state's strings ends at a word boundary (the next byte, or the last one, is not a
  // letter, digit or UTF-8 byte; or the text ends there). True for the root (the empty string).
  bool ends_word(int32_t s) const { return ends_word_[size_t(s)] != 0; }

 private:
  struct Edge {
    uint8_t byte;
    int32_t to;
  };
  std::vector<uint32_t> first_;  // [n_states + 1]: edges of state s are edges_[first_[s], first_[s+1])
  std::vector<Edge> edges_;
  std::vector<uint8_t> ends_word_;
  int32_t root_[256];
};

// Position inside a JSON string being checked against the source: the automaton state of the decoded content,
// and whether a backslash is pending. sam == kDead: the content already left the source (never in a mask's
// walk: only after a token the mask did not allow was accepted).
struct EvidencePos {
  int32_t sam = 0;
  bool escape = false;
  bool after_word = false;  // the last content byte was a word byte (letter, digit, UTF-8)
};

// Copies start at word starts: the automaton is built over the source with kWordStart before every word that
// starts a word (a word byte at the start or after a non-word byte), and evidence_step passes that marker before a
// word byte that opens a word of the copy, so "erton" (of "Overton") or "tiffness" cannot open a value.
constexpr uint8_t kWordStart = 0x02;
std::string mark_word_starts(std::string_view source);
inline bool is_word_byte(uint8_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}
constexpr int32_t kEvidenceClosed = -2;  // EvidenceStep::sam when the byte closed the string

// One byte of string text (sa: the automaton of mark_word_starts(source)): the next position, sam == kDead if it leaves the source (or is a \u or unknown
// escape, or a raw control byte, or a quote closing a copy mid-word), sam == kEvidenceClosed for the closing quote.
EvidencePos evidence_step(const SuffixAutomaton& sa, EvidencePos p, uint8_t b);

// out[trie.n_words()]: bit set for each token allowed at `p` (end-of-generation tokens included: the grammar
// decides those; tokens with no piece excluded). Returns the number of trie nodes visited (for benchmarks).
int64_t evidence_mask(const TokenTrie& trie, const SuffixAutomaton& sa, EvidencePos p, uint32_t* out);

// Follows a document's bytes; see the file comment for what counts as free text.
class FreeTextTracker {
 public:
  // `schema` must outlive the tracker.
  explicit FreeTextTracker(const json::Value& schema);
  void accept(std::string_view bytes);
  // Inside a free-text string value (after its opening quote, before its closing one).
  bool in_free_text() const { return in_string_ && free_; }
  // Inside a string (any), for tests.
  bool in_string() const { return in_string_; }
  void reset();  // back to the start of a document

 private:
  struct Frame {
    bool object;
    std::vector<const json::Value*> schemas;  // the container's schema branches
    std::string key;                          // object: the current key
    bool want_key;                            // object: the next string is a key
  };
  std::vector<const json::Value*> value_schemas() const;  // of the value that starts next
  void expand(const json::Value* s, std::vector<const json::Value*>& out, int depth) const;
  const json::Value& root_;
  std::vector<Frame> stack_;
  bool in_string_ = false, string_is_key_ = false, escape_ = false, free_ = false;
  std::string key_buf_;
};

// The tokens allowed and the source position while a document is written: FreeTextTracker + automaton.
class EvidenceCursor {
 public:
  // `schema` must outlive the cursor; the automaton is built over mark_word_starts(source).
  EvidenceCursor(const json::Value& schema, std::string_view source);
  void accept(std::string_view bytes);
  void reset();
  // Inside a free-text value whose content is still a substring of the source: the mask applies.
  bool constrained() const { return tracker_.in_free_text() && pos_.sam >= 0; }
  EvidencePos pos() const { return pos_; }
  const SuffixAutomaton& automaton() const { return sa_; }
  // Free-text values completed so far, and those that left the source (a token outside the mask was taken).
  int n_values() const { return n_values_; }
  int n_left_source() const { return n_left_; }

 private:
  FreeTextTracker tracker_;
  SuffixAutomaton sa_;
  EvidencePos pos_;
  int n_values_ = 0, n_left_ = 0;
};

}  // namespace sotto::grammar
