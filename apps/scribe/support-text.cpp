// support-text.cpp — see support-text.h.
#include "support-text.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>

namespace sotto::support_text {

// ---- tokens -------------------------------------------------------------------------------------------------


static bool is_letter(unsigned char c) { return std::isalpha(c) || c >= 0x80; }

// Multi-byte marks that are not letters: £ € ° and the typographic apostrophe.
static size_t mark_len(const std::string& s, size_t i, std::string& mark) {
  static const std::pair<const char*, const char*> marks[] = {
      {"\xC2\xA3", "£"}, {"\xE2\x82\xAC", "€"}, {"\xC2\xB0", "°"}, {"\xE2\x80\x99", "'"}};
  for (const auto& [bytes, name] : marks) {
    const size_t n = std::char_traits<char>::length(bytes);
    if (s.compare(i, n, bytes) == 0) {
      mark = name;
      return n;
    }
  }
  return 0;
}

std::vector<Tok> lex(const std::string& s) {
  std::vector<Tok> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::string mark;
    if (const size_t n = mark_len(s, i, mark)) {
      out.push_back({Tok::punct, mark, 0, false, false, i, i + n});
      i += n;
    } else if (std::isdigit(c)) {
      size_t j = i;
      auto digit = [&](size_t k) { return k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])); };
      while (digit(j)) j++;
      while (j < s.size() && s[j] == ',' && digit(j + 1) && digit(j + 2) && digit(j + 3) && !digit(j + 4)) j += 4;
      if (j < s.size() && (s[j] == '.' || s[j] == ':') && digit(j + 1)) {
        j++;
        while (digit(j)) j++;
      }
      Tok t{Tok::number, s.substr(i, j - i), 0, false, false, i, j};
      std::string n;
      for (char ch : t.text) if (ch != ',') n += ch == ':' ? '.' : ch;
      t.num = std::strtod(n.c_str(), nullptr);
      t.four = t.text.size() == 4 && t.text.find_first_not_of("0123456789") == std::string::npos;
      if (j + 2 <= s.size() && !(j + 2 < s.size() && is_letter(static_cast<unsigned char>(s[j + 2])))) {
        std::string suf = s.substr(j, 2);
        for (char& ch : suf) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        if (suf == "st" || suf == "nd" || suf == "rd" || suf == "th") {
          t.ordinal = true;
          t.end = j += 2;
        }
      }
      out.push_back(std::move(t));
      i = j;
    } else if (is_letter(c)) {
      size_t j = i;
      std::string m;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || static_cast<unsigned char>(s[j]) >= 0x80) &&
             !mark_len(s, j, m)) {
        j++;
      }
      std::string w = s.substr(i, j - i);
      for (char& ch : w) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      out.push_back({Tok::word, w, 0, false, false, i, j});
      i = j;
    } else {
      if (std::string(",.;:!?()/-%$'\"\n").find(char(c)) != std::string::npos) {
        out.push_back({Tok::punct, std::string(1, char(c)), 0, false, false, i, i + 1});
      }
      i++;
    }
  }
  return out;
}

int month_of(const std::string& w) {
  static const std::map<std::string, int> m = {
      {"january", 1}, {"jan", 1}, {"february", 2}, {"feb", 2}, {"march", 3}, {"mar", 3}, {"april", 4}, {"apr", 4},
      {"may", 5}, {"june", 6}, {"jun", 6}, {"july", 7}, {"jul", 7}, {"august", 8}, {"aug", 8}, {"september", 9},
      {"sep", 9}, {"sept", 9}, {"october", 10}, {"oct", 10}, {"november", 11}, {"nov", 11}, {"december", 12},
      {"dec", 12}};
  auto it = m.find(w);
  return it == m.end() ? 0 : it->second;
}
const char* month_name(int m) {
  static const char* names[] = {"january", "february", "march", "april", "may", "june", "july",
                                "august", "september", "october", "november", "december"};
  return names[m - 1];
}

