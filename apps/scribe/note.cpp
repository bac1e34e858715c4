// note.cpp — see note.h.
#include "note.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/file.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"
#include "text/tokenizer.h"

namespace sotto {

NoteTemplate load_template(const std::string& name_or_path, const std::vector<std::string>& search_dirs) {
  NoteTemplate t;
  std::vector<std::string> tried;
  if (std::filesystem::is_regular_file(name_or_path)) {
    t.path = name_or_path;
  } else {
    for (const auto& d : search_dirs) {
      const std::string p = d + "/templates/" + name_or_path + ".schema.json";
      tried.push_back(p);
      if (std::filesystem::is_regular_file(p)) {
        t.path = p;
        break;
      }
    }
    if (t.path.empty()) {
      // The names the user could have meant: every NAME.schema.json in the searched templates/ folders.
      std::set<std::string> names;
#if !defined(__wasi__)  // WASI's libc++ lists no directories (the wasm engine gets templates as text)
      std::error_code ec;
      for (const auto& d : search_dirs) {
        for (const auto& e : std::filesystem::directory_iterator(d + "/templates", ec)) {
          const std::string f = e.path().filename().string();
          const std::string ext = ".schema.json";
          if (f.size() > ext.size() && f.compare(f.size() - ext.size(), ext.size(), ext) == 0) {
            names.insert(f.substr(0, f.size() - ext.size()));
          }
        }
      }
#endif
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      if (list.empty()) {
        for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p;
        fail("template '", name_or_path, "' not found (looked for ", list.empty() ? "a file of that name" : list, ")");
      }
      fail("template '", name_or_path, "' not found: the templates are ", list, " (or give the path of a .schema.json)");
    }
  }
  t.name = std::filesystem::path(t.path).filename().string();
  if (const size_t dot = t.name.find('.'); dot != std::string::npos) t.name.resize(dot);
  t.schema_text = read_file(t.path);
  t.schema = json::parse(t.schema_text, t.path);
  if (!t.schema.is_object() || !t.schema.find("properties")) fail(t.path, ": a template must be an object schema with properties");
  const json::Value* title = t.schema.find("title");
  const json::Value* desc = t.schema.find("description");
  if (!desc || !desc->is_string() || desc->str().empty()) fail(t.path, ": the template needs a \"description\" (the instruction)");
  t.title = title && title->is_string() ? title->str() : t.name;
  t.instruction = desc->str();
  return t;
}

bool is_calendar_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

std::string note_user_turn(const NoteTemplate& t, const std::string& transcript, const std::string& visit_date) {
  std::string head = t.instruction;
  if (!visit_date.empty()) {
    if (!is_calendar_date(visit_date)) fail("visit date '", visit_date, "' is not a date (YYYY-MM-DD)");
    head += "\n\nVisit date: " + visit_date;
  }
  return head + "\n\nTranscript:\n" + transcript + "\n\nAnswer with the JSON note only.";
}

std::vector<int32_t> note_prompt_tokens(const Tokenizer& tok, const std::string& user) {
  try {
    return encode_prompt(tok, user, true, "");
  } catch (const Error&) {  // no chat format: plain prompt
    return encode_prompt(tok, user + "\n", false, "");
  }
}

WindowPlan plan_note_windows(const Tokenizer& tok, int n_ctx_train, const NoteTemplate& t, const std::string& transcript,
                             int max_tokens, const std::string& visit_date) {
  const int prompt = int(note_prompt_tokens(tok, note_user_turn(t, transcript, visit_date)).size());
  const int overhead = int(note_prompt_tokens(tok, note_user_turn(t, "", visit_date)).size());
  return plan_windows(transcript, prompt, overhead, note_reserve_tokens(n_ctx_train, max_tokens), n_ctx_train,
                      [&](std::string_view s) { return int(tok.encode(s, false, false).size()); });
}

int window_max_tokens(const Tokenizer& tok, int n_ctx_train, const NoteTemplate& t, const std::string& part,
                      int max_tokens, const std::string& visit_date) {
  return std::min(max_tokens, std::max(32, n_ctx_train - int(note_prompt_tokens(tok, note_user_turn(t, part, visit_date)).size())));
}

namespace {

GenerateResult generate_note(LoadedModel& lm, const NoteTemplate& t, const std::string& transcript,
                             const NoteOptions& opt, const TextCallback& on_text, EvidenceStats* ev_stats) {
  std::shared_ptr<const grammar::TokenTrie> trie = grammar::make_token_trie(*lm.tokenizer);
  auto cg = std::make_shared<grammar::CompiledGrammar>(grammar::compile_json_schema(t.schema_text, t.path), trie);
  SamplerParams sp;
  sp.temperature = opt.temperature;
  sp.seed = opt.seed;
  SamplerChain chain = make_chain(sp);
  EvidenceSampler* evidence = nullptr;
  if (opt.evidence) {
    auto e = std::make_unique<EvidenceSampler>(trie, t.schema, transcript);
    evidence = e.get();
    chain.add_front(std::move(e));
  }
  chain.add_front(make_grammar_sampler(std::move(cg), lm.tokenizer.get()));
  const std::vector<int32_t> prompt = note_prompt_tokens(*lm.tokenizer, note_user_turn(t, transcript, opt.visit_date));
  if (int(prompt.size()) >= opt.n_ctx) {
    fail("the transcript is too long for the context: ", std::to_string(prompt.size()), " prompt tokens, context ",
         std::to_string(opt.n_ctx), " (raise --ctx-size)");
  }
  KvCache cache = lm.model->new_cache(opt.n_ctx);
  GenerateParams gp;
  gp.max_tokens = opt.max_tokens;
  GenerateResult r = generate(*lm.model, cache, *lm.tokenizer, chain, prompt, gp, on_text);
  if (evidence && ev_stats) {
    const EvidenceStats e = evidence->stats();
    ev_stats->masks += e.masks;
    ev_stats->fallbacks += e.fallbacks;
    ev_stats->values += e.values;
    ev_stats->left_source += e.left_source;
    ev_stats->mask_s += e.mask_s;
    ev_stats->nodes += e.nodes;
  }
  if (r.stats.stop != StopReason::Eog) {
    fail("the note was not finished (stopped by ", stop_reason_name(r.stats.stop),
         " after ", std::to_string(r.stats.n_generated), " tokens); raise --max-tokens or --ctx-size");
  }
  return r;
}

}  // namespace

NoteResult write_note(LoadedModel& lm, const NoteTemplate& t, const std::string& transcript, const NoteOptions& opt,
                      const TextCallback& on_text) {
  NoteResult res;
  const int n_ctx_train = opt.windows ? lm.model->config().n_ctx_train : 0;
  res.windows = plan_note_windows(*lm.tokenizer, n_ctx_train, t, transcript, opt.max_tokens, opt.visit_date);
  if (res.windows.windows.size() == 1) {
    GenerateResult r = generate_note(lm, t, transcript, opt, on_text, &res.evidence);
    res.text = r.text;
    res.note = json::parse(r.text, "generated note");
    res.stats = r.stats;
  } else {
    std::vector<json::Value> notes;
    std::vector<Span> read;
    for (size_t k = 0; k < res.windows.windows.size(); k++) {
      const Span w = res.windows.windows[k];
      const std::string part = transcript.substr(w.begin, w.end - w.begin);
      // A window's note may run to the end of the trained context, not past it (where the model was not trained).
      NoteOptions wo = opt;
      wo.max_tokens = window_max_tokens(*lm.tokenizer, n_ctx_train, t, part, opt.max_tokens, opt.visit_date);
      GenerateResult r;
      try {
        r = generate_note(lm, t, part, wo, on_text, &res.evidence);
      } catch (const Error& e) {
        // One retry sampling (a greedy loop is the usual cause), then the window is left out, and said so.
        wo.temperature = std::max(opt.temperature, 0.7f);
        wo.seed = opt.seed + k + 1;
        try {
          r = generate_note(lm, t, part, wo, on_text, &res.evidence);
        } catch (const Error& e2) {
          res.windows.skipped.push_back({w, e2.what()});
          continue;
        }
      }
      notes.push_back(json::parse(r.text, "generated note"));
      read.push_back(w);
      res.stats.n_prompt += r.stats.n_prompt;
      res.stats.n_generated += r.stats.n_generated;
      res.stats.n_decode += r.stats.n_decode;
      res.stats.n_forced += r.stats.n_forced;
      res.stats.sample_s += r.stats.sample_s;
      res.stats.prefill_s += r.stats.prefill_s;
      res.stats.decode_s += r.stats.decode_s;
      res.stats.stop = r.stats.stop;
    }
    if (notes.empty()) fail("no window of the transcript gave a note (", res.windows.skipped.front().why, ")");
    res.note = merge_window_notes(t.schema, notes, transcript, read, opt.visit_date);
    res.text = json::dump(res.note);
  }
  res.support = check_support(res.note, transcript, &t.schema, opt.visit_date);
  return res;
}

namespace {
std::string heading(const std::string& key) {
  std::string h = key;
  for (char& c : h) if (c == '_') c = ' ';
  if (!h.empty()) h[0] = char(std::toupper(static_cast<unsigned char>(h[0])));
  return h;
}

void md_value(const json::Value& v, std::string& out, int depth) {
  if (v.is_string()) {
    out += v.str().empty() ? "_(none)_" : v.str();
  } else if (v.is_array()) {
    if (v.arr().empty()) out += "_(none)_";
    for (const json::Value& x : v.arr()) {
      out += '\n';
      out.append(size_t(depth) * 2, ' ');
      out += "- ";
      md_value(x, out, depth + 1);
    }
  } else if (v.is_object()) {
    bool first = true;
    for (const auto& [k, x] : v.obj()) {
      out += first ? "" : "; ";
      first = false;
      out += heading(k) + ": ";
      md_value(x, out, depth + 1);
    }
  } else if (v.is_null()) {
    out += "_(not stated)_";
  } else {
    out += json::dump(v);
  }
}
}  // namespace

std::string note_to_markdown(const NoteTemplate& t, const json::Value& note, const std::vector<FieldSupport>& support) {
  std::string out = "# " + t.title + "\n";
  for (const auto& [key, schema] : t.schema.at("properties").obj()) {
    out += "\n## " + heading(key) + "\n\n";
    const json::Value* v = note.find(key);
    if (v) md_value(*v, out, 0);
    out += "\n";
  }
  std::string flags;
  for (const FieldSupport& f : support) {
    if (!f.flagged) continue;
    if (!f.unsupported.empty()) {
      flags += "- `" + f.path + "`: not in the transcript: ";
      for (size_t i = 0; i < f.unsupported.size(); i++) flags += (i ? ", " : "") + f.unsupported[i];
      flags += "\n";
    }
    if (!f.uncertain_speech.empty()) {
      flags += "- `" + f.path + "`: rests on uncertain speech (listen again): ";
      for (size_t i = 0; i < f.uncertain_speech.size(); i++) flags += (i ? ", " : "") + f.uncertain_speech[i];
      flags += "\n";
    }
  }
  for (const FieldSupport& f : support) {
    if (!f.checked) flags += "- `" + f.path + "`: not checked (" + f.why + "): " + f.value + "\n";
  }
  if (!flags.empty()) out += "\n## Check against the transcript\n\n" + flags;
  return out;
}

}  // namespace sotto
