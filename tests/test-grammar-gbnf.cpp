// test-grammar-gbnf.cpp — GBNF parsing and the byte-level matcher: tables of must-accept / must-reject
// strings per grammar feature, parse errors, token masks against a per-token check, rollback, forced tokens.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "core/error.h"
#include "grammar/grammar.h"
#include "grammar/matcher.h"
#include "grammar/synthetic-vocab.h"

using namespace sotto::grammar;

namespace {

std::shared_ptr<const TokenTrie> tiny_vocab() {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, char(b)));
  for (const char* p : {"ab", "abc", "abc", "hello", " world", "{\"", "\":", "\",", "}", "12", "é", "\xC3", "\xA9"}) {
    pieces.push_back(p);
  }
  pieces.push_back("");  // a control token nobody may sample
  pieces.push_back("</s>");
  int32_t eog = int32_t(pieces.size()) - 1;
  return std::make_shared<TokenTrie>(pieces, std::vector<int32_t>{eog});
}

// Full-match check: the bytes are accepted and the grammar can end there.
bool full_match(const std::shared_ptr<CompiledGrammar>& cg, const std::string& s) {
  int32_t st = cg->advance(cg->initial_state(), s);
  return st >= 0 && cg->can_end(st);
}

struct Case {
  const char* grammar;
  std::vector<std::string> accept;
  std::vector<std::string> reject;
};

}  // namespace

TEST(GrammarGbnf, AcceptRejectTables) {
  auto vocab = tiny_vocab();
  const std::vector<Case> cases = {
      {R"(root ::= "abc")", {"abc"}, {"", "ab", "abcd", "abd"}},
      {R"(root ::= "a" | "bc" | "")", {"a", "bc", ""}, {"b", "abc", "c"}},
      {R"(root ::= [a-c]+)", {"a", "abcabc", "ccc"}, {"", "d", "abd"}},
      {R"(root ::= [a-c]*)", {"", "a", "cab"}, {"x"}},
      {R"(root ::= "x"?  "y")", {"y", "xy"}, {"x", "xxy", ""}},
      {R"(root ::= [0-9]{3})", {"123", "000"}, {"12", "1234", "12a"}},
      {R"(root ::= [0-9]{2,4})", {"12", "123", "1234"}, {"1", "12345"}},
      {R"(root ::= [0-9]{2,})", {"12", "123456789"}, {"1", ""}},
      {R"(root ::= [^"\\]*)", {"abc", "é中😀", ""}, {"\"", "\\", "\xC3", "\xFF", "\xED\xA0\x80"}},
      {R"(root ::= .)", {"a", "é", "中", "😀", "\n"}, {"", "ab", "\x80", "\xC3", "\xF4\x90\x80\x80"}},
      {R"(root ::= [α-ω])", {"α", "λ", "ω"}, {"a", "Ω", "αα"}},
      {R"(root ::= [\u4e00-\u9fff]+)", {"中文", "一"}, {"a", "中a"}},
      {"root ::= \"\\u00e9\\x41\\n\"", {"éA\n"}, {"eA\n"}},
      {"root ::= item (\",\" item)*\nitem ::= [a-z]+ | \"(\" root \")\"",
       {"a", "a,b", "(a,b),c", "((x))"}, {"", "a,", "(a", "a)", ",a"}},
      {"root ::= ( \"a\"\n   | \"b\" ) \"c\"\n  | \"d\"   # comment\n", {"ac", "bc", "d"}, {"c", "dc", "a"}},
      {R"(root ::= ("ab" | "a") "b")", {"ab", "abb"}, {"a", "abbb"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.grammar);
    auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(c.grammar, "case.gbnf"), vocab);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(cg, s)) << "should reject: " << s;
  }
}

TEST(GrammarGbnf, ParseErrorsNameTheProblem) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    try {
      parse_gbnf(text, "bad.gbnf");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const sotto::Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("bad.gbnf"), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  };
  expect_error("root ::= foo", "undefined rule foo");
  expect_error("start ::= \"a\"", "no root rule");
  expect_error("root ::= root \"a\" | \"b\"", "left recursion");
  expect_error("root ::= x root\nx ::= \"a\"?", "left recursion");
  expect_error("root ::= \"abc", "unterminated string");
  expect_error("root ::= [a-", "unterminated character class");
  expect_error("root ::= [z-a]", "reversed");
  expect_error("root ::= \"a\"{3,1}", "n < m");
  expect_error("root ::= \"a\" @", "unexpected character");
  expect_error("root ::= \"a\"\nroot ::= \"b\"", "defined twice");
  expect_error("root ::= \"\\q\"", "unknown escape");
}