// Number words: cls 1 = 0-9, 2 = 10-19, 3 = tens, 4 = hundred, 5 = thousand/million.
bool number_word(const std::string& w, double& v, int& cls, bool& ord) {
  static const std::map<std::string, std::pair<int, int>> card = {
      {"zero", {0, 1}}, {"one", {1, 1}}, {"two", {2, 1}}, {"three", {3, 1}}, {"four", {4, 1}}, {"five", {5, 1}},
      {"six", {6, 1}}, {"seven", {7, 1}}, {"eight", {8, 1}}, {"nine", {9, 1}}, {"ten", {10, 2}},
      {"eleven", {11, 2}}, {"twelve", {12, 2}}, {"thirteen", {13, 2}}, {"fourteen", {14, 2}}, {"fifteen", {15, 2}},
      {"sixteen", {16, 2}}, {"seventeen", {17, 2}}, {"eighteen", {18, 2}}, {"nineteen", {19, 2}},
      {"twenty", {20, 3}}, {"thirty", {30, 3}}, {"forty", {40, 3}}, {"fifty", {50, 3}}, {"sixty", {60, 3}},
      {"seventy", {70, 3}}, {"eighty", {80, 3}}, {"ninety", {90, 3}}, {"hundred", {100, 4}},
      {"thousand", {1000, 5}}, {"million", {1000000, 5}}};
  static const std::map<std::string, std::pair<int, int>> ordn = {
      {"first", {1, 1}}, {"second", {2, 1}}, {"third", {3, 1}}, {"fourth", {4, 1}}, {"fifth", {5, 1}},
      {"sixth", {6, 1}}, {"seventh", {7, 1}}, {"eighth", {8, 1}}, {"ninth", {9, 1}}, {"tenth", {10, 2}},
      {"eleventh", {11, 2}}, {"twelfth", {12, 2}}, {"thirteenth", {13, 2}}, {"fourteenth", {14, 2}},
      {"fifteenth", {15, 2}}, {"sixteenth", {16, 2}}, {"seventeenth", {17, 2}}, {"eighteenth", {18, 2}},
      {"nineteenth", {19, 2}}, {"twentieth", {20, 3}}, {"thirtieth", {30, 3}}};
  if (auto it = card.find(w); it != card.end()) {
    v = it->second.first, cls = it->second.second, ord = false;
    return true;
  }
  if (auto it = ordn.find(w); it != ordn.end()) {
    v = it->second.first, cls = it->second.second, ord = true;
    return true;
  }
  return false;
}

bool is_punct(const std::vector<Tok>& t, size_t i, const char* p) {
  return i < t.size() && t[i].kind == Tok::punct && t[i].text == p;
}
bool is_word(const std::vector<Tok>& t, size_t i, const char* w) {
  return i < t.size() && t[i].kind == Tok::word && t[i].text == w;
}

// Runs of number words ("one hundred and twenty", "twenty-five", "third") become number tokens, and
// "50 thousand", "50k" their value; "second" is a number only beside a month ("the second of March").
std::vector<Tok> merge_numbers(const std::vector<Tok>& in, const std::string& s) {
  std::vector<Tok> out;
  auto numword = [&](size_t k, double& v, int& cls, bool& ord) {
    if (k >= in.size() || in[k].kind != Tok::word || !number_word(in[k].text, v, cls, ord)) return false;
    if (in[k].text == "second") {
      const bool by_month = (k + 1 < in.size() && (in[k + 1].text == "of" || month_of(in[k + 1].text))) ||
                            (k > 0 && month_of(in[k - 1].text)) || (k > 1 && in[k - 1].text == "the" && month_of(in[k - 2].text));
      if (!by_month) return false;
    }
    return true;
  };
  for (size_t i = 0; i < in.size();) {
    double v;
    int cls;
    bool ord;
    if (numword(i, v, cls, ord)) {
      double total = 0, cur = 0;
      int last = 0;  // 0 none, 1..5 as cls, 7 "and"
      bool is_ord = false;
      size_t j = i, end = i;
      while (j < in.size()) {
        if (numword(j, v, cls, ord)) {
          bool ok = cls <= 3 ? (last == 0 || last == 4 || last == 5 || last == 7 || (cls == 1 && last == 3))
                  : cls == 4 ? (last == 1 || last == 2)
                             : (last >= 1 && last <= 4);
          if (!ok) break;
          if (cls <= 3) cur += v;
          else if (cls == 4) cur *= 100;
          else total += cur * v, cur = 0;
          last = cls;
          end = j++;
          if (ord) {
            is_ord = true;
            break;
          }
        } else if (is_punct(in, j, "-") && last == 3 && numword(j + 1, v, cls, ord) && cls == 1) {
          j++;
        } else if (is_word(in, j, "and") && (last == 4 || last == 5) && numword(j + 1, v, cls, ord) && cls <= 3) {
          last = 7;
          j++;
        } else {
          break;
        }
      }
      Tok t{Tok::number, "", total + cur, is_ord, false, in[i].begin, in[end].end};
      t.text = s.substr(t.begin, t.end - t.begin);
      for (char& ch : t.text) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      out.push_back(std::move(t));
      i = end + 1;
      continue;
    }
    out.push_back(in[i]);
    if (in[i].kind == Tok::number && !in[i].ordinal && i + 1 < in.size()) {
      const std::string& n = in[i + 1].text;
      const bool k = n == "k" && in[i + 1].begin == in[i].end;
      if (k || n == "thousand" || n == "million") {
        out.back().num *= n == "million" ? 1e6 : 1e3;
        out.back().end = in[i + 1].end;
        out.back().text = s.substr(out.back().begin, out.back().end - out.back().begin);
        i += 2;
        continue;
      }
    }
    i++;
  }
  return out;
}

