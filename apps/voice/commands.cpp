// commands.cpp — see commands.h. parse() compiles each phrase once to a list of literal words and slots; matching
// walks the utterance's words against each compiled phrase of each command (every way a slot can take its words),
// keeping the distinct actions found: one is the match, none or several are "not a command".
#include "voice/commands.h"

#include "voice/command-grammar.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.h"
#include "core/json.h"
#include "voice/command-grammar.h"

namespace sotto::voice {

namespace {

const std::map<std::string, int> kUnits = {
    {"zero", 0},      {"one", 1},        {"two", 2},       {"three", 3},     {"four", 4},     {"five", 5},
    {"six", 6},       {"seven", 7},      {"eight", 8},     {"nine", 9},      {"ten", 10},     {"eleven", 11},
    {"twelve", 12},   {"thirteen", 13},  {"fourteen", 14}, {"fifteen", 15},  {"sixteen", 16}, {"seventeen", 17},
    {"eighteen", 18}, {"nineteen", 19}};
const std::map<std::string, int> kTens = {{"twenty", 20}, {"thirty", 30}, {"forty", 40}, {"fifty", 50},
                                          {"sixty", 60},  {"seventy", 70}, {"eighty", 80}, {"ninety", 90}};
const std::set<std::string> kLeading = {"please", "okay", "ok", "um", "uh", "er", "hey", "so"};
const std::set<std::string> kTrailing = {"please", "now", "thanks", "um", "uh"};

bool is_digits(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); });
}
bool is_decimal(const std::string& w) {
  const size_t dot = w.find('.');
  if (dot == std::string::npos) return is_digits(w);
  return is_digits(w.substr(0, dot)) && is_digits(w.substr(dot + 1));
}

// A run of number words from words[i]: its value and length (0 when words[i] starts none). "twenty five",
// "one hundred and five", "two thousand three hundred"; a unit after a unit ("one two") starts a new number.
std::pair<int64_t, size_t> number_words(const std::vector<std::string>& w, size_t i) {
  int64_t total = 0, current = 0;
  size_t n = 0;
  enum { None, Unit, Teen, Ten, Scale } last = None;
  for (size_t k = i; k < w.size(); k++) {
    const std::string& x = w[k];
    if (auto u = kUnits.find(x); u != kUnits.end()) {
      const bool teen = u->second >= 10;
      if (last == Unit || last == Teen || (last == Ten && teen)) break;
      current += u->second;
      last = teen ? Teen : Unit;
    } else if (auto t = kTens.find(x); t != kTens.end()) {
      if (last == Unit || last == Teen || last == Ten) break;
      current += t->second;
      last = Ten;
    } else if (x == "hundred") {
      if (last == None || last == Scale || current >= 100 || current == 0) break;
      current *= 100;
      last = Scale;
    } else if (x == "thousand") {
      if (last == None || current == 0 || total > 0) break;
      total += current * 1000;
      current = 0;
      last = Scale;
    } else if (x == "and" && last == Scale && k + 1 < w.size() &&
               (kUnits.count(w[k + 1]) || kTens.count(w[k + 1]))) {
      n = k - i + 1;  // consumed with what follows
      continue;
    } else {
      break;
    }
    n = k - i + 1;
  }
  return {total + current, n};
}

}  // namespace

