// cmd-ask.cpp — `sotto ask "QUESTION" --index FILE`: retrieves the top passages (the hybrid search of `sotto search`),
// answers from them and checks the answer (apps/rag/ask.h, cite-check.h): every quote verbatim in the passage of the
// document and page it cites, every sentence backed by a supported citation; "not found in these documents" is a
// valid answer. With -m an answer model writes the answer under a JSON Schema; without one (or --extractive) the
// answer is the passages' best-matching sentences, quoted as they are. Prints the answer with [n] markers and the
// citations with check marks, or --json. Progress (search, model load, answer length) on stderr. --check ANSWER.json
// checks an answer written elsewhere (another model, a person) against the passages of the pages it cites.
// Does not: make the answer right (no bundled model is trained to answer yet: docs/retrieval.md), index (index add).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "embed-model.h"
#include "rag/ask.h"
#include "rag/index.h"
#include "runtime/loaded-model.h"

namespace sotto::cli {

namespace {

void print_answer(const std::string& question, const rag::Answer& a, bool json) {
  if (json) {
    std::printf("%s\n", json::dump(rag::answer_to_json(question, a)).c_str());
  } else {
    std::printf("%s", rag::answer_to_text(a).c_str());
  }
}

// --check: the answer's documents are found in the index (the path as stored, or the one path ending in "/" + it),
// its cited pages' passages are the sources, and it is checked as a generated answer is.
int check_answer_file(const std::string& question, const std::string& db, const std::string& file, bool json) {
  auto ix = rag::Index::open(db, false, true);
  rag::Answer a = rag::answer_from_json(json::parse(read_file(file), file), file);
  const std::vector<rag::DocInfo> docs = ix->list();
  std::vector<std::string> why(a.citations.size());
  std::set<std::pair<std::string, int>> pages;
  for (size_t i = 0; i < a.citations.size(); i++) {
    rag::Citation& c = a.citations[i];
    std::vector<std::string> found;
    for (const rag::DocInfo& d : docs) {
      if (d.path == c.document) found = {d.path};
    }
    if (found.empty()) {
      for (const rag::DocInfo& d : docs) {
        if (d.path.size() > c.document.size() && d.path.compare(d.path.size() - c.document.size(), c.document.size(), c.document) == 0 &&
            d.path[d.path.size() - c.document.size() - 1] == '/') {
          found.push_back(d.path);
        }
      }
    }
    if (found.empty()) {
      why[i] = "no document '" + c.document + "' in the index";
    } else if (found.size() > 1) {
      why[i] = "'" + c.document + "' names " + std::to_string(found.size()) + " documents of the index; give more of its path";
    } else {
      c.document = found[0];
      if (pages.insert({c.document, c.page}).second) {
        const std::vector<rag::Hit> ps = ix->page_passages(c.document, c.page);
        a.passages.insert(a.passages.end(), ps.begin(), ps.end());
      }
    }
  }
  a.check = rag::check_answer(a.text, a.citations, a.passages);
  for (size_t i = 0; i < a.citations.size(); i++) {
    const rag::Citation& c = a.citations[i];
    const bool has_page = std::any_of(a.passages.begin(), a.passages.end(),
                                      [&](const rag::Hit& h) { return h.document == c.document && h.page == c.page; });
    if (why[i].empty() && !has_page) {
      why[i] = std::filesystem::path(c.document).filename().string() + " has no page " + std::to_string(c.page) + " in the index";
    }
    if (!why[i].empty()) a.check.quotes[i].why = why[i];
  }
  print_answer(question, a, json);
  return 0;
}

}  // namespace

int run_ask(int argc, char** argv) {
  std::string db, model_path, embed_path, question, check_file;
  int k = 5, n_threads = 0, candidates = 100, n_ctx = 4096, max_tokens = 1024;
  float temperature = 0.0f;
  uint64_t seed = 1;
  bool json = false, extractive = false, quiet = false;
  ArgParser ap("sotto ask", "\"QUESTION\" --index INDEX.sqlite [-m ANSWER.gguf | --extractive] [-k 5] [--json]",
               "Answers a question from an index's passages, with citations that are checked: each quote must occur "
               "word for word in the passage of the document and page it names, and each sentence of the answer must "
               "be backed by a supported citation (flagged [?] otherwise). \"not found in these documents\" is a valid "
               "answer. With -m a language model writes the answer under a JSON Schema; without -m the answer is "
               "extractive: the passages' sentences that best match the question, quoted as they are. The bundled "
               "models are not trained to answer questions yet.");
  ap.positional("QUESTION", &question, "the question");
  ap.option("--index,--db", &db, "FILE", "the index (made by sotto index add)");
  ap.model("-m,--model", &model_path, "answer model (GGUF language model); none: --extractive");
  ap.flag("--extractive", &extractive, "answer with the passages' best-matching sentences, no answer model (the default without -m)");
  ap.option("--check", &check_file, "ANSWER.json",
            "check an answer written elsewhere ({answer, citations: [{document, page, quote}]}) against the index's "
            "passages of the pages it cites; no model");
  ap.model("--embed-model", &embed_path, "the embedding model (default: the one recorded in the index)");
  ap.option("-k", &k, "N", "passages to answer from (5)", 1, 50);
  ap.option("--candidates", &candidates, "N", "depth of each ranked list before fusion (100)", 1, 1 << 20);
  ap.flag("--json", &json, "one JSON object on stdout: answer, citations with supported flags, sentences, passages");
  ap.option("-c,--ctx-size", &n_ctx, "N", "answer model's context (4096); passages that do not fit are dropped, last first", 64, 1 << 20);
  ap.option("--max-tokens", &max_tokens, "N", "longest answer in tokens (1024)", 1, 1 << 20);
  ap.option("--temperature", &temperature, "T", "sampling temperature of the answer model (0: greedy)");
  ap.option("--seed", &seed, "N", "sampling seed (1)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all (0)", 0, kMaxThreads);
  ap.flag("-q,--quiet", &quiet, "no progress on stderr");
  if (!ap.parse(argc, argv, 1)) return 0;
  if (db.empty()) ap.usage_error("--index INDEX.sqlite is required");
  if (question.find_first_not_of(" \t\r\n") == std::string::npos) ap.usage_error("the question is empty");
  if (extractive && !model_path.empty()) ap.usage_error("give -m ANSWER.gguf or --extractive, not both");
  if (temperature < 0) ap.usage_error("--temperature must be 0 or more");
  if (!check_file.empty() && (extractive || !model_path.empty())) ap.usage_error("--check takes no -m or --extractive");
  if (!check_file.empty()) return check_answer_file(question, db, check_file, json);
  extractive = model_path.empty();
  if (!extractive && !std::filesystem::is_regular_file(model_path)) fail(model_path, ": no such answer model");

  const auto t0 = std::chrono::steady_clock::now();
  auto secs = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  // Everything is opened and loaded before the first progress line, so that a bad input is one line.
  auto ix = rag::Index::open(db, false, true);
  if (ix->model().n_embd == 0) fail(db, ": empty index (nothing added yet)");
  EmbedModel em = load_embed_model(ix.get(), embed_path, n_threads, true, "--embed-model");
  ix->check_model(em.id, false);
  LoadedModel lm;
  if (!extractive) lm = load_model(model_path, resolve_threads(n_threads, quiet), true);
  if (!quiet) std::fprintf(stderr, "sotto: searching %s\n", db.c_str());
  rag::EmbedOptions eo;
  eo.truncate = true;
  std::vector<float> q;
  try {
    q = em.emb->embed({question}, eo);
  } catch (const Error& e) {
    fail("the question: ", e.what());
  }
  rag::SearchOptions so;
  so.k = k;
  so.candidates = candidates;
  const std::vector<rag::Hit> hits = ix->search(question, q, so);
  if (hits.empty()) fail(db, ": no passages to answer from");
  if (!quiet) std::fprintf(stderr, "sotto: %zu passages (%.2f s)\n", hits.size(), secs());

  rag::Answer a;
  if (extractive) {
    a = rag::extractive_answer(question, hits);
    if (!quiet) std::fprintf(stderr, "sotto: extractive answer (no answer model): the passages' best-matching sentences, quoted\n");
  } else {
    rag::AskOptions o;
    o.n_ctx = n_ctx;
    o.max_tokens = max_tokens;
    o.temperature = temperature;
    o.seed = seed;
    const bool tty = !quiet && isatty(2);
    size_t chars = 0;
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    if (!quiet && !tty) std::fprintf(stderr, "sotto: writing the answer with %s\n", model_path.c_str());
    a = rag::generate_answer(lm, question, hits, o, [&](std::string_view piece) {
      chars += piece.size();
      const auto now = std::chrono::steady_clock::now();
      if (tty && now - last > std::chrono::milliseconds(200)) {
        std::fprintf(stderr, "\rsotto: writing the answer: %zu characters", chars);
        last = now;
      }
      return true;
    });
    if (tty) std::fprintf(stderr, "\rsotto: wrote the answer: %zu characters\n", chars);
    if (!quiet && a.passages.size() < hits.size()) {
      std::fprintf(stderr, "sotto: %zu of the %zu passages fit the context of %d with %d tokens for the answer\n",
                   a.passages.size(), hits.size(), n_ctx, max_tokens);
    }
    if (!quiet && a.stats.n_prompt + a.stats.n_generated > lm.model->config().n_ctx_train) {
      std::fprintf(stderr, "sotto: warning: %d tokens, past the %d the model was trained on\n",
                   a.stats.n_prompt + a.stats.n_generated, lm.model->config().n_ctx_train);
    }
  }
  print_answer(question, a, json);
  if (!quiet) {
    std::fprintf(stderr, "sotto: %zu citations, %d supported; %zu sentences, %d not backed",
                 a.citations.size(), a.check.n_supported(), a.check.sentences.size(), a.check.n_flagged());
    if (!extractive) {
      std::fprintf(stderr, " | prompt %d tokens, generated %d (%d forced), %.1f tok/s", a.stats.n_prompt,
                   a.stats.n_generated, a.stats.n_forced, a.stats.decode_tps());
    }
    std::fprintf(stderr, "; %.2f s\n", secs());
  }
  return 0;
}

}  // namespace sotto::cli