bool boundary(const Tok& t) {
  if (t.kind == Tok::punct) return std::string(",.;:!?()\n\"").find(t.text) != std::string::npos;
  static const std::set<std::string> w = {"but", "however", "although", "though", "except", "whereas", "yet"};
  return t.kind == Tok::word && w.count(t.text);
}
bool sentence_end(const Tok& t) {
  return t.kind == Tok::punct && (t.text == "." || t.text == "!" || t.text == "?" || t.text == ";" || t.text == "\n");
}

// A negation cue at i: "no", "not", "denies", "without", "never", "n't" ("don't" lexes as don ' t)...
bool negation_cue(const std::vector<Tok>& t, size_t i) {
  static const std::set<std::string> cues = {"no", "not", "denies", "denied", "deny", "denying", "without", "never",
                                             "nor", "neither", "none", "non", "cannot", "dont", "doesnt", "didnt",
                                             "isnt", "wasnt", "cant", "wont", "havent", "hasnt", "arent", "negative"};
  if (t[i].kind != Tok::word) return false;
  if (cues.count(t[i].text)) return true;
  return t[i].text == "t" && i >= 2 && is_punct(t, i - 1, "'") && t[i - 2].kind == Tok::word &&
         t[i - 2].text.size() >= 2 && t[i - 2].text.back() == 'n';
}

// Tokens under negation: from a cue to the end of its clause, at most 6 tokens; "X absent": X.
static std::vector<bool> negated(const std::vector<Tok>& t) {
  std::vector<bool> neg(t.size(), false);
  for (size_t i = 0; i < t.size(); i++) {
    if (negation_cue(t, i)) {
      for (size_t k = i + 1, n = 0; k < t.size() && n < 6 && !boundary(t[k]); k++) {
        if (t[k].kind != Tok::punct) n++, neg[k] = true;
      }
    } else if (t[i].kind == Tok::word && t[i].text == "absent") {
      for (size_t k = i, n = 0; k-- > 0 && n < 4 && !boundary(t[k]);) {
        if (t[k].kind != Tok::punct) n++, neg[k] = true;
      }
    } else if (is_punct(t, i, "?")) {
      // A question answered "no" ("Any chest pain?" "No, none."): the question's words are negated.
      size_t k = i + 1;
      if (k + 1 < t.size() && (is_punct(t, k, "\n"))) k++;
      if (k + 1 < t.size() && t[k].kind == Tok::word && is_punct(t, k + 1, ":")) k += 2;  // a speaker tag
      if (k < t.size() && (is_word(t, k, "no") || is_word(t, k, "nope") || is_word(t, k, "never") || is_word(t, k, "none"))) {
        for (size_t q = i; q-- > 0 && !sentence_end(t[q]) && !is_punct(t, q, ":");) neg[q] = true;
      }
    }
  }
  return neg;
}


static bool day_number(const Tok& t) {
  return t.kind == Tok::number && t.num >= 1 && t.num <= 31 && t.num == std::floor(t.num) && !t.four &&
         t.text.find_first_of(".:,") == std::string::npos;
}
bool adjacent(const std::vector<Tok>& t, size_t a, size_t b) { return t[a].end == t[b].begin; }

// A year at k: "2026", or "twenty twenty-six" (20 then 26); returns tokens used (0: none).
static size_t year_at(const std::vector<Tok>& t, size_t k, int& y) {
  if (k < t.size() && t[k].kind == Tok::number && t[k].four && t[k].num >= 1900 && t[k].num <= 2199) {
    y = int(t[k].num);
    return 1;
  }
  if (k + 1 < t.size() && t[k].kind == Tok::number && t[k].num == 20 && !t[k].four && t[k + 1].kind == Tok::number &&
      t[k + 1].num >= 10 && t[k + 1].num <= 99 && !t[k + 1].four) {
    y = 2000 + int(t[k + 1].num);
    return 2;
  }
  return 0;
}

