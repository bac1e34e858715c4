// cite-check.cpp — see cite-check.h.
#include "cite-check.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/json.h"
#include "scribe/support-text.h"
#include "scribe/support.h"

namespace sotto::rag {

namespace st = support_text;

namespace {

bool blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

std::string base_name(const std::string& path) {
  const std::string b = std::filesystem::path(path).filename().string();
  return b.empty() ? path : b;
}

// The first occurrence of q in t at or after `from` that starts and ends on word boundaries, or npos.
size_t find_words(const std::string& t, const std::string& q) {
  if (q.empty()) return std::string::npos;
  const bool word_start = word_byte(static_cast<unsigned char>(q.front()));
  const bool word_end = word_byte(static_cast<unsigned char>(q.back()));
  for (size_t p = t.find(q); p != std::string::npos; p = t.find(q, p + 1)) {
    if (word_start && p > 0 && word_byte(static_cast<unsigned char>(t[p - 1]))) continue;
    const size_t e = p + q.size();
    if (word_end && e < t.size() && word_byte(static_cast<unsigned char>(t[e]))) continue;
    return p;
  }
  return std::string::npos;
}

// A marker "[3]" or "[1, 2]" at text[i]: its numbers and its length (0 when there is none).
size_t marker_at(const std::string& s, size_t i, std::vector<int>* nums) {
  if (i >= s.size() || s[i] != '[') return 0;
  size_t j = i + 1;
  std::vector<int> got;
  for (;;) {
    while (j < s.size() && s[j] == ' ') j++;
    size_t d = j;
    int v = 0;
    while (d < s.size() && std::isdigit(static_cast<unsigned char>(s[d])) && d - j < 4) v = v * 10 + (s[d++] - '0');
    if (d == j) return 0;
    got.push_back(v);
    j = d;
    while (j < s.size() && s[j] == ' ') j++;
    if (j < s.size() && s[j] == ',') {
      j++;
      continue;
    }
    if (j < s.size() && s[j] == ']') break;
    return 0;
  }
  if (nums) *nums = got;
  return j + 1 - i;
}

bool has_checkable_word(const std::string& s) {
  for (const st::Tok& t : st::merge_numbers(st::lex(s), s)) {
    if (t.kind == st::Tok::number || st::content_word(t)) return true;
  }
  return false;
}

// The content words and numbers of s (lower-case words; numbers by value).
struct Words {
  std::vector<std::string> words;
  std::vector<double> numbers;
};
Words words_of(const std::string& s) {
  Words w;
  for (const st::Tok& t : st::merge_numbers(st::lex(s), s)) {
    if (t.kind == st::Tok::number) w.numbers.push_back(t.num);
    else if (st::content_word(t)) w.words.push_back(t.text);
  }
  return w;
}
// Whether quote q holds item i of s (its words, then its numbers).
bool covers(const Words& q, const Words& s, size_t i) {
  if (i < s.words.size()) {
    return std::any_of(q.words.begin(), q.words.end(), [&](const std::string& w) { return st::same_word(w, s.words[i]); });
  }
  const double v = s.numbers[i - s.words.size()];
  return std::find(q.numbers.begin(), q.numbers.end(), v) != q.numbers.end();
}

}  // namespace

int AnswerCheck::n_supported() const {
  return int(std::count_if(quotes.begin(), quotes.end(), [](const QuoteCheck& q) { return q.supported; }));
}
int AnswerCheck::n_flagged() const {
  return int(std::count_if(sentences.begin(), sentences.end(), [](const SentenceCheck& s) { return !s.backed; }));
}

std::string normalize_quote_text(const std::string& s, std::vector<size_t>* map) {
  // Characters read as others (PDF text layers and typesetting have them where a quote typed by hand has not):
  // "" drops the character, " " is a blank.
  static const std::pair<const char*, const char*> kAs[] = {
      {"\xC2\xA0", " "},   {"\xE2\x80\xAF", " "},  {"\xE2\x80\x89", " "},  {"\xE2\x80\x8A", " "},  // no-break, thin, hair
      {"\xC2\xAD", ""},    {"\xE2\x80\x8B", ""},   {"\xEF\xBB\xBF", ""},                           // soft hyphen, ZWSP, BOM
      {"\xE2\x80\x98", "'"}, {"\xE2\x80\x99", "'"}, {"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""},
      {"\xE2\x80\x90", "-"}, {"\xE2\x80\x91", "-"}, {"\xE2\x80\x93", "-"}, {"\xE2\x80\x94", "-"},  // hyphens, dashes
      {"\xEF\xAC\x80", "ff"}, {"\xEF\xAC\x81", "fi"}, {"\xEF\xAC\x82", "fl"}, {"\xEF\xAC\x83", "ffi"},
      {"\xEF\xAC\x84", "ffl"}};
  std::string out;
  if (map) map->clear();
  bool pending = false;
  size_t pending_at = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    std::string repl(1, char(c < 0x80 ? std::tolower(c) : c));
    if (blank(c)) repl = " ";
    if (c >= 0x80) {
      for (const auto& [from, to] : kAs) {
        const size_t n = std::char_traits<char>::length(from);
        if (s.compare(i, n, from) == 0) {
          repl = to, len = n;
          break;
        }
      }
    }
    if (repl == " ") {
      if (!out.empty() && !pending) pending = true, pending_at = i;
      i += len;
      continue;
    }
    if (pending && !repl.empty()) {
      out += ' ';
      if (map) map->push_back(pending_at);
      pending = false;
    }
    for (char r : repl) {
      out += r;
      if (map) map->push_back(i);
    }
    i += len;
  }
  if (map) map->push_back(pending ? pending_at : s.size());
  return out;
}

std::string trim_quote(const std::string& quote) {
  static const char* const wraps[] = {"\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x98", "\xE2\x80\x99", "\xC2\xAB",
                                      "\xC2\xBB", "\xE2\x80\xA6", "...", "\"", "'", "`"};
  size_t b = 0, e = quote.size();
  for (bool changed = true; changed && b < e;) {
    changed = false;
    while (b < e && blank(static_cast<unsigned char>(quote[b]))) b++, changed = true;
    while (e > b && blank(static_cast<unsigned char>(quote[e - 1]))) e--, changed = true;
    while (e > b && std::string_view(".,;:!?").find(quote[e - 1]) != std::string_view::npos) e--, changed = true;
    for (const char* w : wraps) {
      const size_t n = std::char_traits<char>::length(w);
      if (e - b >= n && quote.compare(b, n, w) == 0) b += n, changed = true;
      if (e - b >= n && quote.compare(e - n, n, w) == 0) e -= n, changed = true;
    }
  }
  return quote.substr(b, e - b);
}

QuoteCheck check_quote(const Citation& c, const std::vector<Hit>& passages) {
  QuoteCheck r;
  const std::string trimmed = trim_quote(c.quote);
  const std::string q = normalize_quote_text(trimmed);
  if (q.empty()) {
    r.why = "empty quote";
    return r;
  }
  if (!has_checkable_word(trimmed)) {
    r.why = "no content word or number to check";
    return r;
  }
  bool cited_given = false;
  int same_doc = -1, other_doc = -1;
  for (size_t i = 0; i < passages.size(); i++) {
    const Hit& p = passages[i];
    const bool cited = p.document == c.document && p.page == c.page;
    cited_given = cited_given || cited;
    std::vector<size_t> map;
    const std::string t = normalize_quote_text(p.text, &map);
    const size_t at = find_words(t, q);
    if (at == std::string::npos) continue;
    if (cited) {
      r.supported = true;
      r.passage = int(i);
      size_t e = map[at + q.size()];
      while (e > map[at] && blank(static_cast<unsigned char>(p.text[e - 1]))) e--;
      r.begin = size_t(p.begin) + map[at];
      r.end = size_t(p.begin) + e;
      return r;
    }
    if (p.document == c.document && same_doc < 0) same_doc = int(i);
    if (p.document != c.document && other_doc < 0) other_doc = int(i);
  }
  const std::string cited_name = base_name(c.document) + " page " + std::to_string(c.page);
  if (!cited_given) {
    r.why = "no passage of " + cited_name + " was given";
  } else if (same_doc >= 0) {
    r.why = "not on page " + std::to_string(c.page) + " of " + base_name(c.document) + ": it is on page " +
            std::to_string(passages[size_t(same_doc)].page);
  } else if (other_doc >= 0) {
    const Hit& o = passages[size_t(other_doc)];
    r.why = "not in " + cited_name + ": it is in " + base_name(o.document) + " page " + std::to_string(o.page);
  } else {
    r.why = "not in the cited passage, word for word";
  }
  return r;
}

std::vector<SentenceCheck> split_sentences(const std::string& text, int n_citations, bool lines) {
  std::vector<SentenceCheck> out;
  SentenceCheck cur;
  size_t start = 0;
  auto add_marker = [&](const std::vector<int>& nums) {
    for (int n : nums) {
      if (n >= 1 && n <= n_citations && std::find(cur.marked.begin(), cur.marked.end(), n) == cur.marked.end())
        cur.marked.push_back(n);
    }
  };
  auto close = [&](size_t end) {
    size_t b = start, e = end;
    while (b < e && blank(static_cast<unsigned char>(text[b]))) b++;
    while (e > b && blank(static_cast<unsigned char>(text[e - 1]))) e--;
    cur.begin = b, cur.end = e;
    // A sentence of nothing but markers and punctuation joins the one before.
    bool words = false;
    for (size_t i = b; i < e;) {
      if (const size_t m = marker_at(text, i, nullptr)) {
        i += m;
        continue;
      }
      words = words || word_byte(static_cast<unsigned char>(text[i]));
      i++;
    }
    if (!words && !out.empty()) {
      for (int n : cur.marked)
        if (std::find(out.back().marked.begin(), out.back().marked.end(), n) == out.back().marked.end())
          out.back().marked.push_back(n);
      if (e > b) out.back().end = e;
    } else if (e > b) {
      out.push_back(cur);
    }
    cur = SentenceCheck();
    start = end;
  };
  for (size_t i = 0; i < text.size();) {
    std::vector<int> nums;
    if (const size_t m = marker_at(text, i, &nums)) {
      add_marker(nums);
      i += m;
      continue;
    }
    const char c = text[i];
    if (c == '\n' && (lines || text.find_first_not_of(" \t\r", i + 1) == std::string::npos ||
                      text[text.find_first_not_of(" \t\r", i + 1)] == '\n')) {
      close(i);
      i++;
      continue;
    }
    if ((c == '.' || c == '!' || c == '?') && (i + 1 == text.size() || blank(static_cast<unsigned char>(text[i + 1])))) {
      // Markers right after the end ("... days. [1]") belong to this sentence.
      size_t j = i + 1;
      for (;;) {
        size_t k = j;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) k++;
        std::vector<int> after;
        const size_t m = marker_at(text, k, &after);
        if (!m) break;
        add_marker(after);
        j = k + m;
      }
      close(j);
      i = j;
      continue;
    }
    i++;
  }
  close(text.size());
  return out;
}

