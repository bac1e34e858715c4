// test-grammar-evidence.cpp — grammar/evidence.h against brute-force twins: the suffix automaton accepts exactly
// the substrings of its text (std::string::find), the evidence mask of a position allows exactly the tokens whose
// decoded bytes keep the string a substring or close it (decoded here by hand, checked with find), on random
// texts and random vocabularies over a small alphabet (so that many substrings exist); the free-text tracker's
// decisions per schema keyword on the bundled templates.
#include <gtest/gtest.h>

#include <cctype>
#include <random>

#include "core/file.h"
#include "core/json.h"
#include "grammar/evidence.h"

using namespace sotto;
using namespace sotto::grammar;

namespace {

std::string random_string(std::mt19937& rng, size_t n, const std::string& alphabet) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
  return s;
}

bool word_byte(char ch) {
  const uint8_t c = uint8_t(ch);
  return std::isalnum(c) || c >= 0x80;
}

// Some occurrence of s in text ends at a word boundary (or s is empty).
bool ends_word(const std::string& text, const std::string& s) {
  if (s.empty()) return true;
  for (size_t k = text.find(s); k != std::string::npos; k = text.find(s, k + 1)) {
    const size_t e = k + s.size();
    if (e == text.size() || !word_byte(text[e]) || !word_byte(text[e - 1])) return true;
  }
  return false;
}

// A copy: an occurrence of s in text that does not open mid-word (s starts with a non-word byte, or the text or
// a non-word byte comes before it); with `close`, one that also ends at a word boundary.
bool copy_of(const std::string& text, const std::string& s, bool close) {
  if (s.empty()) return true;
  for (size_t k = text.find(s); k != std::string::npos; k = text.find(s, k + 1)) {
    if (word_byte(s[0]) && k > 0 && word_byte(text[k - 1])) continue;
    const size_t e = k + s.size();
    if (!close || e == text.size() || !word_byte(text[e]) || !word_byte(text[e - 1])) return true;
  }
  return false;
}

// The twin: decodes JSON string text from `content` (decoded so far, `escape` pending) through `piece`; true if
// the piece closes the string with every decoded byte before the quote keeping content + decoded a substring of
// `text` (and the quote where some occurrence ends at a word boundary), or ends inside the string with content + decoded a substring (and a pending backslash continuable).
bool twin_allows(const std::string& text, std::string content, bool escape, const std::string& piece) {
  auto sub = [&](const std::string& s) { return copy_of(text, s, false); };
  if (!sub(content)) return false;
  for (char ch : piece) {
    const uint8_t b = uint8_t(ch);
    if (escape) {
      const std::string from = "\"\\/ntrbf", to = "\"\\/\n\t\r\b\f";
      const size_t k = from.find(ch);
      if (k == std::string::npos) return false;
      content += to[k];
      escape = false;
    } else if (b == '"') {
      return copy_of(text, content, true);
    } else if (b == '\\') {
      escape = true;
    } else if (b < 0x20) {
      return false;
    } else {
      content += ch;
    }
    if (!sub(content)) return false;
    if (escape) {
      bool any = false;
      for (char c : std::string("\"\\/\n\t\r\b\f")) any = any || sub(content + c);
      if (!any) return false;
    }
  }
  return true;
}

}  // namespace

TEST(SuffixAutomaton, AcceptsExactlyTheSubstringsAndKnowsWordEnds) {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    const std::string text = random_string(rng, rng() % 60, round % 2 ? "ab" : "abc, \"\\\n");
    const SuffixAutomaton sa(text);
    EXPECT_LE(sa.n_states(), std::max<size_t>(1, 2 * text.size()));
    for (int q = 0; q < 300; ++q) {
      const std::string s = random_string(rng, rng() % 8, round % 2 ? "abc" : "abc \"\\\n");
      const int32_t st = sa.advance(sa.root(), s);
      EXPECT_EQ(st >= 0, text.find(s) != std::string::npos) << "text '" << text << "' s '" << s << "'";
      if (st >= 0) EXPECT_EQ(sa.ends_word(st), ends_word(text, s)) << "text '" << text << "' s '" << s << "'";
    }
    for (size_t i = 0; i < text.size(); ++i) {  // every substring, from every start
      for (size_t j = i; j <= text.size(); ++j) EXPECT_GE(sa.advance(sa.root(), text.substr(i, j - i)), 0);
    }
  }
}