// Dates said in a text: 2026-03-03, 3/3/2026, "3rd (of) March (2026)", "March 3rd(, 2026)".
static std::vector<DateMention> find_dates(const std::vector<Tok>& t) {
  std::vector<DateMention> out;
  for (size_t i = 0; i < t.size(); i++) {
    DateMention dm;
    dm.first = i;
    auto valid = [](int m, int d) { return m >= 1 && m <= 12 && d >= 1 && d <= 31; };
    if (t[i].kind == Tok::number && t[i].four && i + 4 < t.size() && is_punct(t, i + 1, "-") && is_punct(t, i + 3, "-") &&
        t[i + 2].kind == Tok::number && t[i + 4].kind == Tok::number && adjacent(t, i, i + 1) && adjacent(t, i + 3, i + 4) &&
        t[i + 2].num <= 12 && t[i + 4].num <= 31 && valid(int(t[i + 2].num), int(t[i + 4].num))) {
      dm.y = int(t[i].num), dm.m = int(t[i + 2].num), dm.d = int(t[i + 4].num), dm.last = i + 4;
    } else if (day_number(t[i]) && i + 4 < t.size() && is_punct(t, i + 1, "/") && day_number(t[i + 2]) &&
               is_punct(t, i + 3, "/") && t[i + 4].kind == Tok::number &&
               (t[i + 4].four || t[i + 4].text.size() == 2)) {
      const int a = int(t[i].num), b = int(t[i + 2].num);
      dm.y = int(t[i + 4].num) + (t[i + 4].four ? 0 : 2000);
      if (valid(b, a)) dm.d = a, dm.m = b;
      if (valid(a, b)) (dm.m ? dm.m2 : dm.m) = a, (dm.d ? dm.d2 : dm.d) = b;
      if (!dm.m) continue;
      dm.last = i + 4;
    } else if (day_number(t[i])) {
      size_t j = i + 1;
      if (is_word(t, j, "of")) j++;
      if (j >= t.size() || !month_of(t[j].text)) continue;
      dm.d = int(t[i].num), dm.m = month_of(t[j].text), dm.last = j;
      const size_t k = j + 1;
      if (const size_t n = year_at(t, k, dm.y)) dm.last = k + n - 1;
    } else if (t[i].kind == Tok::word && month_of(t[i].text)) {
      size_t j = i + 1;
      if (is_word(t, j, "the")) j++;
      if (j >= t.size() || !day_number(t[j])) continue;
      dm.m = month_of(t[i].text), dm.d = int(t[j].num), dm.last = j;
      if (const size_t n = year_at(t, j + 1, dm.y)) dm.last = j + n;
    } else {
      continue;
    }
    out.push_back(dm);
    i = dm.last;
  }
  return out;
}

// "in two weeks", "next Tuesday", "tomorrow": a date said relative to a day the check does not know.
std::string relative_date(const std::vector<Tok>& t, const std::string& s) {
  static const std::set<std::string> spans = {"day", "days", "week", "weeks", "month", "months", "year", "years",
                                              "fortnight", "monday", "tuesday", "wednesday", "thursday", "friday",
                                              "saturday", "sunday"};
  for (size_t i = 0; i < t.size(); i++) {
    size_t last = 0;
    if (t[i].text == "tomorrow" || t[i].text == "fortnight") last = i;
    else if ((t[i].text == "next" || t[i].text == "this") && i + 1 < t.size() && spans.count(t[i + 1].text)) last = i + 1;
    else if (t[i].text == "in" && i + 2 < t.size() && (t[i + 1].kind == Tok::number || t[i + 1].text == "a") &&
             spans.count(t[i + 2].text)) last = i + 2;
    else continue;
    return s.substr(t[i].begin, t[last].end - t[i].begin);
  }
  return "";
}

