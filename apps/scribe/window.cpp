// window.cpp — see window.h.
#include "window.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/error.h"

namespace sotto {

namespace {

// A piece of the transcript that a window holds whole: [begin, end) bytes and its tokens.
struct Unit {
  size_t begin, end;
  int tokens;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// [b, e) cut after each occurrence of one of `seps` (the separator stays with the piece before it).
std::vector<std::pair<size_t, size_t>> cut(const std::string& s, size_t b, size_t e, std::string_view seps) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = b;
  for (size_t i = b; i < e; i++) {
    const bool sentence_end = (s[i] == '.' || s[i] == '?' || s[i] == '!') && i + 1 < e && is_space(s[i + 1]);
    const bool hit = seps == "." ? sentence_end : seps.find(s[i]) != std::string_view::npos;
    if (hit) {
      out.push_back({start, i + 1});
      start = i + 1;
    }
  }
  if (start < e) out.push_back({start, e});
  return out;
}

// Lines, then sentences of lines too long for a window, then words of sentences still too long.
std::vector<Unit> units_of(const std::string& t, int window_tokens, const std::function<int(std::string_view)>& count) {
  std::vector<Unit> out;
  auto add = [&](size_t b, size_t e) { out.push_back({b, e, count(std::string_view(t).substr(b, e - b))}); };
  for (auto [lb, le] : cut(t, 0, t.size(), "\n")) {
    const int n = count(std::string_view(t).substr(lb, le - lb));
    if (n <= window_tokens) {
      out.push_back({lb, le, n});
      continue;
    }
    for (auto [sb, se] : cut(t, lb, le, ".")) {
      if (count(std::string_view(t).substr(sb, se - sb)) <= window_tokens) {
        add(sb, se);
        continue;
      }
      for (auto [wb, we] : cut(t, sb, se, " \t")) add(wb, we);
    }
  }
  return out;
}

}  // namespace

int note_reserve_tokens(int n_ctx_train, int max_tokens) {
  return std::min(max_tokens, std::max(128, n_ctx_train / 4));
}

WindowPlan plan_windows(const std::string& transcript, int prompt_tokens, int overhead_tokens, int reserve_tokens,
                        int n_ctx_train, const std::function<int(std::string_view)>& count) {
  WindowPlan plan;
  plan.n_ctx_train = n_ctx_train;
  plan.prompt_tokens = prompt_tokens;
  if (n_ctx_train <= 0 || prompt_tokens + reserve_tokens <= n_ctx_train) {
    plan.windows.push_back({0, transcript.size()});
    return plan;
  }
  const int budget = n_ctx_train - overhead_tokens - reserve_tokens;
  if (budget < 32) {  // no room to window: read whole, and say so
    plan.past_trained = true;
    plan.windows.push_back({0, transcript.size()});
    return plan;
  }
  plan.window_tokens = budget;
  const int overlap = budget / 8;
  const std::vector<Unit> u = units_of(transcript, budget, count);
  size_t i = 0;
  while (i < u.size()) {
    size_t j = i;
    int n = 0;
    while (j < u.size() && (j == i || n + u[j].tokens <= budget)) n += u[j++].tokens;
    plan.windows.push_back({u[i].begin, u[j - 1].end});
    if (j == u.size()) break;
    // The next window starts with the last units of this one that fit in `overlap` tokens (never all of them).
    size_t k = j;
    int back = 0;
    while (k - 1 > i && back + u[k - 1].tokens <= overlap) back += u[--k].tokens;
    i = k;
  }
  return plan;
}

std::string describe_windows(const WindowPlan& plan) {
  auto num = [](int v) {
    const std::string d = std::to_string(v);
    std::string s;
    for (size_t i = 0; i < d.size(); i++) {
      if (i > 0 && (d.size() - i) % 3 == 0) s += ',';
      s += d[i];
    }
    return s;
  };
  if (plan.past_trained) {
    return "the note model was trained on " + num(plan.n_ctx_train) + " tokens, too few for windows of this prompt's " +
           "instruction and a note: the transcript (" + num(plan.prompt_tokens) +
           " prompt tokens) is read whole, past what the model was trained on";
  }
  if (plan.windows.size() <= 1) return "";
  return "the transcript (" + num(plan.prompt_tokens) + " prompt tokens) is longer than the note model was trained on (" +
         num(plan.n_ctx_train) + " tokens): read in " + std::to_string(plan.windows.size()) +
         " overlapping windows of up to " + num(plan.window_tokens) + " tokens, their notes merged under the template" +
         [&] {
           std::string s;
           for (const WindowPlan::Skipped& k : plan.skipped) {
             s += "; window of bytes " + std::to_string(k.window.begin) + "-" + std::to_string(k.window.end) +
                  " gave no note and is left out (" + k.why + ")";
           }
           return s;
         }();
}

namespace {

// What one window's check says of a value: 2 supported, 1 no evidence either way, 0 flagged.
int score_of(const std::vector<FieldSupport>& sup, const std::string& path) {
  bool any = false, supported = false;
  for (const FieldSupport& f : sup) {
    const bool under = f.path == path || (f.path.size() > path.size() && f.path.compare(0, path.size(), path) == 0 &&
                                          f.path[path.size()] == '/');
    if (!under) continue;
    any = true;
    if (f.flagged) return 0;
    if (f.checked) supported = true;
  }
  return any && supported ? 2 : 1;
}

std::string norm(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += char(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// UTF-8 code points of s (JSON Schema's maxLength counts them).
size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// s cut to at most `max` code points, at the last space that keeps it within (or mid-word when there is none).
std::string cut_to(const std::string& s, size_t max) {
  if (code_points(s) <= max) return s;
  size_t bytes = 0, n = 0;
  while (bytes < s.size() && n < max) {
    bytes++;
    while (bytes < s.size() && (static_cast<unsigned char>(s[bytes]) & 0xC0) == 0x80) bytes++;
    n++;
  }
  std::string out = s.substr(0, bytes);
  const size_t sp = out.find_last_of(' ');
  if (sp != std::string::npos && sp > 0) out.resize(sp);
  while (!out.empty() && (out.back() == ' ' || out.back() == ';' || out.back() == ',')) out.pop_back();
  return out;
}

const json::Value* prop(const json::Value* schema, const char* key) { return schema ? schema->find(key) : nullptr; }

bool is_choice(const json::Value* schema, const json::Value& v) {
  if (!v.is_string()) return true;  // numbers and booleans
  return prop(schema, "enum") || prop(schema, "format") || prop(schema, "const") || prop(schema, "pattern");
}

struct Candidate {
  const json::Value* v;
  int window;
  int score;
};

// The identity of an array item across windows: its first string field (a medication's name), or the item.
std::string item_key(const json::Value& item) {
  if (item.is_object()) {
    for (const auto& [k, x] : item.obj()) {
      if (x.is_string()) return k + "=" + norm(x.str());
    }
  }
  return item.is_string() ? norm(item.str()) : json::dump(item);
}

json::Value merge(const json::Value* schema, const std::vector<Candidate>& all, const std::string& path,
                  const std::vector<std::vector<FieldSupport>>& sup);

json::Value merge_object(const json::Value* schema, const std::vector<Candidate>& cs, const std::string& path,
                         const std::vector<std::vector<FieldSupport>>& sup) {
  std::vector<std::string> keys;
  if (const json::Value* props = prop(schema, "properties"); props && props->is_object()) {
    for (const auto& [k, s] : props->obj()) keys.push_back(k);
  }
  for (const Candidate& c : cs) {
    for (const auto& [k, x] : c.v->obj()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  json::Value out = json::Value::object();
  const json::Value* props = prop(schema, "properties");
  for (const std::string& k : keys) {
    std::vector<Candidate> kids;
    for (const Candidate& c : cs) {
      if (const json::Value* x = c.v->find(k)) kids.push_back({x, c.window, 0});
    }
    if (kids.empty()) continue;
    out.set(k, merge(props ? props->find(k) : nullptr, kids, path + "/" + k, sup));
  }
  return out;
}

json::Value merge_array(const json::Value* schema, const std::vector<Candidate>& cs, const std::string& path,
                        const std::vector<std::vector<FieldSupport>>& sup) {
  struct Item {
    const json::Value* v;
    int score;
  };
  std::vector<std::string> order;
  std::map<std::string, Item> latest;
  auto collect = [&](int min_score) {
    for (const Candidate& c : cs) {
      for (size_t i = 0; i < c.v->arr().size(); i++) {
        const json::Value& item = c.v->arr()[i];
        const int s = score_of(sup[size_t(c.window)], path + "/" + std::to_string(i));
        if (s < min_score) continue;
        const std::string key = item_key(item);
        if (!latest.count(key)) order.push_back(key);
        latest[key] = {&item, s};
      }
    }
  };
  collect(1);
  if (order.empty()) {  // every item flagged in its window: the last window's items (the final check flags them)
    for (const json::Value& item : cs.back().v->arr()) {
      const std::string key = item_key(item);
      if (!latest.count(key)) order.push_back(key);
      latest[key] = {&item, 0};
    }
  }
  size_t max_items = order.size();
  if (const json::Value* m = prop(schema, "maxItems"); m && m->is_number()) max_items = std::min(max_items, size_t(m->number()));
  json::Value out = json::Value::array();
  for (size_t i = 0; i < max_items; i++) out.push_back(*latest[order[i]].v);
  return out;
}

json::Value merge_text(const json::Value* schema, const std::vector<Candidate>& cs) {
  int best = 0;
  for (const Candidate& c : cs) best = std::max(best, c.score);
  std::vector<std::string> parts;
  for (const Candidate& c : cs) {
    if (c.score < std::min(best, 1) || c.v->str().empty()) continue;
    const std::string n = norm(c.v->str());
    bool dup = false;
    for (std::string& p : parts) {
      const std::string pn = norm(p);
      if (pn.find(n) != std::string::npos) dup = true;
      else if (n.find(pn) != std::string::npos) p.clear();  // this window says more of the same: it replaces
    }
    parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
    if (!dup) parts.push_back(c.v->str());
  }
  if (best == 0 && parts.size() > 1) parts.erase(parts.begin(), parts.end() - 1);  // all flagged: the last one
  std::string s;
  for (const std::string& p : parts) {
    if (!s.empty()) s += (s.back() == '.' ? " " : "; ");
    s += p;
  }
  if (const json::Value* m = prop(schema, "maxLength"); m && m->is_number()) s = cut_to(s, size_t(m->number()));
  return json::Value(s);
}

json::Value merge(const json::Value* schema, const std::vector<Candidate>& all, const std::string& path,
                  const std::vector<std::vector<FieldSupport>>& sup) {
  std::vector<Candidate> cs;
  for (Candidate c : all) {
    if (c.v->is_null()) continue;  // "not stated" never replaces a value
    c.score = score_of(sup[size_t(c.window)], path);
    cs.push_back(c);
  }
  if (cs.empty()) return *all.back().v;
  const json::Value& first = *cs.front().v;
  std::vector<Candidate> same;  // the values of the first one's kind (a window note is valid under the schema)
  for (const Candidate& c : cs) {
    if (c.v->kind() == first.kind()) same.push_back(c);
  }
  if (first.is_object()) return merge_object(schema, same, path, sup);
  if (first.is_array()) return merge_array(schema, same, path, sup);
  if (first.is_string() && !is_choice(schema, first)) return merge_text(schema, same);
  // A choice (date, enum, boolean, number): the last window with the best evidence, so a later correction wins.
  const Candidate* pick = &cs.front();
  for (const Candidate& c : cs) {
    if (c.score >= pick->score) pick = &c;
  }
  return *pick->v;
}

}  // namespace

json::Value merge_window_notes(const json::Value& schema, const std::vector<json::Value>& notes,
                               const std::string& transcript, const std::vector<Span>& windows,
                               const std::string& visit_date) {
  if (notes.empty() || notes.size() != windows.size()) {
    fail("merge_window_notes: ", std::to_string(notes.size()), " notes for ", std::to_string(windows.size()), " windows");
  }
  if (notes.size() == 1) return notes[0];
  std::vector<std::vector<FieldSupport>> sup;
  std::vector<Candidate> cs;
  for (size_t w = 0; w < notes.size(); w++) {
    const Span s = windows[w];
    if (s.begin > s.end || s.end > transcript.size()) fail("merge_window_notes: window ", std::to_string(w), " is outside the transcript");
    if (!notes[w].is_object()) fail("merge_window_notes: window ", std::to_string(w), "'s note is not a JSON object");
    sup.push_back(check_support(notes[w], transcript.substr(s.begin, s.end - s.begin), &schema, visit_date));
    cs.push_back({&notes[w], int(w), 0});
  }
  return merge_object(&schema, cs, "", sup);
}

}  // namespace sotto
