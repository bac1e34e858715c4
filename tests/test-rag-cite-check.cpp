// test-rag-cite-check.cpp — the citation check of `sotto ask` (apps/rag/cite-check.h) as a unit: a quote that is in the
// cited passage (case, blanks, quotation marks and typographic apostrophes aside) is supported, with its byte range
// in the page; a paraphrase, a word inside another word, a quote from another document or another page, a quote of
// stopwords are not, each with its reason; sentences and their [n] markers; sentences backed or flagged by the
// scribe's support check over the supported quotes; "not found in these documents" valid with no citations. Also the
// answer schema (a citation can name only a given document and page; not-found has no citations) and the extractive
// answer (sentences quoted as they are, so supported; not found when nothing matches).
#include <gtest/gtest.h>

#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/token-trie.h"
#include "rag/ask.h"
#include "rag/cite-check.h"

using namespace sotto;
using namespace sotto::rag;

namespace {

Hit passage(const std::string& doc, int page, int64_t begin, const std::string& text) {
  Hit h;
  h.document = doc;
  h.page = page;
  h.begin = begin;
  h.end = begin + int64_t(text.size());
  h.text = text;
  return h;
}

// Two documents: a contract (a PDF of two pages) and a leave policy.
std::vector<Hit> corpus() {
  return {
      passage("/d/contract.pdf", 2, 100,
              "Invoices are payable within thirty days of receipt.\nLate payment incurs a fee of 2% per month."),
      passage("/d/contract.pdf", 3, 0, "The contract may be terminated by either party with 60 days written notice."),
      passage("/d/policy.md", 1, 40, "Employees receive 25 days of annual leave. Sick leave needs a doctor\xE2\x80\x99s note."),
  };
}

TEST(CiteCheck, VerbatimQuoteIsSupportedWithItsPlaceInThePage) {
  const auto ps = corpus();
  QuoteCheck q = check_quote({"/d/contract.pdf", 2, "Late payment incurs a fee of 2% per month"}, ps);
  ASSERT_TRUE(q.supported) << q.why;
  EXPECT_EQ(q.passage, 0);
  const std::string& t = ps[0].text;
  const size_t at = t.find("Late payment");
  EXPECT_EQ(q.begin, 100 + at);
  EXPECT_EQ(q.end, 100 + t.size() - 1);  // the quote's final period is not part of it
  // Case, runs of blanks (a line break in the page), the quote's own quotation marks and final period, a typographic
  // apostrophe written plain: the same words.
  q = check_quote({"/d/contract.pdf", 2, "\xE2\x80\x9C" "payable within THIRTY days of receipt.  late payment\xE2\x80\x9D."}, ps);
  ASSERT_TRUE(q.supported) << q.why;
  EXPECT_EQ(t.substr(q.begin - 100, q.end - q.begin), "payable within thirty days of receipt.\nLate payment");
  q = check_quote({"/d/policy.md", 1, "a doctor's note"}, ps);
  EXPECT_TRUE(q.supported) << q.why;
  q = check_quote({"/d/policy.md", 1, "...25 days of annual leave..."}, ps);
  EXPECT_TRUE(q.supported) << q.why;
}

TEST(CiteCheck, ParaphraseIsUnsupported) {
  const auto ps = corpus();
  for (const char* para : {"Invoices must be paid within thirty days of receipt", "payable within 30 days of receipt",
                           "Late payment incurs a fee of 2 percent per month", "late payment incurs a fee of 2% a month"}) {
    const QuoteCheck q = check_quote({"/d/contract.pdf", 2, para}, ps);
    EXPECT_FALSE(q.supported) << para;
    EXPECT_EQ(q.why, "not in the cited passage, word for word") << para;
  }
  // A word must be a word of the passage, not the inside of another.
  EXPECT_FALSE(check_quote({"/d/contract.pdf", 2, "voices are payable"}, ps).supported);
  EXPECT_FALSE(check_quote({"/d/contract.pdf", 2, "days of receip"}, ps).supported);
}

TEST(CiteCheck, QuoteFromAnotherDocumentIsUnsupported) {
  const auto ps = corpus();
  const QuoteCheck q = check_quote({"/d/contract.pdf", 2, "Employees receive 25 days of annual leave"}, ps);
  EXPECT_FALSE(q.supported);
  EXPECT_EQ(q.why, "not in contract.pdf page 2: it is in policy.md page 1");
  EXPECT_FALSE(check_quote({"/d/policy.md", 1, "payable within thirty days"}, ps).supported);
}

TEST(CiteCheck, PageMismatchIsUnsupported) {
  const auto ps = corpus();
  QuoteCheck q = check_quote({"/d/contract.pdf", 2, "terminated by either party"}, ps);
  EXPECT_FALSE(q.supported);
  EXPECT_EQ(q.why, "not on page 2 of contract.pdf: it is on page 3");
  // The right page: supported.
  EXPECT_TRUE(check_quote({"/d/contract.pdf", 3, "terminated by either party"}, ps).supported);
  // A page no passage was given of.
  q = check_quote({"/d/contract.pdf", 7, "terminated by either party"}, ps);
  EXPECT_FALSE(q.supported);
  EXPECT_EQ(q.why, "no passage of contract.pdf page 7 was given");
}

TEST(CiteCheck, QuoteWithNothingToCheckIsUnsupported) {
  const auto ps = corpus();
  EXPECT_EQ(check_quote({"/d/contract.pdf", 2, "  \"...\" "}, ps).why, "empty quote");
  EXPECT_EQ(check_quote({"/d/contract.pdf", 2, "of the"}, ps).why, "no content word or number to check");
  EXPECT_FALSE(check_quote({"/d/contract.pdf", 2, "are"}, ps).supported);
}

TEST(CiteCheck, NormalisationMapsBackToTheText) {
  std::vector<size_t> map;
  const std::string s = "  A\xC2\xA0 b\n\nC\xE2\x80\x99s  ";
  EXPECT_EQ(normalize_quote_text(s, &map), "a b c's");
  ASSERT_EQ(map.size(), 8u);
  EXPECT_EQ(map[0], 2u);   // a
  EXPECT_EQ(map[1], 3u);   // the no-break space and the blank after it
  EXPECT_EQ(map[2], 6u);   // b
  EXPECT_EQ(map[4], 9u);   // C
  EXPECT_EQ(map[5], 10u);  // ’ (three bytes) as '
  EXPECT_EQ(map[7], 14u);  // the end: the trailing blanks are not part of the text
  // What typesetting and PDF text layers put where a typed quote has plain letters.
  EXPECT_EQ(normalize_quote_text("\xEF\xAC\x81" "nal o\xEF\xAC\x83" "ce \xE2\x80\x93 docu\xC2\xAD" "ment\xE2\x80\x89" "x"),
            "final office - document x");
  std::vector<Hit> pdf = {passage("/d/a.pdf", 1, 0, "The \xEF\xAC\x81" "nal invoice \xE2\x80\x94 o\xEF\xAC\x83" "ce copy.")};
  QuoteCheck q = check_quote({"/d/a.pdf", 1, "final invoice - office copy"}, pdf);
  ASSERT_TRUE(q.supported) << q.why;
  EXPECT_EQ(q.begin, 4u);
  EXPECT_EQ(q.end, pdf[0].text.size() - 1);
  EXPECT_EQ(trim_quote(" \"It is due.\" "), "It is due");
  EXPECT_EQ(trim_quote("\xE2\x80\xA6 due \xE2\x80\xA6"), "due");
}

TEST(CiteCheck, SentencesAndMarkers) {
  const std::string a = "Rent is due monthly [1]. The fee is 2%. [2] [3]\nNo pets [1, 2]! Fine print";
  const auto s = split_sentences(a, 2);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(a.substr(s[0].begin, s[0].end - s[0].begin), "Rent is due monthly [1].");
  EXPECT_EQ(s[0].marked, std::vector<int>({1}));
  EXPECT_EQ(a.substr(s[1].begin, s[1].end - s[1].begin), "The fee is 2%. [2] [3]");
  EXPECT_EQ(s[1].marked, std::vector<int>({2}));  // [3] names no citation
  EXPECT_EQ(s[2].marked, std::vector<int>({1, 2}));
  EXPECT_EQ(a.substr(s[3].begin, s[3].end - s[3].begin), "Fine print");
  EXPECT_TRUE(s[3].marked.empty());
  // Decimals and abbreviations without a blank after the dot do not end a sentence.
  EXPECT_EQ(split_sentences("It costs 2.5% a month.", 0).size(), 1u);
  // Page text: a line break is not an end, a blank line is.
  EXPECT_EQ(split_sentences("a line that\nwraps here. Next\n\nHeading", 0, false).size(), 3u);
}

TEST(CiteCheck, SentencesBackedByTheirSupportedQuotes) {
  const auto ps = corpus();
  const std::vector<Citation> cites = {
      {"/d/contract.pdf", 2, "Invoices are payable within thirty days of receipt."},
      {"/d/contract.pdf", 2, "a fee of 3% per month"},  // not in the passage
      {"/d/policy.md", 1, "Employees receive 25 days of annual leave."},
  };
  const std::string answer =
      "Invoices are payable within 30 days [1]. Late payment costs 3% a month [2]. Staff get 25 days of annual leave. "
      "Invoices are payable by cheque [1].";
  const AnswerCheck ck = check_answer(answer, cites, ps);
  EXPECT_FALSE(ck.not_found);
  ASSERT_EQ(ck.quotes.size(), 3u);
  EXPECT_TRUE(ck.quotes[0].supported);
  EXPECT_FALSE(ck.quotes[1].supported);
  EXPECT_TRUE(ck.quotes[2].supported);
  EXPECT_EQ(ck.n_supported(), 2);
  ASSERT_EQ(ck.sentences.size(), 4u);
  // "30" is "thirty" (numbers by value); the marker's digit is not a number of the sentence.
  EXPECT_TRUE(ck.sentences[0].backed) << ck.sentences[0].why;
  EXPECT_EQ(ck.sentences[0].backing, std::vector<int>({1}));
  // It marks only an unsupported citation.
  EXPECT_FALSE(ck.sentences[1].backed);
  EXPECT_EQ(ck.sentences[1].why, "the citations it marks are not supported");
  // No marker: all supported quotes are its evidence; "staff" and "get" are in none of them.
  EXPECT_FALSE(ck.sentences[2].backed);
  EXPECT_EQ(ck.sentences[2].missing, std::vector<std::string>({"staff", "get"}));
  EXPECT_EQ(ck.sentences[2].why, "its citations' quotes do not say: staff, get");
  // Marks [1], whose quote has no cheque.
  EXPECT_FALSE(ck.sentences[3].backed);
  EXPECT_EQ(ck.n_flagged(), 3);

  // Backed without a marker, by the quote that says it (the first quote's "days" adds nothing the third lacks).
  const AnswerCheck ok = check_answer("Employees receive 25 days of annual leave.", cites, ps);
  ASSERT_EQ(ok.sentences.size(), 1u);
  EXPECT_TRUE(ok.sentences[0].backed);
  EXPECT_EQ(ok.sentences[0].backing, std::vector<int>({3}));
  // A number the quotes do not hold.
  const AnswerCheck num = check_answer("Employees receive 26 days of annual leave [3].", cites, ps);
  EXPECT_FALSE(num.sentences.at(0).backed);
  // Negation: the quote says "payable", the answer "not payable" (the scribe's phrase check alone reads the phrase's
  // polarity at "invoices" and lets it pass), and the other way round.
  const AnswerCheck neg = check_answer("Invoices are not payable within thirty days [1].", cites, ps);
  EXPECT_FALSE(neg.sentences.at(0).backed);
  EXPECT_EQ(neg.sentences.at(0).missing.back(), "payable within days (negated in the answer, not in the quotes)");
  const std::vector<Hit> neg_ps = {passage("/d/policy.md", 1, 0, "No fee is charged. Sick leave needs a doctor's note.")};
  EXPECT_TRUE(check_quote({"/d/policy.md", 1, "No fee is charged"}, neg_ps).supported);
  const AnswerCheck neg2 = check_answer("A fee is charged [1].", {{"/d/policy.md", 1, "No fee is charged"}}, neg_ps);
  EXPECT_FALSE(neg2.sentences.at(0).backed);
  EXPECT_TRUE(check_answer("No fee is charged [1].", {{"/d/policy.md", 1, "No fee is charged"}}, neg_ps).sentences.at(0).backed);
  // No citation at all.
  const AnswerCheck none = check_answer("Invoices are payable within thirty days.", {}, ps);
  EXPECT_FALSE(none.sentences.at(0).backed);
  EXPECT_EQ(none.sentences.at(0).why, "no supported citation");
}

TEST(CiteCheck, NotFoundIsAValidAnswer) {
  const auto ps = corpus();
  for (const char* a : {"not found in these documents", "Not found in these documents.", " NOT FOUND  in these documents "}) {
    const AnswerCheck ck = check_answer(a, {}, ps);
    EXPECT_TRUE(ck.not_found) << a;
    EXPECT_TRUE(ck.sentences.empty());
    EXPECT_EQ(ck.n_flagged(), 0);
  }
  EXPECT_FALSE(is_not_found("not found in these documents, but maybe"));
  // With a citation it is an ordinary answer, checked as one.
  const AnswerCheck cited = check_answer(kNotFound, {{"/d/policy.md", 1, "annual leave"}}, ps);
  EXPECT_FALSE(cited.not_found);
  EXPECT_EQ(cited.n_flagged(), 1);
}

// A vocabulary of the 256 single bytes and one end token, for the grammar.
std::shared_ptr<const grammar::TokenTrie> byte_vocab() {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; b++) pieces.push_back(std::string(1, char(b)));
  pieces.push_back("<eos>");
  return std::make_shared<grammar::TokenTrie>(pieces, std::vector<int32_t>{256});
}