std::vector<RelativeDate> relative_dates(const std::vector<Tok>& t) {
  static const std::map<std::string, int> weekdays = {{"sunday", 0}, {"monday", 1}, {"tuesday", 2}, {"wednesday", 3},
                                                      {"thursday", 4}, {"friday", 5}, {"saturday", 6}};
  // The offset of n units ("day", "weeks", "fortnight"...), false for a word that is no unit.
  auto unit = [](const std::string& w, int n, RelativeDate& r) {
    const std::string u = w.size() > 1 && w.back() == 's' ? w.substr(0, w.size() - 1) : w;
    if (u == "day") r.days = n;
    else if (u == "week") r.days = 7 * n;
    else if (u == "fortnight") r.days = 14 * n;
    else if (u == "month") r.months = n;
    else if (u == "year") r.months = 12 * n;
    else return false;
    return true;
  };
  std::vector<RelativeDate> out;
  for (size_t i = 0; i < t.size(); i++) {
    RelativeDate r;
    r.first = i;
    if (t[i].text == "tomorrow") {
      r.days = 1, r.last = i;
    } else if ((t[i].text == "next" || t[i].text == "this") && i + 1 < t.size()) {
      if (auto w = weekdays.find(t[i + 1].text); w != weekdays.end()) {
        r.weekday = w->second, r.next = t[i].text == "next";
      } else if (t[i].text != "next" || t[i + 1].text == "day" || !unit(t[i + 1].text, 1, r)) {
        continue;
      }
      r.last = i + 1;
    } else if (t[i].text == "in" && i + 2 < t.size() && ((t[i + 1].kind == Tok::number && !t[i + 1].ordinal &&
               t[i + 1].num >= 1 && t[i + 1].num <= 366 && t[i + 1].num == std::floor(t[i + 1].num)) || t[i + 1].text == "a")) {
      if (!unit(t[i + 2].text, t[i + 1].text == "a" ? 1 : int(t[i + 1].num), r)) continue;
      r.last = i + 2;
    } else if (t[i].text == "fortnight" && i > 0 && t[i - 1].text == "a") {
      r.first = i - 1, r.days = 14, r.last = i;
    } else {
      continue;
    }
    out.push_back(r);
    i = r.last;
  }
  return out;
}

std::vector<Ymd> resolve_relative(const RelativeDate& r, int vy, int vm, int vd) {
  using namespace std::chrono;
  const year_month_day v{year{vy}, month{unsigned(vm)}, day{unsigned(vd)}};
  if (!v.ok()) return {};
  auto ymd = [](sys_days s) {
    const year_month_day x{s};
    return Ymd{int(x.year()), int(unsigned(x.month())), int(unsigned(x.day()))};
  };
  std::vector<Ymd> out;
  if (r.weekday >= 0) {
    const sys_days s{v};
    int ahead = (r.weekday - int(weekday{s}.c_encoding()) + 7) % 7;
    if (ahead == 0) ahead = r.next ? 7 : 0;  // "this Tuesday" on a Tuesday: that day
    out.push_back(ymd(s + days{ahead}));
    if (r.next && ahead < 7) out.push_back(ymd(s + days{ahead + 7}));
  } else if (r.months) {
    const year_month ym = year_month{v.year(), v.month()} + months{r.months};
    const unsigned last = unsigned(year_month_day_last{ym.year(), month_day_last{ym.month()}}.day());
    const unsigned from = std::min(unsigned(vd), std::min(28u, last)), to = std::min(unsigned(vd), last);
    for (unsigned d = from; d <= to; d++) out.push_back({int(ym.year()), int(unsigned(ym.month())), int(d)});
  } else {
    out.push_back(ymd(sys_days{v} + days{r.days}));
  }
  return out;
}

// ---- words --------------------------------------------------------------------------------------------------

const std::set<std::string>& stopwords() {
  static const std::set<std::string> s = {
      "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "he", "her", "his", "in", "is",
      "it", "its", "of", "on", "or", "she", "that", "the", "their", "they", "this", "to", "was", "were", "with",
      "no", "not", "per", "patient", "client", "reports", "reported", "states", "stated"};
  return s;
}
bool content_word(const Tok& t) { return t.kind == Tok::word && t.text.size() >= 3 && !stopwords().count(t.text); }

