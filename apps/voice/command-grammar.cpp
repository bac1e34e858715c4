// command-grammar.cpp — see command-grammar.h. The grammar's shape:
//   root ::= " "? lead? ( phrase_0 | phrase_1 | ... ) tail? [.!?]?
//   phrase_k ::= word (","? " " (word | slot_j))*      slot_j ::= <character trie of its values>
#include "voice/command-grammar.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "core/json.h"

namespace sotto::voice {
namespace {

const char* kUnitWords[] = {"zero",    "one",     "two",       "three",    "four",     "five",    "six",
                            "seven",   "eight",   "nine",      "ten",      "eleven",   "twelve",  "thirteen",
                            "fourteen", "fifteen", "sixteen",  "seventeen", "eighteen", "nineteen"};
const char* kTenWords[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

// Words for 0 <= v < 1000: sep between tens and units ("-" or " "), `and` after "hundred".
std::string below_thousand(int64_t v, const char* sep, bool with_and) {
  std::string s;
  if (v >= 100) {
    s = std::string(kUnitWords[v / 100]) + " hundred";
    v %= 100;
    if (v == 0) return s;
    s += with_and ? " and " : " ";
  }
  if (v < 20) return s + kUnitWords[v];
  s += kTenWords[v / 10];
  if (v % 10) s += sep + std::string(kUnitWords[v % 10]);
  return s;
}

std::string words_for(int64_t v, const char* sep, bool with_and) {
  if (v < 1000) return below_thousand(v, sep, with_and);
  std::string s = below_thousand(v / 1000, sep, with_and) + " thousand";
  if (v % 1000) s += " " + below_thousand(v % 1000, sep, with_and);
  return s;
}

// A character trie of strings (lower case), emitted as one GBNF expression; a letter that starts a word may be
// either case.
struct Trie {
  std::map<char, std::unique_ptr<Trie>> kids;
  bool end = false;
  void add(const std::string& s) {
    Trie* t = this;
    for (char c : s) {
      auto& k = t->kids[c];
      if (!k) k = std::make_unique<Trie>();
      t = k.get();
    }
    t->end = true;
  }
};

std::string char_expr(char c, char prev) {
  const bool word_start = prev == ' ' || prev == '-' || prev == 0;
  if (word_start && std::isalpha(static_cast<unsigned char>(c))) {
    return std::string("[") + char(std::toupper(static_cast<unsigned char>(c))) + char(std::tolower(static_cast<unsigned char>(c))) + "]";
  }
  if (c == '"' || c == '\\') return std::string("\"\\") + c + "\"";
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
    char b[8];
    std::snprintf(b, sizeof b, "\"\\x%02X\"", static_cast<unsigned char>(c));
    return b;
  }
  return std::string("\"") + c + "\"";
}

// The expression of the strings below t (t's own string ends in `prev`); "" when t only ends.
std::string emit(const Trie& t, char prev) {
  std::vector<std::string> alts;
  for (const auto& [c, k] : t.kids) {
    std::string e = char_expr(c, prev);
    const std::string rest = emit(*k, c);
    if (!rest.empty()) e += " " + rest;
    alts.push_back(std::move(e));
  }
  if (alts.empty()) return "";
  std::string s;
  if (alts.size() == 1 && !t.end) return alts[0];
  s = "(";
  for (size_t i = 0; i < alts.size(); i++) s += (i ? " | " : " ") + alts[i];
  s += " )";
  if (t.end) s += "?";
  return s;
}

std::string trie_expr(const std::vector<std::string>& values, char prev) {
  Trie t;
  for (const auto& v : values) t.add(v);
  return emit(t, prev);
}

// Spoken forms of the integers in [lo, hi] (lo <= hi, at most kMaxSpokenValues of them).
std::vector<std::string> range_forms(int64_t lo, int64_t hi, bool words, bool digits) {
  std::vector<std::string> out;
  for (int64_t v = lo; v <= hi; v++) {
    for (const auto& f : spoken_forms(v)) {
      const bool is_digits = std::isdigit(static_cast<unsigned char>(f[0]));
      if (is_digits ? digits : words) out.push_back(f);
    }
  }
  return out;
}

// A generic number (a slot of too many values): number words, or digits with a decimal point.
const char* kGenericNumber =
    "( [0-9]+ ( \".\" [0-9]+ )? | gnw ( ( \"-\" | \" \" ) gnw )* )";

std::string slot_expr(const Slot& s, bool& generic) {
  if (s.type == Slot::Type::Enum) {
    std::vector<std::string> vals;
    for (const auto& w : s.value_words) {
      std::string v;
      for (const auto& x : w) v += (v.empty() ? "" : " ") + x;
      vals.push_back(v);
    }
    return trie_expr(vals, ' ');
  }
  const int64_t lo = int64_t(std::floor(std::max(0.0, s.minimum)));
  const int64_t hi = int64_t(std::floor(std::min(s.maximum, 1e15)));
  if (hi - lo + 1 > kMaxSpokenValues) {
    generic = true;
    return kGenericNumber;
  }
  if (s.type == Slot::Type::Integer) {
    const int64_t ilo = int64_t(std::ceil(s.minimum));
    return trie_expr(range_forms(ilo, hi, true, true), ' ');
  }
  // A number: its integer part in words then " point" and digit words, or digits then "." and digits.
  const std::string words = trie_expr(range_forms(lo, hi, true, false), ' ');
  const std::string digits = trie_expr(range_forms(lo, hi, false, true), ' ');
  const char* dw = "( \"zero\" | \"one\" | \"two\" | \"three\" | \"four\" | \"five\" | \"six\" | \"seven\" | \"eight\" | \"nine\" )";
  return "( " + words + " ( \" point\" ( \" \" " + dw + " )+ )? | " + digits + " ( \".\" [0-9]+ )? )";
}

std::string literal_expr(const std::string& word) { return trie_expr({word}, ' '); }

}  // namespace

std::vector<std::string> spoken_forms(int64_t v) {
  std::vector<std::string> out = {std::to_string(v)};
  for (const char* sep : {"-", " "}) {
    for (bool with_and : {true, false}) {
      const std::string w = words_for(v, sep, with_and);
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
    }
  }
  return out;
}

std::string command_gbnf(const CommandSet& set) {
  std::string g;
  bool generic = false;
  std::string phrases;
  int k = 0;
  for (const auto& cmd : set.commands) {
    std::vector<std::string> slot_rules(cmd.slots.size());
    for (size_t j = 0; j < cmd.slots.size(); j++) {
      slot_rules[j] = "c" + std::to_string(&cmd - set.commands.data()) + "s" + std::to_string(j);
      g += slot_rules[j] + " ::= " + slot_expr(cmd.slots[j], generic) + "\n";
    }
    for (const auto& phrase : cmd.compiled) {
      std::string p = "p" + std::to_string(k++);
      std::string body;
      for (size_t e = 0; e < phrase.size(); e++) {
        if (e && phrase[e].slot < 0 && phrase[e].word == "percent") {  // "75%" reads as "75 percent"
          body += " ( \"%\" | \",\"? \" \" [Pp] \"ercent\" )";
          continue;
        }
        if (e) body += " \",\"? \" \" ";
        body += phrase[e].slot >= 0 ? slot_rules[size_t(phrase[e].slot)] : literal_expr(phrase[e].word);
      }
      g += p + " ::= " + body + "\n";
      phrases += (phrases.empty() ? "" : " | ") + p;
    }
  }
  if (generic) {
    g += "gnw ::= ";
    std::vector<std::string> w = {"hundred", "thousand", "and"};
    for (const char* u : kUnitWords) w.push_back(u);
    for (int i = 2; i < 10; i++) w.push_back(kTenWords[i]);
    g += trie_expr(w, ' ') + "\n";
  }
  const std::string lead = "( ( [Pp] \"lease\" | [Oo] \"kay\" | \"OK\" | [Oo] \"k\" ) \",\"? \" \" )";
  const std::string tail = "( \",\"? \" \" ( \"please\" | \"now\" | \"thanks\" | \"thank you\" ) )";
  return "root ::= \" \"? " + lead + "? ( " + phrases + " ) " + tail + "? [.!?]?\n" + g;
}

Choice choose(const CommandSet& set, const Hypothesis& free, const Hypothesis* biased, double margin) {
  Choice c;
  c.text = free.text;
  c.match = match(set, free.text);
  if (c.match.command >= 0 || !biased || !biased->complete) return c;
  if (biased->mean_logprob < free.mean_logprob - margin) {
    if (c.match.reason != "empty") c.match.reason = "no command matches";
    return c;
  }
  Match m = match(set, biased->text);
  if (m.command < 0) return c;
  c.match = std::move(m);
  c.text = biased->text;
  c.biased = true;
  return c;
}

double mean_logprob(double sum, int n) { return n > 0 ? sum / n : -1e9; }

std::string choice_json(const CommandSet& set, const Hypothesis& free, const Hypothesis* biased, double margin) {
  const Choice c = choose(set, free, biased, margin);
  auto lp = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", v);
    return std::string(b);
  };
  std::string o = "\"text\": " + json::quote(c.text) + ", " + match_fields(set, c.match) +
                  ", \"decoded\": " + (c.biased ? "\"command\"" : "\"free\"");
  if (c.biased) o += ", \"heard\": " + json::quote(free.text);
  o += ", \"logprob_free\": " + lp(free.mean_logprob);
  if (biased) {
    o += ", \"logprob_command\": " + (biased->complete ? lp(biased->mean_logprob) : std::string("null")) +
         ", \"command_text\": " + json::quote(biased->text);
  }
  return o;
}

}  // namespace sotto::voice