bool schema_accepts(const std::string& schema, const std::string& doc) {
  grammar::SchemaOptions so;
  so.compact = true;
  auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(schema, "answer", so), byte_vocab());
  grammar::GrammarMatcher m(cg);
  return m.accept_bytes(doc) && m.can_end();
}

TEST(CiteCheck, AnswerSchemaNamesOnlyTheGivenPages) {
  auto ps = corpus();
  ps.push_back(passage("/e/contract.pdf", 1, 0, "Another folder's contract."));
  const std::vector<std::string> labels = document_labels(ps);
  EXPECT_EQ(labels, std::vector<std::string>({"d/contract.pdf", "d/contract.pdf", "d/policy.md", "e/contract.pdf"}));
  EXPECT_EQ(document_labels(corpus()), std::vector<std::string>({"contract.pdf", "contract.pdf", "policy.md"}));
  const std::string s = answer_schema(ps);
  EXPECT_TRUE(schema_accepts(s, R"({"answer":"not found in these documents","citations":[]})"));
  EXPECT_TRUE(schema_accepts(s, R"({"answer":"Thirty days.","citations":[{"document":"d/contract.pdf","page":2,"quote":"thirty days"}]})"));
  EXPECT_TRUE(schema_accepts(s, R"({"answer":"x","citations":[{"document":"e/contract.pdf","page":1,"quote":"q"},{"document":"d/policy.md","page":1,"quote":"q"}]})"));
  // A page or a document it was not given, no citations for an answer, citations for not-found, too many.
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"x","citations":[{"document":"d/contract.pdf","page":1,"quote":"q"}]})"));
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"x","citations":[{"document":"d/other.pdf","page":2,"quote":"q"}]})"));
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"x","citations":[]})"));
  // The fixed answer with citations reads as an ordinary answer (the answer string is free): check_answer does not
  // take it for not-found then.
  EXPECT_TRUE(schema_accepts(s, R"({"answer":"not found in these documents","citations":[{"document":"d/policy.md","page":1,"quote":"q"}]})"));
  const std::string four = R"({"document":"d/policy.md","page":1,"quote":"q"})";
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"x","citations":[)" + four + "," + four + "," + four + "," + four + "]}"));
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"","citations":[)" + four + "]}"));
}