// A unit after (or a currency before) the number at i: canonical name and the tokens it takes after i.
std::string unit_at(const std::vector<Tok>& t, size_t i, size_t& n_after) {
  static const std::map<std::string, std::string> units = {
      {"%", "%"}, {"percent", "%"}, {"mg", "mg"}, {"milligram", "mg"}, {"milligrams", "mg"}, {"mgs", "mg"},
      {"mcg", "mcg"}, {"microgram", "mcg"}, {"micrograms", "mcg"}, {"ug", "mcg"}, {"\xC2\xB5g", "mcg"},
      {"g", "g"}, {"gram", "g"}, {"grams", "g"}, {"gm", "g"}, {"kg", "kg"}, {"kgs", "kg"}, {"kilo", "kg"},
      {"kilos", "kg"}, {"kilogram", "kg"}, {"kilograms", "kg"}, {"ml", "ml"}, {"mls", "ml"}, {"millilitre", "ml"},
      {"millilitres", "ml"}, {"milliliter", "ml"}, {"milliliters", "ml"}, {"litre", "l"}, {"litres", "l"},
      {"liter", "l"}, {"liters", "l"}, {"mmhg", "mmhg"}, {"bpm", "bpm"}, {"beats", "bpm"}, {"degrees", "deg"},
      {"degree", "deg"}, {"celsius", "deg"}, {"°", "deg"}, {"fahrenheit", "degf"}, {"units", "units"},
      {"unit", "units"}, {"iu", "units"}, {"mmol", "mmol"}, {"min", "min"}, {"mins", "min"}, {"minute", "min"},
      {"minutes", "min"}, {"hour", "h"}, {"hours", "h"}, {"hr", "h"}, {"hrs", "h"}, {"day", "day"}, {"days", "day"},
      {"week", "wk"}, {"weeks", "wk"}, {"month", "mo"}, {"months", "mo"}, {"year", "yr"}, {"years", "yr"},
      {"yrs", "yr"}, {"times", "x"}, {"x", "x"}, {"tablet", "tab"}, {"tablets", "tab"}, {"tab", "tab"},
      {"tabs", "tab"}, {"pill", "tab"}, {"pills", "tab"}, {"capsule", "tab"}, {"capsules", "tab"}, {"puff", "puff"},
      {"puffs", "puff"}, {"drop", "drop"}, {"drops", "drop"}, {"pound", "gbp"}, {"pounds", "gbp"}, {"£", "gbp"},
      {"gbp", "gbp"}, {"dollar", "usd"}, {"dollars", "usd"}, {"$", "usd"}, {"usd", "usd"}, {"euro", "eur"},
      {"euros", "eur"}, {"€", "eur"}, {"eur", "eur"}, {"cm", "cm"}, {"mm", "mm"}, {"km", "km"}, {"miles", "mi"},
      {"breaths", "breaths"}, {"lb", "lb"}, {"lbs", "lb"}};
  n_after = 0;
  if (i > 0 && t[i - 1].kind == Tok::punct && adjacent(t, i - 1, i)) {
    if (auto it = units.find(t[i - 1].text); it != units.end() && (t[i - 1].text == "£" || t[i - 1].text == "$" || t[i - 1].text == "€")) {
      return it->second;
    }
  }
  if (i + 1 >= t.size()) return "";
  const std::string& n = t[i + 1].text;
  if (n == "per" && is_word(t, i + 2, "cent")) return n_after = 2, "%";
  if (n == "mm" && is_word(t, i + 2, "hg")) return n_after = 2, "mmhg";
  if (t[i + 1].kind == Tok::number) return "";
  auto it = units.find(n);
  if (it == units.end() || (t[i + 1].kind == Tok::punct && n != "%" && n != "°")) return "";
  n_after = 1;
  if (n == "°" && i + 2 < t.size() && (t[i + 2].text == "c" || t[i + 2].text == "f")) {
    n_after = 2;
    return t[i + 2].text == "f" ? "degf" : "deg";
  }
  return it->second;
}

bool unit_word(const std::string& w) {
  std::vector<Tok> t = {{Tok::number, "1", 1, false, false, 0, 1}, {Tok::word, w, 0, false, false, 1, 2}};
  size_t n;
  return !unit_at(t, 0, n).empty();
}