TEST(EvidenceMask, EqualsTheBruteForceTwin) {
  std::mt19937 rng(11);
  const std::string alpha = "ab \"\\nt\n/u,";
  for (int round = 0; round < 30; ++round) {
    const std::string text = random_string(rng, 5 + rng() % 80, alpha);
    std::vector<std::string> pieces;
    for (int i = 0; i < 400; ++i) pieces.push_back(random_string(rng, 1 + rng() % 5, alpha));
    pieces.push_back("");  // a control token: never allowed
    pieces.push_back("<eog>");
    const TokenTrie trie(pieces, {int32_t(pieces.size()) - 1});
    const SuffixAutomaton sa(mark_word_starts(text));
    for (int q = 0; q < 24; ++q) {
      // A position: a substring of the text (decoded) that is a copy (not opening mid-word), maybe a pending '\'.
      const size_t i = rng() % (text.size() + 1), j = i + rng() % (text.size() - i + 1);
      const std::string content = text.substr(i, std::min<size_t>(j - i, 6));
      if (content.find_first_of("\"\\\n") != std::string::npos) continue;  // (those are written escaped)
      EvidencePos p;
      for (char ch : content) p = evidence_step(sa, p, uint8_t(ch));
      ASSERT_EQ(p.sam >= 0, copy_of(text, content, false)) << "text '" << text << "' content '" << content << "'";
      if (p.sam < 0) continue;
      bool escape = false;
      if (rng() % 3 == 0) {
        p = evidence_step(sa, p, '\\');
        escape = p.sam >= 0;
        if (!escape) continue;
      }
      std::vector<uint32_t> mask(size_t(trie.n_words()));
      evidence_mask(trie, sa, p, mask.data());
      for (int32_t id = 0; id < trie.n_vocab(); ++id) {
        const bool got = (mask[size_t(id) >> 5] >> (id & 31)) & 1;
        const bool want = trie.is_eog(id) || (!pieces[size_t(id)].empty() && twin_allows(text, content, escape, pieces[size_t(id)]));
        ASSERT_EQ(got, want) << "text '" << text << "' content '" << content << "' escape " << escape << " piece '"
                             << pieces[size_t(id)] << "'";
      }
    }
  }
}

TEST(FreeTextTracker, DecidesPerSchemaKeyword) {
  struct Case {
    const char* tmpl;
    const char* prefix;
    bool free;
  };
  const Case cases[] = {
      {"soap", "{\"subjective\": \"", true},         // ["string", "null"] with maxLength
      {"soap", "{\"subj", false},                    // a key
      {"soap", "{\"subjective\": null, \"objective\": \"a \\\" b", true},
      {"soap", "{\"subjective\": \"x\", \"medications\": [{\"name\": \"", true},   // items -> properties
      {"soap", "{\"subjective\": \"x\", \"medications\": [{\"name\": \"a\", \"dose\": \"", true},
      {"soap", "{\"subjective\": \"x\", \"medications\": [], \"follow_up\": \"", false},  // anyOf date | pattern
      {"hr", "{\"employee\": \"", true},
      {"hr", "{\"employee\": null, \"reported_by\": null, \"incident_date\": \"", false},  // format: date
      {"hr", "{\"employee\": null, \"reported_by\": null, \"incident_date\": null, \"location\": null, \"category\": \"", false},  // enum
      {"hr", "{\"employee\": null, \"witnesses\": [\"", true},
      {"finance", "{\"client\": \"", true},
  };
  for (const Case& c : cases) {
    const json::Value schema = json::parse(read_file(std::string(SOTTO_SOURCE_DIR) + "/templates/" + c.tmpl + ".schema.json"), c.tmpl);
    FreeTextTracker t(schema);
    t.accept(c.prefix);
    EXPECT_TRUE(t.in_string()) << c.prefix;
    EXPECT_EQ(t.in_free_text(), c.free) << c.tmpl << ": " << c.prefix;
    t.accept("\"");
    EXPECT_FALSE(t.in_free_text()) << c.prefix;
  }
  // $ref and oneOf resolve; a position with a free and a restricted string branch is not free.
  const json::Value s = json::parse(R"({"$defs": {"t": {"type": "string"}}, "type": "object", "properties": {
      "a": {"$ref": "#/$defs/t"}, "b": {"oneOf": [{"type": "string"}, {"type": "string", "pattern": "^x"}]},
      "c": {"type": "array", "prefixItems": [{"type": "string"}]}, "d": {"type": "integer"}}})", "schema");
  for (const auto& [prefix, want] : std::vector<std::pair<std::string, bool>>{
           {"{\"a\": \"", true}, {"{\"b\": \"", false}, {"{\"c\": [\"", false}, {"{\"a\": \"q\", \"d\": 1, \"a\": \"", true}}) {
    FreeTextTracker t(s);
    t.accept(prefix);
    EXPECT_EQ(t.in_free_text(), want) << prefix;
  }
}

TEST(EvidenceCursor, FollowsValuesAndCountsThoseThatLeaveTheSource) {
  const json::Value schema = json::parse(read_file(std::string(SOTTO_SOURCE_DIR) + "/templates/soap.schema.json"), "soap");
  EvidenceCursor c(schema, "cough for 6 days, \"worse\" at night");
  c.accept("{\"subjective\": \"cough for 6");
  EXPECT_TRUE(c.constrained());
  c.accept(" days, \\\"worse\\\"\", \"objective\": \"");
  EXPECT_EQ(c.n_values(), 1);
  EXPECT_TRUE(c.constrained());
  c.accept("fever");  // not in the source
  EXPECT_FALSE(c.constrained());
  c.accept("\", \"assessment\": null}");
  EXPECT_EQ(c.n_left_source(), 1);
  EXPECT_EQ(c.n_values(), 1);
}