TEST(CiteCheck, AnswerSchemaOfFiftyPages) {
  // -k 50 over fifty different pages: fifty citation branches compile and the last page can be cited.
  std::vector<Hit> ps;
  for (int i = 0; i < 50; i++) ps.push_back(passage("/d/doc" + std::to_string(i % 10) + ".pdf", 1 + i / 10, 0, "text"));
  const std::string s = answer_schema(ps);
  EXPECT_TRUE(schema_accepts(s, R"({"answer":"a","citations":[{"document":"doc9.pdf","page":5,"quote":"q"}]})"));
  EXPECT_FALSE(schema_accepts(s, R"({"answer":"a","citations":[{"document":"doc9.pdf","page":6,"quote":"q"}]})"));
}

TEST(CiteCheck, ExtractiveAnswerQuotesTheBestSentence) {
  const auto ps = corpus();
  Answer a = extractive_answer("How many days of annual leave do employees get?", ps);
  ASSERT_EQ(a.citations.size(), 1u) << a.text;
  EXPECT_EQ(a.citations[0].document, "/d/policy.md");
  EXPECT_EQ(a.citations[0].quote, "Employees receive 25 days of annual leave.");
  EXPECT_EQ(a.text, "Employees receive 25 days of annual leave. [1]");
  EXPECT_EQ(a.check.n_supported(), 1);
  EXPECT_EQ(a.check.n_flagged(), 0);
  // A sentence across a line break of the page: quoted on one line, still found in the passage.
  a = extractive_answer("What is the fee for late payment?", ps);
  ASSERT_FALSE(a.citations.empty());
  EXPECT_EQ(a.citations[0].quote, "Late payment incurs a fee of 2% per month.");
  EXPECT_EQ(a.check.n_supported(), int(a.citations.size()));
  // A "sentence" longer than kExtractMaxBytes (a list without full stops) is cut at a blank, " ..." after it: still
  // word for word from the passage.
  std::string list = "Covered items:";
  for (int i = 0; i < 60; i++) list += " widget" + std::to_string(i);
  a = extractive_answer("Which widget items are covered?", {passage("/d/list.txt", 1, 0, list)});
  ASSERT_EQ(a.citations.size(), 1u);
  EXPECT_LE(a.citations[0].quote.size(), kExtractMaxBytes + 4);
  EXPECT_EQ(a.citations[0].quote.substr(a.citations[0].quote.size() - 4), " ...");
  EXPECT_EQ(list.rfind(a.citations[0].quote.substr(0, a.citations[0].quote.size() - 4), 0), 0u);
  EXPECT_TRUE(a.check.quotes.at(0).supported) << a.check.quotes[0].why;
  a = extractive_answer("Who owns the moon?", ps);
  EXPECT_TRUE(a.citations.empty());
  EXPECT_EQ(a.text, kNotFound);
  EXPECT_TRUE(a.check.not_found);
  const json::Value j = answer_to_json("Who owns the moon?", a);
  EXPECT_TRUE(j.at("not_found").boolean());
  EXPECT_EQ(j.at("mode").str(), "extractive");
}

}  // namespace