// Label words: the words that say which quantity a number is; synonyms map to one name.
std::string label_word(const std::string& w) {
  static const std::map<std::string, std::string> syn = {
      {"pulse", "heart"}, {"hr", "heart"}, {"bp", "pressure"}, {"blood", "pressure"}, {"spo2", "oxygen"},
      {"sats", "oxygen"}, {"sat", "oxygen"}, {"o2", "oxygen"}, {"saturation", "oxygen"}, {"saturations", "oxygen"},
      {"saturating", "oxygen"}, {"sao2", "oxygen"}, {"temp", "temperature"}, {"febrile", "temperature"},
      {"rr", "respiratory"}, {"resp", "respiratory"}, {"respirations", "respiratory"}, {"breathing", "respiratory"}, {"weighs", "weight"},
      {"weighed", "weight"}, {"sugar", "glucose"}, {"meds", "medication"}, {"medications", "medication"},
      {"medicine", "medication"}, {"drug", "medication"}, {"explained", "disclosed"}, {"covered", "disclosed"},
      {"discussed", "disclosed"}, {"shared", "disclosed"}, {"needed", "required"}, {"necessary", "required"},
      {"need", "required"}};
  static const std::set<std::string> skip = {
      "over", "about", "around", "i", "we", "you", "your", "my", "our", "me", "us", "s", "t", "so", "today", "now",
      "then", "there", "here", "what", "which", "okay", "ok", "um", "uh", "also", "just", "rate", "level", "levels",
      "reading", "measured", "shows", "showed", "show", "is", "was", "be", "been", "got", "get", "had", "have", "did",
      "do", "does", "doctor", "dr", "let", "me", "check", "checked", "take", "taking", "daily", "twice", "once",
      "morning", "evening", "night", "nightly", "weekly", "monthly", "a", "an", "up", "down", "on", "off", "out",
      "up", "some", "any", "all", "each", "every", "very", "it's", "that's", "ll", "ve", "re", "m", "d", "yes",
      "right", "well", "good", "fine", "thanks", "thank", "please", "give", "gave", "put", "new", "old", "came",
      "come", "back", "see", "again", "dose", "doses", "value", "number", "amount", "total", "worth", "valued",
      "actually", "sorry", "mean", "make", "correction", "rather", "instead", "no", "wait", "scratch",
      "roughly", "approximately", "approx", "nearly", "almost", "least", "most", "than", "more", "less"};
  if (auto it = syn.find(w); it != syn.end()) return it->second;
  if (stopwords().count(w) && w != "patient" && w != "client") return "";
  if (skip.count(w) || unit_word(w) || month_of(w) || w.size() < 2) return "";
  double v;
  int cls;
  bool ord;
  if (number_word(w, v, cls, ord)) return "";
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') return w.substr(0, w.size() - 1);
  return w;
}

// Two words are one when they share a long enough prefix ("harassment" ~ "harassed", "cautious" ~ "caution").
bool same_word(const std::string& a, const std::string& b) {
  if (a == b) return true;
  size_t p = 0;
  while (p < a.size() && p < b.size() && a[p] == b[p]) p++;
  const size_t m = std::min(a.size(), b.size());
  return p >= std::min<size_t>(5, m) && p + 3 >= m && m >= 4;
}
bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (same_word(x, y)) return true;
  return false;
}

// Words of a field's key ("time_spent_minutes", "followUp") and description, as label words.
std::vector<std::string> key_words(const std::string& key) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    std::string w = label_word(cur);
    if (!w.empty()) out.push_back(w);
    cur.clear();
  };
  for (size_t i = 0; i < key.size(); i++) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c == '_' || c == '-' || c == ' ' || c == '/' || c == '.' || c == ',' || c == '\'' || c == '?') {
      flush();
    } else {
      if (std::isupper(c) && !cur.empty()) flush();
      cur += char(std::tolower(c));
    }
  }
  flush();
  return out;
}

// ---- a text, analysed once --------------------------------------------------------------------------------