TEST(GrammarGbnf, MaskMatchesPerTokenCheck) {
  auto sv = make_synthetic_vocab(4000, 7);
  auto vocab = std::make_shared<TokenTrie>(sv.pieces, sv.eog_ids);
  const char* text = R"(
root ::= "{" ws "\"name\"" ws ":" ws str ws "," ws "\"n\"" ws ":" ws num ws "}"
str ::= "\"" ( [^"\\\x00-\x1f] | "\\" ["\\nt] )* "\""
num ::= "-"? ( "0" | [1-9] [0-9]* )
ws ::= [ \n]{0,4}
)";
  auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(text, "obj.gbnf"), vocab);
  GrammarMatcher m(cg);
  const std::string doc = "{ \"name\" : \"Zoë \\\"x\\\" 中\", \"n\": -120}";
  // Walk the document byte by byte; at every prefix the cached mask must equal a token-by-token check.
  std::vector<uint32_t> fresh(size_t(m.n_words()));
  for (size_t k = 0; k <= doc.size(); ++k) {
    const uint32_t* mk = m.mask();
    cg->compute_mask(0, fresh.data());  // exercise the uncached path on another state as well
    int32_t n_allowed = 0;
    for (int32_t id = 0; id < m.n_vocab(); ++id) {
      bool in_mask = (mk[id >> 5] >> (id & 31)) & 1;
      ASSERT_EQ(in_mask, m.is_allowed(id)) << "prefix " << k << " token " << id << " '" << sv.pieces[size_t(id)] << "'";
      n_allowed += in_mask;
    }
    EXPECT_GT(n_allowed, 0) << "prefix " << k;
    if (k < doc.size()) {
      ASSERT_TRUE(m.accept_bytes(doc.substr(k, 1))) << "byte " << k;
    }
  }
  EXPECT_TRUE(m.can_end());
  // Complete document: only end-of-generation tokens remain.
  const uint32_t* mk = m.mask();
  for (int32_t id = 0; id < m.n_vocab(); ++id) {
    bool eog = id == sv.eog_ids[0] || id == sv.eog_ids[1];
    EXPECT_EQ(bool((mk[id >> 5] >> (id & 31)) & 1), eog) << id;
  }
}

TEST(GrammarGbnf, AcceptRollbackAndEnd) {
  auto vocab = tiny_vocab();
  auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(R"(root ::= "abc" [0-9]+)", "r.gbnf"), vocab);
  GrammarMatcher m(cg);
  const int32_t id_abc = 257, id_12 = 265, eog = vocab->n_vocab() - 1, empty_tok = vocab->n_vocab() - 2;
  ASSERT_EQ(vocab->piece(id_abc), "abc");
  ASSERT_EQ(vocab->piece(id_12), "12");
  EXPECT_FALSE(m.accept_token(id_12));
  EXPECT_FALSE(m.accept_token(eog));
  EXPECT_FALSE(m.accept_token(empty_tok));
  EXPECT_TRUE(m.accept_token(id_abc));
  EXPECT_FALSE(m.can_end());
  EXPECT_TRUE(m.accept_token(id_12));
  EXPECT_TRUE(m.can_end());
  EXPECT_TRUE(m.is_allowed(eog));
  EXPECT_TRUE(m.accept_token('7'));
  m.rollback(2);
  EXPECT_EQ(m.n_accepted(), 1u);
  EXPECT_FALSE(m.can_end());
  EXPECT_FALSE(m.is_allowed(eog));
  EXPECT_TRUE(m.accept_token('3'));
  EXPECT_TRUE(m.accept_token(eog));
  EXPECT_TRUE(m.is_finished());
  const uint32_t* mk = m.mask();
  for (int32_t w = 0; w < m.n_words(); ++w) EXPECT_EQ(mk[w], 0u);
  EXPECT_FALSE(m.accept_token('4'));
  m.rollback(1);
  EXPECT_TRUE(m.accept_token('4'));
  EXPECT_THROW(m.rollback(10), sotto::Error);
}

