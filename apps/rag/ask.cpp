// ask.cpp — see ask.h.
#include "ask.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "core/error.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"
#include "scribe/note.h"
#include "scribe/support-text.h"

namespace sotto::rag {

namespace st = support_text;

namespace {

std::string one_line(const std::string& s) {
  std::string o;
  bool sp = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      sp = !o.empty();
      continue;
    }
    if (sp) o += ' ';
    sp = false;
    o += c;
  }
  return o;
}

json::Value citation_schema(const std::string& label, int page) {
  json::Value doc = json::Value::object(), pg = json::Value::object(), quote = json::Value::object();
  doc.set("const", json::Value(label));
  pg.set("const", json::Value(page));
  quote.set("type", json::Value("string"));
  quote.set("minLength", json::Value(1));
  quote.set("maxLength", json::Value(kQuoteMaxChars));
  json::Value props = json::Value::object();
  props.set("document", std::move(doc));
  props.set("page", std::move(pg));
  props.set("quote", std::move(quote));
  json::Value req = json::Value::array();
  for (const char* k : {"document", "page", "quote"}) req.push_back(json::Value(k));
  json::Value o = json::Value::object();
  o.set("type", json::Value("object"));
  o.set("properties", std::move(props));
  o.set("required", std::move(req));
  o.set("additionalProperties", json::Value(false));
  return o;
}

json::Value answer_branch(json::Value answer, json::Value citations) {
  json::Value props = json::Value::object();
  props.set("answer", std::move(answer));
  props.set("citations", std::move(citations));
  json::Value req = json::Value::array();
  req.push_back(json::Value("answer"));
  req.push_back(json::Value("citations"));
  json::Value o = json::Value::object();
  o.set("type", json::Value("object"));
  o.set("properties", std::move(props));
  o.set("required", std::move(req));
  o.set("additionalProperties", json::Value(false));
  return o;
}

// The question's content words and numbers, less the words that only ask ("what", "does").
std::vector<st::Tok> question_terms(const std::string& q) {
  static const std::set<std::string> asking = {"what", "when", "where", "which", "who", "whom", "whose", "why", "how",
                                               "does", "did", "do", "can", "could", "would", "should", "will", "must",
                                               "many", "much", "there", "any", "about", "tell", "say", "says"};
  std::vector<st::Tok> out;
  for (const st::Tok& t : st::merge_numbers(st::lex(q), q)) {
    if (t.kind == st::Tok::word && (!st::content_word(t) || asking.count(t.text))) continue;
    if (t.kind == st::Tok::punct) continue;
    const bool dup = std::any_of(out.begin(), out.end(), [&](const st::Tok& o) {
      return o.kind == t.kind && (t.kind == st::Tok::number ? o.num == t.num : st::same_word(o.text, t.text));
    });
    if (!dup) out.push_back(t);
  }
  return out;
}

bool term_in(const st::Tok& term, const std::vector<st::Tok>& toks) {
  return std::any_of(toks.begin(), toks.end(), [&](const st::Tok& t) {
    if (term.kind == st::Tok::number) return t.kind == st::Tok::number && t.num == term.num;
    return t.kind == st::Tok::word && st::same_word(t.text, term.text);
  });
}

}  // namespace

std::vector<std::string> document_labels(const std::vector<Hit>& passages) {
  std::vector<std::vector<std::string>> parts;
  for (const Hit& h : passages) {
    std::vector<std::string> p;
    size_t s = 0;
    for (size_t i = 0; i <= h.document.size(); i++) {
      if (i == h.document.size() || h.document[i] == '/') {
        if (i > s) p.push_back(h.document.substr(s, i - s));
        s = i + 1;
      }
    }
    if (p.empty()) p.push_back(h.document);
    parts.push_back(std::move(p));
  }
  // The common folder: leading components shared by every path, never a file name itself.
  size_t common = parts.empty() ? 0 : parts[0].size() - 1;
  for (const auto& p : parts) {
    size_t k = 0;
    while (k < common && k + 1 < p.size() && p[k] == parts[0][k]) k++;
    common = k;
  }
  std::vector<std::string> out;
  for (const auto& p : parts) {
    std::string l;
    for (size_t k = common; k < p.size(); k++) l += (l.empty() ? "" : "/") + p[k];
    out.push_back(l);
  }
  return out;
}

