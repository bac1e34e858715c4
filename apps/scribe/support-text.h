// support-text.h — a text read for the support check (support.h): tokens with byte spans, numbers (digits and
// number words) with their units and labels, dates as said, negation scopes; and the word helpers the checks
// share (label words and their synonyms, units, stopwords). Internal to apps/scribe.
// Does not: check anything (support.cpp does).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "scribe/support.h"

namespace sotto::support_text {

struct Tok {
  enum Kind { word, number, punct } kind = word;
  std::string text;  // lower-case word, a number as written (lower-case), or the punctuation mark
  double num = 0;
  bool ordinal = false;  // "3rd", "third"
  bool four = false;     // four digits: may be a year
  size_t begin = 0, end = 0;
};

struct DateMention {
  int y = 0, m = 0, d = 0;  // y 0: no year said
  int m2 = 0, d2 = 0;       // the other reading of a slash date (3/4/2026), if valid
  size_t first = 0, last = 0;
};

struct Number {
  size_t tok;
  std::string unit;
  size_t n_unit = 0;
  std::vector<std::string> label;  // label words (canonical)
  std::string label_text;          // as said
  bool own = false;                // the label is the text's own (not inherited)
  int corrected_by = -1;           // index in Text::numbers of the number said to replace it
                                   // ("250 mg, actually make that 500 mg"), or -1
};

struct Text {
  std::string s;
  std::vector<Tok> t;
  std::vector<bool> neg;
  std::vector<DateMention> dates;
  std::vector<bool> in_date;
  std::vector<Number> numbers;  // outside dates
};

// The text read once: tokens, negation, dates, numbers outside dates with their units and labels.
Text analyse(const std::string& s);
std::vector<Tok> lex(const std::string& s);
// Runs of number words ("one hundred and twenty", "twenty-five", "third") as number tokens; "50k", "2 million".
std::vector<Tok> merge_numbers(const std::vector<Tok>& in, const std::string& s);

bool is_punct(const std::vector<Tok>& t, size_t i, const char* p);
bool is_word(const std::vector<Tok>& t, size_t i, const char* w);
bool adjacent(const std::vector<Tok>& t, size_t a, size_t b);
bool boundary(const Tok& t);      // ends a clause: , . ; : ! ? ( ) newline, "but", "however"...
bool sentence_end(const Tok& t);  // . ! ? ; newline
bool negation_cue(const std::vector<Tok>& t, size_t i);
int month_of(const std::string& w);  // 1..12, 0 for no month
const char* month_name(int m);
// cls 1 = 0-9, 2 = 10-19, 3 = tens, 4 = hundred, 5 = thousand/million; ord: an ordinal ("third").
bool number_word(const std::string& w, double& v, int& cls, bool& ord);
// "in two weeks", "next Tuesday", "tomorrow" as said, or "".
std::string relative_date(const std::vector<Tok>& t, const std::string& s);
// A date said relative to the visit: tokens [first, last], and the dates it may mean from visit date y-m-d
// (resolve_relative): "in N days / weeks / months / years", "in a week / fortnight / month / year", "a fortnight",
// "tomorrow", "next week / month / year", "next / this <weekday>".
struct RelativeDate {
  size_t first = 0, last = 0;
  int days = 0, months = 0;  // an offset: days, or calendar months (years: 12 each)
  int weekday = -1;          // 0 = Sunday .. 6: "next Tuesday" / "this Tuesday"
  bool next = false;         // "next <weekday>": the coming one or the one a week later
};
std::vector<RelativeDate> relative_dates(const std::vector<Tok>& t);
// The calendar dates (y, m, d) a relative date may mean from the visit date: one, except a month offset from a day
// the target month lacks or past the 28th (the 28th to the month's last day: people and the training data clamp
// differently) and "next <weekday>" (the coming one and the one a week later).
struct Ymd {
  int y, m, d;
};
std::vector<Ymd> resolve_relative(const RelativeDate& r, int vy, int vm, int vd);

const std::set<std::string>& stopwords();
bool content_word(const Tok& t);
// The unit of the number at i (canonical: "mg", "%", "gbp"...), and how many tokens after i it takes.
std::string unit_at(const std::vector<Tok>& t, size_t i, size_t& n_after);
bool unit_word(const std::string& w);
// A word as a label of a quantity (synonyms mapped: "pulse" -> "heart"), or "" for a word that names none.
std::string label_word(const std::string& w);
bool same_word(const std::string& a, const std::string& b);  // "harassment" ~ "harassed"
bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b);
std::vector<std::string> key_words(const std::string& key);  // "time_spent_minutes", "followUp", a description
Span span_of(const Text& x, size_t a, size_t b);

}  // namespace sotto::support_text