std::vector<std::string> normalise(const std::string& text) {
  std::string s;
  for (size_t i = 0; i < text.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isalnum(c)) {
      s += char(std::tolower(c));
    } else if (c == '.' && i > 0 && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
               std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      s += '.';  // a decimal point
    } else if (c == '\'' && !s.empty() && std::isalpha(static_cast<unsigned char>(s.back()))) {
      s += '\'';  // "don't"
    } else if (c == '%') {
      s += " percent ";
    } else {
      s += ' ';  // punctuation, hyphens, non-ASCII bytes
    }
  }
  std::vector<std::string> raw;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && s[i] == ' ') i++;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') j++;
    if (j > i) {
      std::string w = s.substr(i, j - i);
      while (!w.empty() && w.back() == '\'') w.pop_back();
      if (!w.empty()) raw.push_back(w);
    }
    i = j;
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < raw.size();) {
    const auto [value, n] = number_words(raw, i);
    if (n > 0) {
      // "three point five": a decimal
      if (i + n + 1 < raw.size() && raw[i + n] == "point" && kUnits.count(raw[i + n + 1]) && kUnits.at(raw[i + n + 1]) < 10) {
        std::string d = std::to_string(value) + ".";
        size_t k = i + n + 1;
        while (k < raw.size() && kUnits.count(raw[k]) && kUnits.at(raw[k]) < 10) d += char('0' + kUnits.at(raw[k++]));
        out.push_back(d);
        i = k;
      } else {
        out.push_back(std::to_string(value));
        i += n;
      }
    } else {
      out.push_back(raw[i++]);
    }
  }
  size_t a = 0, b = out.size();
  while (a < b && kLeading.count(out[a])) a++;
  for (;;) {
    if (a < b && kTrailing.count(out[b - 1])) {
      b--;
    } else if (b - a >= 2 && out[b - 2] == "thank" && out[b - 1] == "you") {
      b -= 2;
    } else {
      break;
    }
  }
  return std::vector<std::string>(out.begin() + long(a), out.begin() + long(b));
}

namespace {

// "turn on the {room} lights" -> [turn, on, the, {room}, lights] (literals normalised like an utterance).
std::vector<PhraseElem> compile(const std::string& phrase, const Command& c, const std::string& where) {
  std::vector<PhraseElem> out;
  std::string lit;
  auto flush = [&] {
    for (auto& w : normalise(lit)) out.push_back({-1, w});
    lit.clear();
  };
  for (size_t i = 0; i < phrase.size(); i++) {
    if (phrase[i] == '}') fail(where, ": a '}' without its '{' in \"", phrase, "\"");
    if (phrase[i] != '{') {
      lit += phrase[i];
      continue;
    }
    const size_t end = phrase.find('}', i);
    if (end == std::string::npos) fail(where, ": a '{' without its '}' in \"", phrase, "\"");
    const std::string name = phrase.substr(i + 1, end - i - 1);
    int idx = -1;
    for (size_t s = 0; s < c.slots.size(); s++) {
      if (c.slots[s].name == name) idx = int(s);
    }
    if (idx < 0) fail(where, ": slot {", name, "} in \"", phrase, "\" is not declared in \"slots\"");
    flush();
    out.push_back({idx, ""});
    i = end;
  }
  flush();
  if (out.empty()) fail(where, ": an empty phrase");
  for (size_t s = 0; s < c.slots.size(); s++) {
    const auto n = std::count_if(out.begin(), out.end(), [&](const PhraseElem& e) { return e.slot == int(s); });
    if (n != 1) {
      fail(where, ": slot {", c.slots[s].name, "} must appear once in each phrase (", std::to_string(n), " times in \"",
           phrase, "\")");
    }
  }
  return out;
}

// Whether a number slot's value v, said last, could still grow into another value of the slot as the speaker goes
// on ("twenty" -> "twenty five", "one" -> "one hundred", "two" -> "two point five"): some v' of its range whose
// spoken words start with v's. A slot of more values than spoken_forms is asked about: yes.
bool number_may_grow(const Slot& s, double v) {
  if (v != std::floor(v)) return false;
  if (s.type == Slot::Type::Number && v < s.maximum) return true;  // "... point five"
  const double lo = std::max(s.minimum, 0.0), hi = s.maximum;
  if (hi - lo + 1 > double(kMaxSpokenValues)) return true;
  const int64_t iv = int64_t(v);
  std::vector<std::string> stems;
  for (const std::string& f : spoken_forms(iv)) {
    if (!std::isdigit(static_cast<unsigned char>(f[0]))) stems.push_back(f);
  }
  auto grows_into = [&](int64_t c) {
    if (c == iv || double(c) < s.minimum || double(c) > hi) return false;
    for (const std::string& f : spoken_forms(c)) {
      for (const std::string& stem : stems) {
        if (f.size() > stem.size() + 1 && f.compare(0, stem.size(), stem) == 0 && (f[stem.size()] == ' ' || f[stem.size()] == '-')) {
          return true;
        }
      }
    }
    return false;
  };
  for (int64_t c = int64_t(std::ceil(lo)); c <= int64_t(hi); c++) {
    if (grows_into(c)) return true;
  }
  return false;
}

// The readings of the utterance as one compiled phrase (found); with `prefix`, also whether the utterance could be
// the start of a longer reading (continues): it ends inside the phrase, or with a slot value that may still grow.
struct Walk {
  const std::vector<std::string>& words;
  const Command& cmd;
  const std::vector<PhraseElem>& elems;
  std::vector<SlotValue> cur;
  std::vector<std::vector<SlotValue>> found;
  bool prefix = false;
  bool continues = false;