bool is_not_found(const std::string& answer) {
  std::string a = normalize_quote_text(answer);
  while (!a.empty() && (a.back() == '.' || a.back() == ' ')) a.pop_back();
  return a == kNotFound;
}

AnswerCheck check_answer(const std::string& answer, const std::vector<Citation>& citations,
                         const std::vector<Hit>& passages) {
  AnswerCheck a;
  for (const Citation& c : citations) a.quotes.push_back(check_quote(c, passages));
  if (is_not_found(answer) && citations.empty()) {
    a.not_found = true;
    return a;
  }
  std::vector<Words> quote_words;
  for (const Citation& c : citations) quote_words.push_back(words_of(c.quote));
  a.sentences = split_sentences(answer, int(citations.size()));
  for (SentenceCheck& s : a.sentences) {
    // The sentence's words, its markers blanked out (their digits are not numbers of the answer).
    std::string text = answer.substr(s.begin, s.end - s.begin);
    for (size_t i = 0; i < text.size();) {
      if (const size_t m = marker_at(text, i, nullptr)) {
        std::fill(text.begin() + long(i), text.begin() + long(i + m), ' ');
        i += m;
      } else {
        i++;
      }
    }
    std::vector<int> evidence;
    for (size_t k = 0; k < citations.size(); k++) {
      const bool marked = std::find(s.marked.begin(), s.marked.end(), int(k + 1)) != s.marked.end();
      if (a.quotes[k].supported && (s.marked.empty() || marked)) evidence.push_back(int(k + 1));
    }
    if (evidence.empty()) {
      s.why = s.marked.empty() ? "no supported citation" : "the citations it marks are not supported";
      continue;
    }
    std::string ev;
    for (int k : evidence) ev += trim_quote(citations[size_t(k - 1)].quote) + "\n";
    json::Value obj = json::Value::object();
    obj.set("sentence", json::Value(text));
    const std::vector<FieldSupport> fs = check_support(obj, ev);
    if (!fs.empty()) {
      for (std::string m : fs[0].unsupported) {  // the scribe's words for a transcript, said of quotes
        for (const auto& [from, to] : {std::pair<std::string, std::string>{"the transcript says", "the quotes say"},
                                       {"in the transcript", "in the quotes"}}) {
          if (const size_t at = m.find(from); at != std::string::npos) m.replace(at, from.size(), to);
        }
        s.missing.push_back(m);
      }
    }
    // Negation word by word as well: the scribe's check reads a phrase's polarity at its first word, so "invoices are
    // not payable" would pass against "invoices are payable". A word the answer says only under a negation cue (or
    // only without one) that the quotes say only the other way is flagged.
    const st::Text sa = st::analyse(text), se = st::analyse(ev);
    std::string neg_here, neg_there;  // words negated in the answer only; in the quotes only
    for (size_t i = 0; i < sa.t.size(); i++) {
      if (!st::content_word(sa.t[i]) || st::negation_cue(sa.t, i)) continue;
      bool said = false, same = false;
      for (size_t k = 0; k < se.t.size(); k++) {
        if (se.t[k].kind != st::Tok::word || !st::same_word(se.t[k].text, sa.t[i].text)) continue;
        said = true;
        same = same || se.neg[k] == sa.neg[i];
      }
      std::string& to = sa.neg[i] ? neg_here : neg_there;
      if (said && !same) to += (to.empty() ? "" : " ") + sa.t[i].text;
    }
    if (!neg_here.empty()) s.missing.push_back(neg_here + " (negated in the answer, not in the quotes)");
    if (!neg_there.empty()) s.missing.push_back(neg_there + " (negated in the quotes, not in the answer)");
    s.backed = s.missing.empty();
    if (!s.backed) {
      s.why = "its citations' quotes do not say:";
      for (size_t i = 0; i < s.missing.size(); i++) s.why += (i ? ", " : " ") + s.missing[i];
    }
    // Backing: the fewest of the evidence's citations that cover the sentence's words (greedy, most new words first).
    const Words sw = words_of(text);
    std::vector<bool> covered(sw.words.size() + sw.numbers.size(), false);
    for (;;) {
      int best = -1;
      size_t best_new = 0;
      for (int k : evidence) {
        if (std::find(s.backing.begin(), s.backing.end(), k) != s.backing.end()) continue;
        size_t n = 0;
        for (size_t i = 0; i < covered.size(); i++) n += !covered[i] && covers(quote_words[size_t(k - 1)], sw, i) ? 1 : 0;
        if (n > best_new) best = k, best_new = n;
      }
      if (best < 0) break;
      s.backing.push_back(best);
      for (size_t i = 0; i < covered.size(); i++) covered[i] = covered[i] || covers(quote_words[size_t(best - 1)], sw, i);
    }
    std::sort(s.backing.begin(), s.backing.end());
  }
  return a;
}

}  // namespace sotto::rag