std::string answer_schema(const std::vector<Hit>& passages) {
  const std::vector<std::string> labels = document_labels(passages);
  json::Value branches = json::Value::array();
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < passages.size(); i++) {
    if (seen.insert({labels[i], passages[i].page}).second) branches.push_back(citation_schema(labels[i], passages[i].page));
  }
  json::Value not_found = json::Value::object(), none = json::Value::object();
  not_found.set("const", json::Value(kNotFound));
  none.set("type", json::Value("array"));
  none.set("maxItems", json::Value(0));
  json::Value answer = json::Value::object(), cites = json::Value::object(), items = json::Value::object();
  answer.set("type", json::Value("string"));
  answer.set("minLength", json::Value(1));
  answer.set("maxLength", json::Value(kAnswerMaxChars));
  items.set("anyOf", std::move(branches));
  cites.set("type", json::Value("array"));
  cites.set("items", std::move(items));
  cites.set("minItems", json::Value(1));
  cites.set("maxItems", json::Value(kMaxCitations));
  json::Value any = json::Value::array();
  any.push_back(answer_branch(std::move(not_found), std::move(none)));
  any.push_back(answer_branch(std::move(answer), std::move(cites)));
  json::Value schema = json::Value::object();
  schema.set("anyOf", std::move(any));
  return json::dump(schema);
}

std::string ask_user_turn(const std::string& question, const std::vector<Hit>& passages) {
  const std::vector<std::string> labels = document_labels(passages);
  std::string s =
      "Answer the question from these passages only. Give citations: for each, the document and page of the passage "
      "and a quote copied word for word from it. If the passages do not answer it, answer \"" +
      std::string(kNotFound) + "\" with no citations.\n";
  for (size_t i = 0; i < passages.size(); i++) {
    s += "\n[" + std::to_string(i + 1) + "] " + labels[i] + ", page " + std::to_string(passages[i].page) + ":\n" +
         passages[i].text + "\n";
  }
  return s + "\nQuestion: " + question + "\n\nAnswer with the JSON only.";
}

Answer generate_answer(LoadedModel& lm, const std::string& question, const std::vector<Hit>& passages,
                       const AskOptions& o, const TextCallback& on_text) {
  if (passages.empty()) fail("no passages to answer from");
  Answer a;
  a.passages = passages;
  std::vector<int32_t> prompt;
  for (;;) {
    prompt = note_prompt_tokens(*lm.tokenizer, ask_user_turn(question, a.passages));
    if (int(prompt.size()) + o.max_tokens <= o.n_ctx) break;
    if (a.passages.size() == 1) {
      fail("the question and its best passage take ", std::to_string(prompt.size()), " tokens: with ",
           std::to_string(o.max_tokens), " for the answer they do not fit the context of ", std::to_string(o.n_ctx),
           " (raise --ctx-size or lower --max-tokens)");
    }
    a.passages.pop_back();
  }
  grammar::SchemaOptions so;
  so.compact = true;
  auto cg = std::make_shared<grammar::CompiledGrammar>(
      grammar::compile_json_schema(answer_schema(a.passages), "answer schema", so), grammar::make_token_trie(*lm.tokenizer));
  SamplerParams sp;
  sp.temperature = o.temperature;
  sp.seed = o.seed;
  SamplerChain chain = make_chain(sp);
  chain.add_front(make_grammar_sampler(std::move(cg), lm.tokenizer.get()));
  KvCache cache = lm.model->new_cache(o.n_ctx);
  GenerateParams gp;
  gp.max_tokens = o.max_tokens;
  GenerateResult r = generate(*lm.model, cache, *lm.tokenizer, chain, prompt, gp, on_text);
  a.stats = r.stats;
  a.generated = r.text;
  if (r.stats.stop != StopReason::Eog) {
    fail("the answer was not finished (stopped by ", stop_reason_name(r.stats.stop), " after ",
         std::to_string(r.stats.n_generated), " tokens); raise --max-tokens");
  }
  const json::Value v = json::parse(r.text, "generated answer");
  a.text = v.at("answer").str();
  const std::vector<std::string> labels = document_labels(a.passages);
  for (const json::Value& c : v.at("citations").arr()) {
    Citation ct;
    const std::string& label = c.at("document").str();
    for (size_t i = 0; i < labels.size(); i++) {
      if (labels[i] == label) ct.document = a.passages[i].document;
    }
    if (ct.document.empty()) fail("generated answer: a citation names '", label, "', not a document it was given");
    ct.page = int(c.at("page").integer());
    ct.quote = c.at("quote").str();
    a.citations.push_back(std::move(ct));
  }
  a.check = check_answer(a.text, a.citations, a.passages);
  return a;
}