  void go(size_t e, size_t w) {
    if (found.size() > 4) return;  // enough to see an ambiguity
    if (e == elems.size()) {
      if (w == words.size()) found.push_back(cur);
      return;
    }
    if (prefix && w == words.size()) {  // said so far: a start of this phrase
      continues = true;
      return;
    }
    const PhraseElem& el = elems[e];
    if (el.slot < 0) {
      if (w < words.size() && words[w] == el.word) go(e + 1, w + 1);
      return;
    }
    const Slot& s = cmd.slots[size_t(el.slot)];
    SlotValue& v = cur[size_t(el.slot)];
    if (s.type == Slot::Type::Enum) {
      for (size_t k = 0; k < s.values.size(); k++) {
        const std::vector<std::string>& vw = s.value_words[k];
        if (w + vw.size() <= words.size() && std::equal(vw.begin(), vw.end(), words.begin() + long(w))) {
          v.text = s.values[k];
          go(e + 1, w + vw.size());
        } else if (prefix && w + vw.size() > words.size() && std::equal(words.begin() + long(w), words.end(), vw.begin())) {
          continues = true;  // the first words of a value ("loading" of "loading bay")
        }
      }
      return;
    }
    if (w >= words.size()) return;
    const std::string& x = words[w];
    if (s.type == Slot::Type::Integer ? !is_digits(x) : !is_decimal(x)) return;
    const double d = std::strtod(x.c_str(), nullptr);
    if (d < s.minimum || d > s.maximum) return;
    if (prefix && w + 1 == words.size() && number_may_grow(s, d)) continues = true;
    v.number = d;
    v.is_number = true;
    go(e + 1, w + 1);
  }
};

std::string number_text(double d) {
  char b[64];
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    std::snprintf(b, sizeof b, "%lld", static_cast<long long>(d));
  } else {
    std::snprintf(b, sizeof b, "%.10g", d);
  }
  return b;
}

std::string action_key(int cmd, const std::vector<SlotValue>& v) {
  std::string k = std::to_string(cmd);
  for (const auto& s : v) k += "\x1f" + (s.is_number ? number_text(s.number) : s.text);
  return k;
}

