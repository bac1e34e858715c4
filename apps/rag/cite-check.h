// cite-check.h — the check of an answer that cites (issue 21, point 4): every citation's quote must occur verbatim
// in a passage the answer was given of the document and page it names, and every sentence of the answer must be
// backed by a supported citation (the scribe's support check, scribe/support.h, with the supported quotes as the
// transcript). A fixed answer, "not found in these documents", with no citations is valid.
//   Quotes: both sides normalised as the scribe's reader does (ASCII case folded, runs of whitespace one space,
//     typographic apostrophes and double quotes plain; also dashes as '-', the fi/fl/ff ligatures as letters, no-break
//     and thin spaces as blanks, soft hyphens and zero-width spaces dropped); the quote's own wrapping (blanks,
//     quotation marks, "..." and a final . , ; : ! ?) is trimmed; then it must be a substring of the cited passage's
//     text that starts and ends on word boundaries ("ice" is not in "invoice"), and hold a content word or a number
//     (a quote "the" checks nothing).
//     Found only on another page or in another document: unsupported, and `why` says where it is.
//   Sentences: split at . ! ? followed by a blank, and at line ends; [n] markers name citations (1-based) and are
//     kept out of the words. A sentence's evidence is the supported citations it marks, or all supported citations
//     when it marks none; it is backed when check_support finds every content word and number of it in that evidence
//     (a plural matches its singular, numbers with their units, a negated phrase) and no word of it is negated
//     where the quotes say it without negation, or the other way round.
// Does not: judge paraphrase or meaning (a supported quote can still be beside the point), look past the passages
// it is given (ask --check gives every passage of the cited pages), check what a sentence leaves out, fold the case
// of non-ASCII letters.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rag/index.h"

namespace sotto::rag {

// The answer that says the passages do not answer the question (no citations with it).
inline constexpr const char* kNotFound = "not found in these documents";

struct Citation {
  std::string document;  // the passage's document path, as the index stores it
  int page = 1;
  std::string quote;
};

struct QuoteCheck {
  bool supported = false;
  int passage = -1;           // index into the passages of the cited one holding the quote, or -1
  size_t begin = 0, end = 0;  // supported: bytes into that page's text (the passage's begin + the offset in it)
  std::string why;            // unsupported: why ("not in the cited passage", "on page 3 of it, not page 2", ...)
};

struct SentenceCheck {
  size_t begin = 0, end = 0;     // bytes into the answer
  std::vector<int> marked;       // [n] markers of existing citations (1-based), as written
  std::vector<int> backing;      // supported citations (1-based) that share words with it
  bool backed = false;
  std::vector<std::string> missing;  // what no supported citation says (words, numbers with the reason)
  std::string why;                   // not backed: why, in words
};

struct AnswerCheck {
  bool not_found = false;  // the fixed answer kNotFound (case, blanks and a final '.' aside) with no citations
  std::vector<QuoteCheck> quotes;        // one per citation
  std::vector<SentenceCheck> sentences;  // none for not_found
  int n_supported() const;
  int n_flagged() const;  // sentences not backed
};

// Text normalised for the verbatim comparison; map (if given) gets the byte offset in s of each normalised byte,
// plus s.size() at the end.
std::string normalize_quote_text(const std::string& s, std::vector<size_t>* map = nullptr);
// The quote without its wrapping: blanks, quotation marks, ellipses, a final . , ; : ! ?
std::string trim_quote(const std::string& quote);

QuoteCheck check_quote(const Citation& c, const std::vector<Hit>& passages);
// The sentences of text (byte ranges), markers attached to the sentence they follow; a line end ends a sentence
// (lines: true) or only a blank line does (lines: false, for page text whose lines wrap mid-sentence).
std::vector<SentenceCheck> split_sentences(const std::string& text, int n_citations, bool lines = true);
AnswerCheck check_answer(const std::string& answer, const std::vector<Citation>& citations,
                         const std::vector<Hit>& passages);
bool is_not_found(const std::string& answer);

}  // namespace sotto::rag
