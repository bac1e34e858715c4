// support.cpp — see support.h. The transcript is read once (support-text.h: tokens, numbers with units and
// labels, dates, negation scopes), then each value of the note is checked by the rule for its kind.
#include "support.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "core/error.h"
#include "support-text.h"

namespace sotto {

using namespace support_text;

namespace {

// ---- the note's values --------------------------------------------------------------------------------------

struct Field {
  std::string path, key;
  const json::Value* v = nullptr;
  const json::Value* schema = nullptr;  // may be null
  std::vector<std::string> words;       // the field's own label: key, parent key, description, identifying siblings
};

const json::Value* sub(const json::Value* s, const char* key, const std::string& name = "") {
  const json::Value* k = s && s->is_object() ? s->find(key) : nullptr;
  if (!k || name.empty()) return k;
  return k->is_object() ? k->find(name) : nullptr;
}

// Label words of a short value naming its item ("amoxicillin"): no numbers, at most 4 words.
std::vector<std::string> naming_words(const json::Value& v) {
  if (!v.is_string()) return {};
  const std::vector<Tok> t = merge_numbers(lex(v.str()), v.str());
  if (t.size() > 4) return {};
  std::vector<std::string> out;
  for (const Tok& x : t) {
    if (x.kind == Tok::number) return {};
    if (x.kind == Tok::word && !label_word(x.text).empty()) out.push_back(label_word(x.text));
  }
  return out;
}

void collect(const json::Value& v, const json::Value* s, const std::string& path, const std::string& key,
             const std::vector<std::string>& inherited, std::vector<Field>& out) {
  if (v.is_array()) {
    for (size_t i = 0; i < v.arr().size(); i++) {
      collect(v.arr()[i], sub(s, "items"), path + "/" + std::to_string(i), key, inherited, out);
    }
    return;
  }
  std::vector<std::string> words = inherited;
  for (const auto& w : key_words(key)) words.push_back(w);
  if (const json::Value* d = sub(s, "description"); d && d->is_string()) {
    for (const auto& w : key_words(d->str())) words.push_back(w);
  }
  if (v.is_object()) {
    for (const auto& [k, x] : v.obj()) {
      std::vector<std::string> w = words;
      for (const auto& [k2, y] : v.obj()) {
        if (k2 != k) for (const auto& n : naming_words(y)) w.push_back(n);
      }
      collect(x, sub(s, "properties", k), path + "/" + k, k, w, out);
    }
    return;
  }
  if (sub(s, "const")) return;  // a choice of the template, not a fact
  if ((v.is_string() && !v.str().empty()) || v.is_number() || v.is_bool()) {
    out.push_back({path, key, &v, s, std::move(words)});
  }
}

// "2026-12-02" -> {2026, 12, 2}; false for anything else.
bool parse_iso_date(const std::string& v, int& y, int& m, int& d) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  y = std::stoi(v.substr(0, 4));
  m = std::stoi(v.substr(5, 2));
  d = std::stoi(v.substr(8, 2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

struct Checker {
  const Text& tr;
  std::map<std::string, std::vector<size_t>> where;  // word -> token indices in the transcript
  std::set<std::string> canon;                       // the transcript's words as label words (synonyms mapped)  // word -> token indices in the transcript
  std::string relative;                              // a relative date said in the transcript, if any
  int vy = 0, vm = 0, vd = 0;                        // the visit date, if given
  std::vector<RelativeDate> rel;                     // the relative dates said, resolved against the visit date

  Checker(const Text& t, const std::string& visit_date) : tr(t) {
    for (size_t i = 0; i < tr.t.size(); i++) {
      if (tr.t[i].kind != Tok::punct) where[tr.t[i].text].push_back(i);
      if (tr.t[i].kind == Tok::word) canon.insert(label_word(tr.t[i].text));
    }
    relative = relative_date(tr.t, tr.s);
    if (!visit_date.empty()) {
      if (!parse_iso_date(visit_date, vy, vm, vd) || resolve_relative(RelativeDate{}, vy, vm, vd).empty()) {
        fail("visit date '", visit_date, "' is not a date (YYYY-MM-DD)");
      }
      rel = relative_dates(tr.t);
    }
  }

  // A word of the transcript, or its singular/plural.
  const std::vector<size_t>* find(const std::string& w) const {
    for (const std::string& f : {w, w + "s", w.size() > 3 && w.back() == 's' ? w.substr(0, w.size() - 1) : w}) {
      if (auto it = where.find(f); it != where.end()) return &it->second;
    }
    return nullptr;
  }

  // A content word of a value: said as such, or as a synonym ("SpO2" for "oxygen saturation").
  bool said(const std::string& w) const {
    if (find(w) || connective(w)) return true;
    const std::string l = label_word(w);
    return !l.empty() && canon.count(l);
  }

  // Words that only tie a number to its quantity ("heart rate 96", "shares worth 188000"): the number's check
  // covers them, and a transcript may say "pulse 96" or "shares of about £188,000".
  static bool connective(const std::string& w) {
    static const std::set<std::string> s = {"rate", "rates", "level", "levels", "reading", "readings", "worth",
                                            "valued", "value", "measured", "approximately", "roughly", "around", "about"};
    return s.count(w) > 0;
  }

  bool year_said(int y) const {
    for (const DateMention& d : tr.dates) if (d.y == y) return true;
    for (const Tok& t : tr.t) if (t.kind == Tok::number && t.four && t.num == y) return true;
    return false;
  }

  // A date checked whole: some date of the transcript with this day and month, and this year (or no year, the
  // year said elsewhere). Else, where the transcript says a relative date, that; else the parts the nearest
  // date of the transcript says otherwise.
  void date(int y, int m, int d, const std::string& text, FieldSupport& fs) const {
    struct Reading {
      int y, m, d;
      const DateMention* at;
    };
    std::vector<Reading> said;  // each reading of each date of the transcript (3/4/2026: two)
    for (const DateMention& dm : tr.dates) {
      said.push_back({dm.y, dm.m, dm.d, &dm});
      if (dm.m2) said.push_back({dm.y, dm.m2, dm.d2, &dm});
    }
    int best = -1;
    const Reading* near = nullptr;  // the reading sharing most parts
    auto year_ok = [&](const Reading& r) { return y == 0 || r.y == y || (r.y == 0 && year_said(y)); };
    for (const Reading& r : said) {
      if (r.m == m && r.d == d && year_ok(r)) {
        fs.spans.push_back(span_of(tr, r.at->first, r.at->last));
        return;
      }
      const int score = (year_ok(r) ? 1 : 0) + (r.m == m ? 1 : 0) + (r.d == d ? 1 : 0);
      if (score > best) best = score, near = &r;
    }
    // With the visit date: a relative date that means this day supports it ("in two weeks" from 2026-03-06 is
    // 2026-03-20); else the first one says what was said and what it meant.
    for (const RelativeDate& r : rel) {
      for (const Ymd& x : resolve_relative(r, vy, vm, vd)) {
        if (x.y == y && x.m == m && x.d == d) {
          fs.spans.push_back(span_of(tr, r.first, r.last));
          return;
        }
      }
    }
    if (!rel.empty()) {
      const Span sp = span_of(tr, rel[0].first, rel[0].last);
      const std::vector<Ymd> x = resolve_relative(rel[0], vy, vm, vd);
      char iso[16];
      std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", x[0].y, x[0].m, x[0].d);
      fs.unsupported.push_back(text + " (said as \"" + tr.s.substr(sp.begin, sp.end - sp.begin) + "\": " + iso +
                               (x.size() > 1 ? " or later" : "") + " from the visit date)");
      return;
    }
    if (!relative.empty()) {
      fs.unsupported.push_back(text + " (said as \"" + relative + "\")");
      return;
    }
    if (y && !(near && year_ok(*near))) fs.unsupported.push_back(std::to_string(y));
    if (!near || near->m != m) fs.unsupported.push_back(month_name(m));
    if (!near || near->d != d) fs.unsupported.push_back(std::to_string(d));
  }

  // `others`: the other numbers' label words that are not this one's; `others_all`: all their label words.
  void number(double v, const std::string& text, const std::string& unit, const std::vector<std::string>& label,
              const std::vector<std::string>& others, const std::vector<std::string>& others_all, FieldSupport& fs) const {
    std::vector<const Number*> same, fits;
    const Number* corrected = nullptr;  // said, then corrected
    for (const Number& n : tr.numbers) {
      const double a = tr.t[n.tok].num;
      if (std::fabs(a - v) > 1e-9 * std::max(1.0, std::fabs(v))) continue;
      if (n.corrected_by >= 0) {
        corrected = &n;
        continue;
      }
      same.push_back(&n);
      if (unit.empty() || n.unit.empty() || unit == n.unit) fits.push_back(&n);
    }
    if (same.empty()) {
      if (v >= 1900 && v <= 2199 && v == std::floor(v) && year_said(int(v))) return;
      if (corrected) {
        const Tok& to = tr.t[tr.numbers[size_t(corrected->corrected_by)].tok];
        fs.unsupported.push_back(text + " (corrected to " + to.text + ")");
        return;
      }
      fs.unsupported.push_back(text);
      return;
    }
    auto span = [&](const Number* n) { fs.spans.push_back(span_of(tr, n->tok, n->tok + n->n_unit)); };
    if (fits.empty()) {
      const Number* n = same.front();
      fs.unsupported.push_back(text + (unit.empty() ? "" : " " + unit) + " (said as " +
                               tr.s.substr(tr.t[n->tok].begin, tr.t[n->tok + n->n_unit].end - tr.t[n->tok].begin) + ")");
      return;
    }
    // The label's words that no other number of the note has ("company" of "company shares" beside
    // "stocks and shares ISA") decide; all its words when none is its own.
    std::vector<std::string> own;
    for (const auto& w : label) {
      if (std::none_of(others_all.begin(), others_all.end(), [&](const std::string& o) { return same_word(w, o); })) own.push_back(w);
    }
    if (own.empty()) own = label;
    for (const Number* n : fits) {
      if (overlap(n->label, own)) return span(n);
    }
    for (const Number* n : fits) {
      if (!overlap(n->label, others)) return span(n);
    }
    fs.unsupported.push_back(text + " (said for " + fits.front()->label_text + ")");
  }
};

struct NoteNumber {
  size_t field;
  size_t tok;  // in the value's Text; SIZE_MAX for a number field
  double v;
  std::string text, unit;
  std::vector<std::string> label;
};

// The unit a numeric field's name carries ("time_spent_minutes": minutes).
std::string unit_of_key(const std::string& key) {
  std::string cur;
  std::vector<std::string> raw;
  for (char c : key + "_") {
    if (c == '_' || c == '-') {
      if (!cur.empty()) raw.push_back(cur);
      cur.clear();
    } else {
      cur += char(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  for (const auto& w : raw) {
    std::vector<Tok> t = {{Tok::number, "1", 1, false, false, 0, 1}, {Tok::word, w, 0, false, false, 1, 2}};
    size_t n;
    if (std::string u = unit_at(t, 0, n); !u.empty()) return u;
  }
  return "";
}

bool noncommittal(const std::string& o) {
  static const std::set<std::string> w = {"other", "unknown", "none", "unspecified", "n/a", "na", "unclear",
                                          "not applicable", "not stated", "not discussed", "not recorded"};
  if (w.count(o)) return true;
  const std::vector<Tok> t = lex(o);
  for (size_t i = 0; i < t.size(); i++) if (negation_cue(t, i)) return true;
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string words_text(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

namespace {

// Enum: the options said in the transcript (not negated) are the evidence; those near the field's words
// first. The chosen option supported when it alone (or nearest) is said; flagged when only others are.
void check_enum(const Checker& c, const Field& f, const json::Value& options, FieldSupport& fs) {
  const Text& tr = c.tr;
  std::vector<size_t> field_pos;
  for (size_t i = 0; i < tr.t.size(); i++) {
    if (tr.t[i].kind == Tok::word && overlap({label_word(tr.t[i].text)}, f.words)) field_pos.push_back(i);
  }
  struct Said {
    std::string option;
    std::vector<size_t> at;  // token indices
    size_t dist = SIZE_MAX;  // to the nearest field word
  };
  std::vector<Said> said;
  for (const json::Value& o : options.arr()) {
    if (!o.is_string() || noncommittal(lower(o.str()))) continue;
    std::vector<std::string> ow;
    for (const Tok& t : lex(o.str())) {
      if (t.kind == Tok::word && !label_word(t.text).empty()) ow.push_back(label_word(t.text));
    }
    if (ow.empty()) continue;
    Said s{o.str(), {}, SIZE_MAX};
    for (size_t i = 0; i < tr.t.size(); i++) {
      if (tr.t[i].kind != Tok::word || tr.neg[i] || !same_word(label_word(tr.t[i].text), ow[0])) continue;
      bool all = true;
      for (size_t w = 1; w < ow.size() && all; w++) {
        bool found = false;
        for (size_t k = i + 1; k < std::min(tr.t.size(), i + 4); k++) found = found || same_word(label_word(tr.t[k].text), ow[w]);
        all = found;
      }
      if (!all) continue;
      s.at.push_back(i);
      for (size_t p : field_pos) s.dist = std::min(s.dist, p > i ? p - i : i - p);
    }
    if (!s.at.empty()) said.push_back(std::move(s));
  }
  const size_t kNear = 15;
  if (std::any_of(said.begin(), said.end(), [&](const Said& s) { return s.dist <= kNear; })) {
    said.erase(std::remove_if(said.begin(), said.end(), [&](const Said& s) { return s.dist > kNear; }), said.end());
  }
  const std::string name = words_text(key_words(f.key));
  if (said.empty() && noncommittal(lower(fs.value))) {
    for (size_t p : field_pos) {
      if (tr.neg[p]) {  // "we did not discuss attitude to risk" for "not discussed"
        fs.spans.push_back(span_of(tr, p, p));
        return;
      }
    }
  }
  if (said.empty()) {
    fs.checked = false;
    fs.why = "no option of " + name + " is said in the transcript";
    return;
  }
  std::sort(said.begin(), said.end(), [](const Said& a, const Said& b) { return a.dist < b.dist; });
  auto mine = std::find_if(said.begin(), said.end(), [&](const Said& s) { return s.option == fs.value; });
  std::string others;
  for (const Said& s : said) {
    if (s.option != fs.value) others += (others.empty() ? "" : " / ") + s.option;
  }
  if (mine == said.end()) {
    fs.unsupported.push_back(fs.value + " (the transcript says " + others + ")");
    return;
  }
  const bool alone = said.size() == 1;
  const bool nearest = !alone && mine == said.begin() && said[0].dist != SIZE_MAX && said[1].dist > said[0].dist;
  if (alone || nearest) {
    for (size_t i : mine->at) fs.spans.push_back(span_of(tr, i, i));
    return;
  }
  fs.checked = false;
  fs.why = "the transcript says " + fs.value + " and " + others + " for " + name;
}

bool not_yet(const std::vector<Tok>& t, size_t i) {
  static const std::set<std::string> w = {"still", "yet", "pending", "will", "ll", "later", "outstanding"};
  return t[i].kind == Tok::word && (w.count(t[i].text) || (t[i].text == "going" && is_word(t, i + 1, "to")));
}

// Boolean: sentences that say the field's words; a negation cue near them says false; the last one wins.
void check_bool(const Checker& c, const Field& f, bool value, FieldSupport& fs) {
  const Text& tr = c.tr;
  std::vector<std::string> kw = key_words(f.key);
  if (kw.empty()) kw = f.words;
  const std::string name = words_text(kw);
  const size_t need = std::min<size_t>(2, kw.size());
  // A field that says something was done ("fees_disclosed"): "we still need to disclose", "I'll disclose" say
  // it was not (yet); a field that says something is needed ("follow_up_required") is not so read.
  const std::string& pred = kw.empty() ? std::string() : kw.back();
  const bool done = pred.size() > 3 && pred.compare(pred.size() - 2, 2, "ed") == 0 && pred != "required";
  int verdict = -1;  // -1 none, 0 false, 1 true
  size_t from = 0, to = 0;
  std::vector<bool> prev(kw.size(), false);  // the key words of the sentence before
  for (size_t a = 0; a < tr.t.size();) {
    size_t b = a;
    while (b < tr.t.size() && !sentence_end(tr.t[b])) b++;
    std::vector<bool> hit(kw.size(), false);
    size_t first = SIZE_MAX, last = 0;
    for (size_t i = a; i < b; i++) {
      if (tr.t[i].kind != Tok::word) continue;
      const std::string w = label_word(tr.t[i].text);
      for (size_t k = 0; k < kw.size(); k++) {
        if (!w.empty() && same_word(w, kw[k])) hit[k] = true, first = std::min(first, i), last = i;
      }
    }
    // Evidence: a sentence with the key words, or with the last of them (the predicate: "disclosed") when
    // the sentence before has the others ("I'll send our fees next time; they were not disclosed today").
    size_t n_hit = 0;
    for (size_t k = 0; k < kw.size(); k++) n_hit += hit[k] || (hit.back() && prev[k]) ? 1 : 0;
    prev = hit;
    if (n_hit >= need && need > 0) {
      bool neg = false;
      for (size_t i = first >= a + 4 ? first - 4 : a; i < std::min(b, last + 5); i++) {
        neg = neg || negation_cue(tr.t, i) || (done && not_yet(tr.t, i));
      }
      verdict = neg ? 0 : 1;
      from = a, to = b > a ? b - 1 : a;
    }
    a = b + 1;
  }
  if (verdict < 0) {
    fs.checked = false;
    fs.why = "no evidence phrase for " + name + " in the transcript";
    return;
  }
  if (verdict == int(value)) {
    fs.spans.push_back(span_of(tr, from, to));
    return;
  }
  std::string said = tr.s.substr(tr.t[from].begin, tr.t[to].end - tr.t[from].begin);
  if (said.size() > 80) said = said.substr(0, 77) + "...";
  fs.unsupported.push_back(std::string(value ? "true" : "false") + " (the transcript says \"" + said + "\")");
}

// Spans of a string value: the longest runs of its words said in a row in the transcript.
void word_spans(const Text& tr, const Text& val, FieldSupport& fs) {
  std::vector<size_t> tw, vw;
  for (size_t i = 0; i < tr.t.size(); i++) if (tr.t[i].kind != Tok::punct) tw.push_back(i);
  for (size_t i = 0; i < val.t.size(); i++) if (val.t[i].kind != Tok::punct) vw.push_back(i);
  for (size_t i = 0; i < vw.size();) {
    size_t best_len = 0, best_at = 0;
    for (size_t j = 0; j < tw.size(); j++) {
      size_t k = 0;
      while (i + k < vw.size() && j + k < tw.size() && val.t[vw[i + k]].text == tr.t[tw[j + k]].text) k++;
      if (k > best_len) best_len = k, best_at = j;
    }
    if (best_len == 0) {
      i++;
      continue;
    }
    if (best_len > 1 || content_word(val.t[vw[i]]) || val.t[vw[i]].kind == Tok::number) {
      fs.spans.push_back({tr.t[tw[best_at]].begin, tr.t[tw[best_at + best_len - 1]].end});
    }
    i += best_len;
  }
}

// Negation: each item of the value (clauses, and the parts of "X and Y", "X or Y") that the transcript says
// only with the other polarity: as a phrase (its words in a row, give or take a few) where the transcript
// says it so, else word by word.
void check_negation(const Checker& c, const Text& val, FieldSupport& fs) {
  const auto& t = val.t;
  const Text& tr = c.tr;
  for (size_t a = 0; a < t.size();) {
    size_t b = a;
    while (b < t.size() && !(t[b].kind == Tok::punct && boundary(t[b])) && !is_word(t, b, "and") && !is_word(t, b, "or")) b++;
    std::vector<size_t> w;  // the item's content words
    for (size_t i = a; i < b; i++) {
      if (content_word(t[i]) && !negation_cue(t, i) && !val.in_date[i] && !unit_word(t[i].text)) w.push_back(i);
    }
    bool mismatch = false, value_neg = false;
    if (!w.empty()) {
      const bool p = val.neg[w[0]];
      std::vector<bool> phrase;  // the polarity of each time the transcript says the item's words together
      if (const std::vector<size_t>* at = c.find(t[w[0]].text)) {
        for (size_t k : *at) {
          bool all = true;
          for (size_t j = 1; j < w.size() && all; j++) {
            bool found = false;
            for (size_t q = k + 1; q < std::min(tr.t.size(), k + w.size() + 5) && !found; q++) {
              const std::string& x = tr.t[q].text;
              found = x == t[w[j]].text || x == t[w[j]].text + "s" || t[w[j]].text == x + "s";
            }
            all = found;
          }
          if (all) phrase.push_back(tr.neg[k]);
        }
      }
      if (!phrase.empty()) {
        mismatch = std::none_of(phrase.begin(), phrase.end(), [&](bool n) { return n == p; });
        value_neg = p;
      } else {
        for (size_t i : w) {
          const std::vector<size_t>* at = c.find(t[i].text);
          if (at && std::none_of(at->begin(), at->end(), [&](size_t k) { return tr.neg[k] == val.neg[i]; })) {
            mismatch = true, value_neg = val.neg[i];
          }
        }
      }
    }
    if (mismatch) {
      size_t first = a, last = b - 1;
      while (first < b && t[first].kind == Tok::punct) first++;
      while (last > first && t[last].kind == Tok::punct) last--;
      fs.unsupported.push_back(val.s.substr(t[first].begin, t[last].end - t[first].begin) +
                               (value_neg ? " (the transcript says it without negation)" : " (negated in the transcript)"));
    }
    a = b + 1;
  }
}

}  // namespace

std::vector<FieldSupport> check_support(const json::Value& note, const std::string& transcript,
                                        const json::Value* schema, const std::string& visit_date) {
  const Text tr = analyse(transcript);
  const Checker c(tr, visit_date);
  std::vector<Field> fields;
  collect(note, schema, "", "", {}, fields);

  // Every number of the note with its label, so that each can be told from the others.
  std::vector<Text> values(fields.size());
  std::vector<NoteNumber> nums;
  for (size_t f = 0; f < fields.size(); f++) {
    const json::Value& v = *fields[f].v;
    int y, m, d;
    if (v.is_string() && !sub(fields[f].schema, "enum") && !parse_iso_date(v.str(), y, m, d)) {
      values[f] = analyse(v.str());
      for (const Number& n : values[f].numbers) {
        nums.push_back({f, n.tok, values[f].t[n.tok].num, values[f].t[n.tok].text, n.unit,
                        n.label.empty() ? fields[f].words : n.label});
      }
    } else if (v.is_number()) {
      nums.push_back({f, SIZE_MAX, v.number(), json::dump(v), unit_of_key(fields[f].key), fields[f].words});
    }
  }
  auto others_of = [&](size_t k, bool all) {
    std::vector<std::string> o;
    for (size_t j = 0; j < nums.size(); j++) {
      if (j == k) continue;
      for (const auto& w : nums[j].label) {
        if (all || !overlap({w}, nums[k].label)) o.push_back(w);
      }
    }
    return o;
  };

  std::vector<FieldSupport> out;
  for (size_t f = 0; f < fields.size(); f++) {
    const Field& fd = fields[f];
    const json::Value& v = *fd.v;
    FieldSupport fs;
    fs.path = fd.path;
    fs.value = v.is_string() ? v.str() : json::dump(v);
    int y, m, d;
    if (v.is_bool()) {
      check_bool(c, fd, v.boolean(), fs);
    } else if (const json::Value* e = sub(fd.schema, "enum"); e && e->is_array() && v.is_string()) {
      check_enum(c, fd, *e, fs);
    } else if (v.is_string() && parse_iso_date(v.str(), y, m, d)) {
      c.date(y, m, d, v.str(), fs);
    } else if (v.is_number()) {
      for (size_t k = 0; k < nums.size(); k++) {
        if (nums[k].field == f) c.number(nums[k].v, nums[k].text, nums[k].unit, nums[k].label, others_of(k, false), others_of(k, true), fs);
      }
    } else {
      const Text& val = values[f];
      std::vector<bool> unit(val.t.size(), false);  // checked with their number
      for (const Number& n : val.numbers)
        for (size_t k = 1; k <= n.n_unit; k++) unit[n.tok + k] = true;
      for (size_t i = 0; i < val.t.size(); i++) {
        const Tok& t = val.t[i];
        if (unit[i]) continue;
        if (val.in_date[i]) {
          for (const DateMention& dm : val.dates) {
            if (dm.first == i) {
              c.date(dm.y, dm.m, dm.d, val.s.substr(t.begin, val.t[dm.last].end - t.begin), fs);
            }
          }
        } else if (t.kind == Tok::number) {
          for (size_t k = 0; k < nums.size(); k++) {
            if (nums[k].field == f && nums[k].tok == i) {
              c.number(nums[k].v, nums[k].text, nums[k].unit, nums[k].label, others_of(k, false), others_of(k, true), fs);
            }
          }
        } else if (content_word(t) && !negation_cue(val.t, i) && !c.said(t.text)) {
          fs.unsupported.push_back(t.text);
        }
      }
      check_negation(c, val, fs);
      word_spans(tr, val, fs);
    }
    // In transcript order, without spans inside others.
    std::sort(fs.spans.begin(), fs.spans.end(), [](const Span& a, const Span& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<Span> kept;
    for (const Span& sp : fs.spans) {
      if (kept.empty() || sp.end > kept.back().end) kept.push_back(sp);
    }
    fs.spans = std::move(kept);
    fs.flagged = !fs.unsupported.empty();
    out.push_back(std::move(fs));
  }
  return out;
}

json::Value support_to_json(const std::vector<FieldSupport>& support) {
  json::Value items = json::Value::array();
  for (const FieldSupport& f : support) {
    json::Value spans = json::Value::array(), unsupported = json::Value::array();
    for (const Span& sp : f.spans) {
      json::Value pair = json::Value::array();
      pair.push_back(json::Value(int64_t(sp.begin)));
      pair.push_back(json::Value(int64_t(sp.end)));
      spans.push_back(std::move(pair));
    }
    for (const std::string& w : f.unsupported) unsupported.push_back(json::Value(w));
    json::Value o = json::Value::object();
    o.set("path", json::Value(f.path));
    o.set("value", json::Value(f.value));
    o.set("spans", std::move(spans));
    o.set("unsupported", std::move(unsupported));
    o.set("flagged", json::Value(f.flagged));
    o.set("checked", json::Value(f.checked));
    if (!f.checked) o.set("why", json::Value(f.why));
    if (!f.uncertain_speech.empty()) {
      json::Value u = json::Value::array();
      for (const std::string& w : f.uncertain_speech) u.push_back(json::Value(w));
      o.set("uncertain_speech", std::move(u));
    }
    items.push_back(std::move(o));
  }
  return items;
}

}  // namespace sotto
