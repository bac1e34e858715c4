// ask.h — answers that cite (issue 21, point 4), from passages already retrieved (index.h's hybrid search):
//   generate_answer: the passages numbered with their document and page go into one prompt; a language model writes
//     {answer, citations: [{document, page, quote}]} under a JSON Schema made for these passages (each citation's
//     document and page one of theirs; the answer kNotFound with no citations, or another answer with 1 to 3), so the
//     output always parses and names only pages it was given; then check_answer (cite-check.h) checks it.
//   extractive_answer: no answer model: the passages' sentences that best match the question's words, quoted as
//     they are (so each citation is supported by construction, and still checked); kNotFound when none matches.
// answer_from_json: an answer written elsewhere (another model, a person), to be checked the same way (`ask --check`).
// answer_to_text / answer_to_json print the result: the answer with [n] markers and the citations with their
// verdicts, or JSON with `supported` flags.
// Does not: retrieve (the caller searches the index), know whether an answer is right (only whether its quotes are
// in its sources and its sentences in its quotes), teach a model to answer (the bundled note model is not trained to).
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "rag/cite-check.h"
#include "rag/index.h"
#include "runtime/generate.h"

namespace sotto {
struct LoadedModel;
}

namespace sotto::rag {

// Limits of the answer schema, in characters.
inline constexpr int kAnswerMaxChars = 300;
inline constexpr int kQuoteMaxChars = 160;
inline constexpr int kMaxCitations = 3;
// An extractive quote longer than this many bytes is cut at a blank and ends " ...".
inline constexpr size_t kExtractMaxBytes = 300;

struct Answer {
  std::string text;
  std::vector<Citation> citations;  // documents as the index stores them (full paths)
  std::vector<Hit> passages;        // the passages the answer was given (numbered 1.. in the prompt)
  std::string generated;            // the model's JSON as written ("" otherwise)
  std::string mode = "generated";   // "generated", "extractive", or "checked" (answer_from_json: written elsewhere)
  GenerateStats stats;
  AnswerCheck check;
};

// Short names of the passages' documents: the paths less their longest common folder (so "a.pdf", or
// "2024/a.pdf" and "2025/a.pdf"); one per passage.
std::vector<std::string> document_labels(const std::vector<Hit>& passages);
// The JSON Schema (text) of an answer over these passages.
std::string answer_schema(const std::vector<Hit>& passages);
// The user turn: the instruction, the numbered passages ("[1] a.pdf, page 3:"), the question.
std::string ask_user_turn(const std::string& question, const std::vector<Hit>& passages);

struct AskOptions {
  int n_ctx = 4096;
  int max_tokens = 1024;
  float temperature = 0.0f;
  uint64_t seed = 1;
};

// Generates and checks. Passages that do not fit the context with max_tokens left for the answer are dropped from
// the end (Answer::passages says which were used); none fitting is an Error. An answer not finished within
// max_tokens is an Error saying so.
Answer generate_answer(LoadedModel& lm, const std::string& question, const std::vector<Hit>& passages,
                       const AskOptions& o, const TextCallback& on_text = {});
// At most max_sentences sentences (best first: the question's content words they hold, each weighted by its idf over
// the passages' sentences; at least a third of those words, and at least one; whole sentences before pieces cut by the
// chunking), each quoted as it is (cut at kExtractMaxBytes) and marked [n]; kNotFound when none qualifies.
Answer extractive_answer(const std::string& question, const std::vector<Hit>& passages, int max_sentences = 2);

// An answer written elsewhere ({"answer": string, "citations": [{"document": string, "page": integer, "quote":
// string}]}, other keys ignored), to be checked: text and citations as written (mode "checked"; the caller resolves
// the documents and sets the passages, then runs check_answer). A one-line Error naming `name` when it is not so.
Answer answer_from_json(const json::Value& v, const std::string& name);

std::string answer_to_text(const Answer& a);
json::Value answer_to_json(const std::string& question, const Answer& a);

}  // namespace sotto::rag