Slot parse_slot(const std::string& name, const json::Value& v, const std::string& where) {
  Slot s;
  s.name = name;
  if (!v.is_object()) fail(where, ": slot \"", name, "\" must be an object ({\"enum\": [...]} or {\"type\": \"integer\", ...})");
  for (const auto& [k, x] : v.obj()) {
    if (k != "enum" && k != "type" && k != "minimum" && k != "maximum" && k != "description") {
      fail(where, ": slot \"", name, "\": unknown key \"", k, "\" (enum, type, minimum, maximum, description)");
    }
  }
  const json::Value* en = v.find("enum");
  const json::Value* ty = v.find("type");
  if (en && ty) fail(where, ": slot \"", name, "\": either \"enum\" or \"type\", not both");
  if (en) {
    if (!en->is_array() || en->arr().empty()) fail(where, ": slot \"", name, "\": \"enum\" must be a non-empty array of strings");
    std::set<std::string> seen;
    for (const auto& e : en->arr()) {
      if (!e.is_string()) fail(where, ": slot \"", name, "\": each enum value must be a string with a word in it");
      std::vector<std::string> words = normalise(e.str());
      if (words.empty()) fail(where, ": slot \"", name, "\": each enum value must be a string with a word in it");
      std::string key;
      for (const auto& w : words) key += w + " ";
      if (!seen.insert(key).second) fail(where, ": slot \"", name, "\": enum values \"", e.str(), "\" and another read the same when spoken");
      s.values.push_back(e.str());
      s.value_words.push_back(std::move(words));
    }
    if (v.find("minimum") || v.find("maximum")) fail(where, ": slot \"", name, "\": minimum and maximum are for numbers");
    return s;
  }
  if (!ty || !ty->is_string() || (ty->str() != "integer" && ty->str() != "number")) {
    fail(where, ": slot \"", name, "\" needs \"enum\" or \"type\": \"integer\" or \"number\"");
  }
  s.type = ty->str() == "integer" ? Slot::Type::Integer : Slot::Type::Number;
  for (const char* key : {"minimum", "maximum"}) {
    const json::Value* b = v.find(key);
    if (!b) fail(where, ": slot \"", name, "\": numbers need \"minimum\" and \"maximum\" (a spoken value outside them is not a command)");
    if (!b->is_number()) fail(where, ": slot \"", name, "\": \"", key, "\" must be a number");
    (std::string(key) == "minimum" ? s.minimum : s.maximum) = b->number();
  }
  if (s.minimum > s.maximum) fail(where, ": slot \"", name, "\": minimum ", number_text(s.minimum), " is above maximum ", number_text(s.maximum));
  if (s.minimum < 0) fail(where, ": slot \"", name, "\": spoken numbers are not negative (minimum ", number_text(s.minimum), ")");
  return s;
}

}  // namespace

CommandSet CommandSet::parse(const std::string& json_text, const std::string& source) {
  const json::Value root = json::parse(json_text, source);
  if (!root.is_object()) fail(source, ": a command set is an object {\"commands\": [...]}");
  for (const auto& [k, v] : root.obj()) {
    if (k != "commands" && k != "description") fail(source, ": unknown key \"", k, "\" (commands, description)");
  }
  const json::Value* cmds = root.find("commands");
  if (!cmds || !cmds->is_array() || cmds->arr().empty()) fail(source, ": \"commands\" must be a non-empty array");
  CommandSet set;
  std::set<std::string> names;
  std::vector<std::vector<std::string>> examples;
  for (size_t i = 0; i < cmds->arr().size(); i++) {
    const json::Value& c = cmds->arr()[i];
    std::string where = source + ": command " + std::to_string(i + 1);
    if (!c.is_object()) fail(where, " must be an object");
    const json::Value* name = c.find("name");
    if (!name || !name->is_string() || name->str().empty()) fail(where, ": \"name\" must be a non-empty string");
    for (char ch : name->str()) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') {
        fail(where, ": name \"", name->str(), "\" may hold letters, digits, '_', '-' and '.' only");
      }
    }
    where = source + ": command \"" + name->str() + "\"";
    if (!names.insert(name->str()).second) fail(where, ": a second command of that name");
    for (const auto& [k, v] : c.obj()) {
      if (k != "name" && k != "say" && k != "slots" && k != "confirm" && k != "examples" && k != "description") {
        fail(where, ": unknown key \"", k, "\" (name, say, slots, confirm, examples, description)");
      }
    }
    Command cmd;
    cmd.name = name->str();
    if (const json::Value* sl = c.find("slots")) {
      if (!sl->is_object()) fail(where, ": \"slots\" must be an object of slot name -> type");
      for (const auto& [k, v] : sl->obj()) cmd.slots.push_back(parse_slot(k, v, where));
    }
    if (const json::Value* cf = c.find("confirm")) {
      if (!cf->is_bool()) fail(where, ": \"confirm\" must be true or false");
      cmd.confirm = cf->boolean();
    }
    const json::Value* say = c.find("say");
    if (!say || !say->is_array() || say->arr().empty()) fail(where, ": \"say\" must be a non-empty array of phrases");
    for (const auto& p : say->arr()) {
      if (!p.is_string()) fail(where, ": each phrase in \"say\" must be a string");
      cmd.compiled.push_back(compile(p.str(), cmd, where));  // checks it
      cmd.phrases.push_back(p.str());
    }
    examples.emplace_back();
    if (const json::Value* ex = c.find("examples")) {
      if (!ex->is_array()) fail(where, ": \"examples\" must be an array of utterances");
      for (const auto& e : ex->arr()) {
        if (!e.is_string()) fail(where, ": each example must be a string");
        examples.back().push_back(e.str());
      }
    }
    set.commands.push_back(std::move(cmd));
  }
  // Each example must come out as its own command: a set whose phrases collide says so at load, not in use.
  for (size_t i = 0; i < examples.size(); i++) {
    for (const std::string& e : examples[i]) {
      const Match m = match(set, e);
      if (m.command != int(i)) {
        fail(source, ": command \"", set.commands[i].name, "\": example \"", e, "\" is ",
             m.command >= 0 ? "command \"" + set.commands[size_t(m.command)].name + "\"" : "not a command (" + m.reason + ")");
      }
    }
  }
  return set;
}