Answer extractive_answer(const std::string& question, const std::vector<Hit>& passages, int max_sentences) {
  Answer a;
  a.mode = "extractive";
  a.passages = passages;
  const std::vector<st::Tok> terms = question_terms(question);
  struct Cand {
    size_t passage;
    std::string text;
    std::vector<bool> has;
    double score = 0;
    size_t matched = 0;
    bool whole = false;
  };
  std::vector<Cand> cands;
  for (size_t i = 0; i < passages.size(); i++) {
    const std::string& pt = passages[i].text;
    for (const SentenceCheck& s : split_sentences(pt, 0, false)) {
      Cand c{i, one_line(pt.substr(s.begin, s.end - s.begin)), {}};
      // Whole: it starts the page or follows a sentence end in the passage, and ends one (not cut by the chunking).
      const bool starts = s.begin > 0 || passages[i].begin == 0;
      const char last = pt[s.end - 1];
      c.whole = starts && (last == '.' || last == '!' || last == '?' || s.end < pt.size());
      const std::vector<st::Tok> toks = st::merge_numbers(st::lex(c.text), c.text);
      for (const st::Tok& t : terms) c.has.push_back(term_in(t, toks));
      cands.push_back(std::move(c));
    }
  }
  // Each term weighted by its rarity among the candidate sentences (idf).
  std::vector<double> idf(terms.size());
  for (size_t k = 0; k < terms.size(); k++) {
    size_t df = 0;
    for (const Cand& c : cands) df += c.has[k] ? 1 : 0;
    idf[k] = std::log((double(cands.size()) + 1) / (double(df) + 0.5));
  }
  const size_t need = std::max<size_t>(1, (terms.size() + 2) / 3);
  std::vector<const Cand*> kept;
  for (Cand& c : cands) {
    for (size_t k = 0; k < terms.size(); k++) c.matched += c.has[k] ? 1 : 0, c.score += c.has[k] ? idf[k] : 0;
    if (c.matched >= need) kept.push_back(&c);
  }
  // Best first; among equals a whole sentence before a piece of one, a longer before a shorter.
  std::stable_sort(kept.begin(), kept.end(), [](const Cand* x, const Cand* y) {
    if (x->score != y->score) return x->score > y->score;
    if (x->whole != y->whole) return x->whole;
    return x->text.size() > y->text.size();
  });
  std::vector<std::string> chosen;  // normalised: a sentence inside one already chosen (overlapping passages) is left out
  for (const Cand* c : kept) {
    if (int(a.citations.size()) >= max_sentences || c->score < 0.5 * kept[0]->score) break;
    const std::string n = normalize_quote_text(c->text);
    if (std::any_of(chosen.begin(), chosen.end(), [&](const std::string& o) { return o.find(n) != std::string::npos; })) continue;
    chosen.push_back(n);
    // A long "sentence" (a list or a table without full stops) is cut at a blank: still a verbatim piece.
    std::string quote = c->text;
    if (quote.size() > kExtractMaxBytes) {
      const size_t cut = quote.rfind(' ', kExtractMaxBytes);
      quote = quote.substr(0, cut == std::string::npos || cut == 0 ? kExtractMaxBytes : cut) + " ...";
    }
    a.citations.push_back({passages[c->passage].document, passages[c->passage].page, quote});
    a.text += (a.text.empty() ? "" : "\n") + quote + " [" + std::to_string(a.citations.size()) + "]";
  }
  if (a.citations.empty()) a.text = kNotFound;
  a.check = check_answer(a.text, a.citations, a.passages);
  return a;
}

Answer answer_from_json(const json::Value& v, const std::string& name) {
  Answer a;
  a.mode = "checked";
  const json::Value* text = v.find("answer");
  const json::Value* cites = v.find("citations");
  if (!v.is_object() || !text || !text->is_string() || !cites || !cites->is_array()) {
    fail(name, ": not an answer (expected {\"answer\": string, \"citations\": [{\"document\", \"page\", \"quote\"}]})");
  }
  a.text = text->str();
  for (size_t i = 0; i < cites->arr().size(); i++) {
    const json::Value& c = cites->arr()[i];
    const json::Value* d = c.find("document");
    const json::Value* p = c.find("page");
    const json::Value* q = c.find("quote");
    if (!d || !d->is_string() || !p || !p->is_integer_number() || !q || !q->is_string()) {
      fail(name, ": citation ", std::to_string(i + 1), " needs \"document\" (string), \"page\" (integer) and \"quote\" (string)");
    }
    a.citations.push_back({d->str(), int(p->integer()), q->str()});
  }
  return a;
}