TEST(GrammarGbnf, ForcedTokens) {
  auto vocab = tiny_vocab();
  auto cg = std::make_shared<CompiledGrammar>(
      parse_gbnf(R"(root ::= "{\"" ( "hello" | "help" ) "\":" [0-9])", "f.gbnf"), vocab);
  GrammarMatcher m(cg);
  EXPECT_EQ(m.forced_bytes(), "{\"hel");
  std::vector<int32_t> f = m.forced_tokens();
  std::string joined;
  for (int32_t t : f) joined += vocab->piece(t);
  EXPECT_EQ(joined, "{\"hel");
  EXPECT_EQ(vocab->piece(f[0]), "{\"");  // longest token first
  for (int32_t t : f) ASSERT_TRUE(m.accept_token(t));
  EXPECT_EQ(m.forced_bytes(), "");
  ASSERT_TRUE(m.accept_bytes("lo"));
  EXPECT_EQ(m.forced_bytes(), "\":");
}

TEST(GrammarGbnf, StateLimitIsAnError) {
  auto vocab = tiny_vocab();
  auto cg = std::make_shared<CompiledGrammar>(parse_gbnf("root ::= [a-z]{0,1000}", "big.gbnf"), vocab, 16, 100);
  GrammarMatcher m(cg);
  EXPECT_TRUE(m.accept_bytes(std::string(50, 'a')));
  try {
    m.accept_bytes(std::string(200, 'b'));
    ADD_FAILURE() << "no error past the state limit";
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.gbnf"), std::string::npos) << e.what();
  }
}

// Hostile grammars (issue 15): each is refused with one line naming the limit, or handled in linear time
// without recursion over rules. Inputs are generated here, at the sizes that overflowed the stack before.
TEST(GrammarGbnf, DeepNestingIsANamedError) {
  auto nested = [](int n) { return "root ::= " + std::string(size_t(n), '(') + "\"a\"" + std::string(size_t(n), ')'); };
  try {
    parse_gbnf(nested(16500), "deep.gbnf");
    ADD_FAILURE() << "16,500 nested parentheses accepted";
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find("deep.gbnf:1:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nested deeper than 256 levels"), std::string::npos) << e.what();
  }
  auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(nested(256), "ok.gbnf"), tiny_vocab());
  EXPECT_TRUE(full_match(cg, "a"));
  EXPECT_THROW(parse_gbnf(nested(257), "deep.gbnf"), sotto::Error);
}

TEST(GrammarGbnf, LongRuleChainsParseAndMatch) {
  // r0 ::= r1, r1 ::= r2, ... : the left-recursion check, the nullable fixpoint and the matcher's expansion
  // all walked this recursively (or in O(n^2)).
  const int n = 48000;
  for (const char* last : {"\"a\"", "\"a\" | \"\""}) {
    std::string text = "root ::= r0 \"z\"\n";
    for (int k = 0; k < n; ++k) text += "r" + std::to_string(k) + " ::= r" + std::to_string(k + 1) + "\n";
    text += "r" + std::to_string(n) + " ::= " + last + "\n";
    SCOPED_TRACE(last);
    auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(text, "chain.gbnf"), tiny_vocab());
    EXPECT_TRUE(full_match(cg, "az"));
    EXPECT_FALSE(full_match(cg, "a"));
    EXPECT_EQ(full_match(cg, "z"), std::string(last).find('|') != std::string::npos);
  }
  // The same chain closing on itself is left recursion, found without recursion.
  std::string loop;
  for (int k = 0; k < n; ++k) loop += "r" + std::to_string(k) + " ::= r" + std::to_string((k + 1) % n) + " | \"a\"\n";
  try {
    parse_gbnf("root ::= r0\n" + loop, "loop.gbnf");
    ADD_FAILURE() << "left-recursive chain accepted";
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find("left recursion"), std::string::npos) << e.what();
  }
}

TEST(GrammarGbnf, GrammarsWithoutAFiniteSentenceAreRefused) {
  auto expect_error = [](const std::string& text, const std::string& rule) {
    try {
      parse_gbnf(text, "inf.gbnf");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const sotto::Error& e) {
      EXPECT_NE(std::string(e.what()).find("rule " + rule + " derives no finite string"), std::string::npos) << e.what();
    }
  };
  expect_error("root ::= \"a\" root", "root");
  expect_error("root ::= \"a\" | \"b\" x\nx ::= \"c\" x", "x");  // reachable through one alternative
  expect_error("root ::= \"a\" | \"-\" x\nx ::= \"(\" y \")\"\ny ::= x \"!\" | \"[\" x \"]\"", "x");
  // A way out makes them fine; an unreachable looping rule is harmless and stays allowed.
  auto vocab = tiny_vocab();
  const std::vector<Case> ok = {
      {"root ::= \"a\" root | \"\"", {"", "a", "aaa"}, {"b"}},
      {"root ::= \"a\" | \"b\" x\nx ::= \"c\" x | \"d\"", {"a", "bd", "bccd"}, {"bc", "b"}},
      {"root ::= \"a\"\nunused ::= \"u\" unused", {"a"}, {"u"}},
  };
  for (const Case& c : ok) {
    SCOPED_TRACE(c.grammar);
    auto cg = std::make_shared<CompiledGrammar>(parse_gbnf(c.grammar, "ok.gbnf"), vocab);
    for (const std::string& s : c.accept) EXPECT_TRUE(full_match(cg, s)) << "should accept: " << s;
    for (const std::string& s : c.reject) EXPECT_FALSE(full_match(cg, s)) << "should reject: " << s;
  }
}