Match match(const CommandSet& set, const std::string& text) {
  Match out;
  const std::vector<std::string> words = normalise(text);
  if (words.empty()) {
    out.reason = "empty";
    return out;
  }
  std::map<std::string, std::pair<int, std::vector<SlotValue>>> actions;
  for (size_t c = 0; c < set.commands.size(); c++) {
    const Command& cmd = set.commands[c];
    for (const std::vector<PhraseElem>& elems : cmd.compiled) {
      Walk wk{words, cmd, elems, {}, {}};
      wk.cur.resize(cmd.slots.size());
      for (size_t s = 0; s < cmd.slots.size(); s++) wk.cur[s].name = cmd.slots[s].name;
      wk.go(0, 0);
      for (auto& v : wk.found) actions[action_key(int(c), v)] = {int(c), v};
    }
  }
  if (actions.empty()) {
    out.reason = "no command matches";
    return out;
  }
  if (actions.size() > 1) {
    std::set<std::string> which;
    for (const auto& [k, a] : actions) which.insert(set.commands[size_t(a.first)].name);
    out.reason = "ambiguous:";
    for (const auto& n : which) out.reason += (out.reason.back() == ':' ? " " : ", ") + n;
    if (which.size() == 1) out.reason += " (two readings of its slots)";
    return out;
  }
  const auto& a = actions.begin()->second;
  out.command = a.first;
  out.slots = a.second;
  out.confirm = set.commands[size_t(a.first)].confirm;
  return out;
}

bool may_continue(const CommandSet& set, const std::string& text) {
  const std::vector<std::string> words = normalise(text);
  if (words.empty()) return true;
  for (const Command& cmd : set.commands) {
    for (const std::vector<PhraseElem>& elems : cmd.compiled) {
      Walk wk{words, cmd, elems, {}, {}};
      wk.prefix = true;
      wk.cur.resize(cmd.slots.size());
      wk.go(0, 0);
      if (wk.continues) return true;
    }
  }
  return false;
}

std::string match_fields(const CommandSet& set, const Match& m) {
  if (m.command < 0) return "\"command\": null, \"reason\": " + json::quote(m.reason);
  std::string s = "\"command\": " + json::quote(set.commands[size_t(m.command)].name) + ", \"slots\": {";
  for (size_t i = 0; i < m.slots.size(); i++) {
    s += (i ? ", " : "") + json::quote(m.slots[i].name) + ": " +
         (m.slots[i].is_number ? number_text(m.slots[i].number) : json::quote(m.slots[i].text));
  }
  return s + "}, \"confirm\": " + (m.confirm ? "true" : "false");
}

std::string match_json(const CommandSet& set, const Match& m) { return "{" + match_fields(set, m) + "}"; }

}  // namespace sotto::voice