// The label of the number at i: the words before it back to the clause start or the previous number, or
// (when none, or when "of"/"for" follows its unit: "500 mg of amoxicillin") the words after it; else the
// previous number's label in the same clause ("142 over 88").
static void label_numbers(Text& x) {
  const auto& t = x.t;
  const Number* prev = nullptr;
  size_t prev_tok = 0;
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i].kind != Tok::number || x.in_date[i]) continue;
    Number n;
    n.tok = i;
    n.unit = unit_at(t, i, n.n_unit);
    // Label words, and the text from the first to the last of them (for messages).
    size_t lo = SIZE_MAX, hi = 0;
    auto take = [&](size_t k, std::vector<std::string>& out) {
      if (t[k].kind != Tok::word) return;
      std::string w = label_word(t[k].text);
      if (w.empty() || negation_cue(t, k)) return;
      out.push_back(w);
      lo = std::min(lo, k), hi = std::max(hi, k);
    };
    auto text = [&] {
      std::string r = lo == SIZE_MAX ? "" : x.s.substr(t[lo].begin, t[hi].end - t[lo].begin);
      lo = SIZE_MAX, hi = 0;
      return r;
    };
    std::vector<std::string> before, after;
    for (size_t k = i, c = 0; k-- > 0 && c < 8; c++) {
      if (boundary(t[k]) || t[k].kind == Tok::number || x.in_date[k]) break;
      take(k, before);
    }
    if (lo != SIZE_MAX) {  // the text runs on to the number, less stopwords: "heart rate" of "heart rate of 95"
      hi = i - 1;
      while (hi > lo && (t[hi].kind == Tok::punct || stopwords().count(t[hi].text))) hi--;
    }
    const std::string before_text = text();
    const size_t a = i + 1 + n.n_unit;
    for (size_t k = a, c = 0; k < t.size() && c < 6; k++, c++) {
      if (boundary(t[k]) || t[k].kind == Tok::number || x.in_date[k]) break;
      take(k, after);
    }
    const std::string after_text = text();
    // "amoxicillin, 500 milligrams": the words before one comma, when nothing else names the number.
    std::vector<std::string> before_comma;
    if (before.empty() && i >= 2 && is_punct(t, i - 1, ",")) {
      for (size_t k = i - 1, c = 0; k-- > 0 && c < 8; c++) {
        if (boundary(t[k]) || t[k].kind == Tok::number || x.in_date[k]) break;
        take(k, before_comma);
      }
    }
    const std::string before_comma_text = text();
    const bool label_after = a < t.size() && (t[a].text == "of" || t[a].text == "for");
    if (!before.empty() && !(label_after && !after.empty())) {
      n.label = before, n.label_text = before_text, n.own = true;
    } else if (!after.empty() || !before_comma.empty()) {  // both when both: "citalopram, 10 mg after meals"
      n.label = before_comma;
      n.label.insert(n.label.end(), after.begin(), after.end());
      n.label_text = before_comma_text.empty() ? after_text : after_text.empty() ? before_comma_text : before_comma_text + " ... " + after_text;
      n.own = true;
    } else if (prev) {
      bool joined = true;
      for (size_t k = prev_tok + 1; k < i; k++) joined = joined && !boundary(t[k]);
      if (joined) n.label = prev->label, n.label_text = prev->label_text, n.own = prev->own;
    }
    // A correction ("250 mg, actually make that 500 mg", "sorry, I mean 20"): a cue between the previous number
    // and this one, at most one sentence apart, units that agree, and this one unlabelled or labelled alike.
    if (prev && i - prev_tok <= 14) {
      bool cue = false;
      int ends = 0;
      for (size_t k = prev_tok + 1; k < i; k++) {
        ends += sentence_end(t[k]) ? 1 : 0;
        cue = cue || (t[k].kind == Tok::word && (t[k].text == "actually" || t[k].text == "correction" ||
                                                 t[k].text == "sorry" || t[k].text == "rather" || t[k].text == "wait" ||
                                                 t[k].text == "scratch" ||
                                                 (t[k].text == "mean" && k > 0 && t[k - 1].text == "i") ||
                                                 (t[k].text == "make" && is_word(t, k + 1, "that")) ||
                                                 (t[k].text == "change" && is_word(t, k + 1, "that"))));
      }
      const bool units = n.unit.empty() || prev->unit.empty() || n.unit == prev->unit;
      if (cue && ends <= 1 && units && (n.label.empty() || overlap(n.label, prev->label))) {
        if (n.label.empty()) n.label = prev->label, n.label_text = prev->label_text;
        if (n.unit.empty()) n.unit = prev->unit;
        x.numbers[size_t(prev - x.numbers.data())].corrected_by = int(x.numbers.size());
      }
    }
    x.numbers.push_back(std::move(n));
    prev = &x.numbers.back();
    prev_tok = i;
  }
}

Text analyse(const std::string& s) {
  Text x;
  x.s = s;
  x.t = merge_numbers(lex(s), s);
  x.neg = negated(x.t);
  // Dates are found with fillers and commas left out ("on 16 um, October 2023").
  static const std::set<std::string> fillers = {"um", "uh", "er", "erm", "ah", "hmm", "mm"};
  std::vector<Tok> kept;
  std::vector<size_t> at;
  for (size_t i = 0; i < x.t.size(); i++) {
    if (is_punct(x.t, i, ",") || (x.t[i].kind == Tok::word && fillers.count(x.t[i].text))) continue;
    kept.push_back(x.t[i]);
    at.push_back(i);
  }
  x.dates = find_dates(kept);
  for (DateMention& d : x.dates) d.first = at[d.first], d.last = at[d.last];
  x.in_date.assign(x.t.size(), false);
  for (const DateMention& d : x.dates)
    for (size_t k = d.first; k <= d.last; k++) x.in_date[k] = true;
  x.numbers.reserve(x.t.size());
  label_numbers(x);
  return x;
}

Span span_of(const Text& x, size_t a, size_t b) { return {x.t[a].begin, x.t[b].end}; }

}  // namespace sotto::support_text