std::string answer_to_text(const Answer& a) {
  const AnswerCheck& ck = a.check;
  const std::vector<std::string> labels = document_labels(a.passages);
  auto label_of = [&](const std::string& doc) {
    for (size_t i = 0; i < a.passages.size(); i++)
      if (a.passages[i].document == doc) return labels[i];
    return doc;
  };
  std::string out;
  if (ck.not_found) {
    out = std::string(kNotFound) + "\n";
  } else {
    for (const SentenceCheck& s : ck.sentences) {
      if (!out.empty()) out += ' ';
      out += one_line(a.text.substr(s.begin, s.end - s.begin));
      if (s.marked.empty() && !s.backing.empty()) {
        out += " [";
        for (size_t i = 0; i < s.backing.size(); i++) out += (i ? "," : "") + std::to_string(s.backing[i]);
        out += "]";
      }
      if (!s.backed) out += " [?]";
    }
    out += "\n";
  }
  if (!a.citations.empty()) out += "\nCitations:\n";
  for (size_t i = 0; i < a.citations.size(); i++) {
    const Citation& c = a.citations[i];
    const QuoteCheck& q = ck.quotes[i];
    out += "  [" + std::to_string(i + 1) + "] " + (q.supported ? "\xE2\x9C\x93 " : "\xE2\x9C\x97 ") + label_of(c.document) +
           ", page " + std::to_string(c.page) + ": \"" + one_line(c.quote) + "\"" +
           (q.supported ? "" : " (unsupported: " + q.why + ")") + "\n";
  }
  if (ck.n_flagged()) {
    out += "\nNot backed by a supported citation ([?]):\n";
    for (const SentenceCheck& s : ck.sentences) {
      if (!s.backed) out += "  - \"" + one_line(a.text.substr(s.begin, s.end - s.begin)) + "\": " + s.why + "\n";
    }
  }
  return out;
}

json::Value answer_to_json(const std::string& question, const Answer& a) {
  const AnswerCheck& ck = a.check;
  auto ints = [](const std::vector<int>& v) {
    json::Value arr = json::Value::array();
    for (int x : v) arr.push_back(json::Value(x));
    return arr;
  };
  json::Value cites = json::Value::array();
  for (size_t i = 0; i < a.citations.size(); i++) {
    const Citation& c = a.citations[i];
    const QuoteCheck& q = ck.quotes[i];
    json::Value o = json::Value::object();
    o.set("n", json::Value(int(i + 1)));
    o.set("document", json::Value(c.document));
    o.set("page", json::Value(c.page));
    o.set("quote", json::Value(c.quote));
    o.set("supported", json::Value(q.supported));
    if (q.supported) {
      o.set("passage", json::Value(q.passage + 1));
      o.set("begin", json::Value(int64_t(q.begin)));
      o.set("end", json::Value(int64_t(q.end)));
    } else {
      o.set("why", json::Value(q.why));
    }
    cites.push_back(std::move(o));
  }
  json::Value sents = json::Value::array();
  for (const SentenceCheck& s : ck.sentences) {
    json::Value o = json::Value::object();
    o.set("text", json::Value(a.text.substr(s.begin, s.end - s.begin)));
    o.set("begin", json::Value(int64_t(s.begin)));
    o.set("end", json::Value(int64_t(s.end)));
    o.set("marked", ints(s.marked));
    o.set("backed_by", ints(s.backing));
    o.set("supported", json::Value(s.backed));
    json::Value missing = json::Value::array();
    for (const std::string& m : s.missing) missing.push_back(json::Value(m));
    o.set("missing", std::move(missing));
    if (!s.backed) o.set("why", json::Value(s.why));
    sents.push_back(std::move(o));
  }
  json::Value ps = json::Value::array();
  for (size_t i = 0; i < a.passages.size(); i++) {
    const Hit& h = a.passages[i];
    json::Value o = json::Value::object();
    o.set("n", json::Value(int(i + 1)));
    o.set("document", json::Value(h.document));
    o.set("page", json::Value(h.page));
    o.set("begin", json::Value(h.begin));
    o.set("end", json::Value(h.end));
    o.set("text", json::Value(h.text));
    ps.push_back(std::move(o));
  }
  json::Value out = json::Value::object();
  out.set("question", json::Value(question));
  out.set("mode", json::Value(a.mode));
  out.set("answer", json::Value(a.text));
  out.set("not_found", json::Value(ck.not_found));
  out.set("citations", std::move(cites));
  out.set("sentences", std::move(sents));
  out.set("n_supported", json::Value(ck.n_supported()));
  out.set("n_flagged", json::Value(ck.n_flagged()));
  out.set("passages", std::move(ps));
  if (a.mode == "generated") out.set("generated", json::Value(a.generated));
  return out;
}

}  // namespace sotto::rag
