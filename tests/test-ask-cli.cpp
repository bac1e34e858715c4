// test-ask-cli.cpp — `sotto ask` end to end on a small fixed corpus (a two-page PDF, a Markdown policy, a text note)
// indexed with the tiny random-weight BERT (tests/fixtures/embed):
//   * generated answers: the random-weight fixture decoders (tests/fixtures/models) and the bundled note model, at
//     temperature 1 over several seeds and greedy, write under the answer schema. Whatever they write must parse to
//     {answer, citations: [{document, page, quote}]} (the raw text is parsed here), every citation must name a
//     document and page of the passages given, and each citation's verdict must equal this test's own recomputation
//     (plain substring search of the normalised quote in the cited passages) — these models are not trained to
//     answer, so their quotes are mostly gibberish, which is exactly what the checker must refuse;
//   * passages that do not fit the context dropped, last first (none fitting: one line);
//   * extractive answers (no answer model): the known sentence quoted, supported; "not found in these documents"
//     for a question the corpus does not answer; the text output's [n] markers and check marks;
//   * --check: an answer written elsewhere, its documents found by path or path tail, each verdict and reason;
//   * one-line errors: missing index, corrupt index (left byte for byte), empty question, missing answer model,
//     missing embedding model, -m with --extractive.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli-run.h"
#include "core/file.h"
#include "core/json.h"
#include "tiny-pdf.h"

using namespace cli_run;
using sotto::json::Value;

namespace {

const std::string kSrc = SOTTO_SOURCE_DIR;
const std::string kEmbed = kSrc + "/tests/fixtures/embed/bert-f32.gguf";

class AskCli : public CliTest {
 protected:
  AskCli() : CliTest("ask-cli") {}
  void SetUp() override {
    CliTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    std::filesystem::create_directories(dir_ + "/docs");
    write("docs/contract.pdf", tiny_pdf::make({"Invoices are payable within thirty days of receipt.",
                                               "The contract may be terminated with sixty days notice."}));
    write("docs/policy.md", "# Leave\n\nEmployees receive annual leave of five weeks.\n\nSick leave needs a note.\n");
    write("docs/visit.txt", "The patient reports chest pain after exercise.\nBlood pressure was normal.\n");
    db_ = dir_ + "/i.sqlite";
    const Result r = run("index add " + dir_ + "/docs --db " + db_ + " -m " + kEmbed + " -t 1 -q");
    ASSERT_EQ(r.code, 0) << r.out;
  }
  void write(const std::string& rel, const std::string& bytes) { std::ofstream(dir_ + "/" + rel, std::ios::binary) << bytes; }
  Value ask_json(const std::string& q, const std::string& extra) {
    const Result r = run("ask '" + q + "' --index " + db_ + " --json -q -t 1 " + extra, false);
    EXPECT_EQ(r.code, 0) << "ask '" << q << "' " << extra << "\n" << run("ask '" + q + "' --index " + db_ + " -t 1 " + extra).out;
    return r.code == 0 ? sotto::json::parse(r.out, "stdout") : Value();
  }
  std::string db_;
};

// The test's own normalisation: ASCII lower case, runs of blanks one space, ends trimmed; the quote's wrapping
// (blanks, quotation marks, "...", a final . , ; : ! ?) trimmed first.
std::string norm(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!o.empty() && o.back() != ' ') o += ' ';
    } else {
      o += char(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  while (!o.empty() && o.back() == ' ') o.pop_back();
  return o;
}
std::string unwrap(std::string q) {
  for (bool again = true; again;) {
    again = false;
    while (!q.empty() && (std::isspace(static_cast<unsigned char>(q.back())) || std::string(".,;:!?\"'`").find(q.back()) != std::string::npos))
      q.pop_back(), again = true;
    while (!q.empty() && (std::isspace(static_cast<unsigned char>(q[0])) || std::string("\"'`").find(q[0]) != std::string::npos))
      q.erase(0, 1), again = true;
    if (q.rfind("...", 0) == 0) q.erase(0, 3), again = true;
  }
  return q;
}
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }
// The quote in the passage as words: a substring not starting or ending inside a word.
bool occurs(const std::string& passage, const std::string& quote) {
  const std::string t = norm(passage), q = norm(unwrap(quote));
  if (q.empty()) return false;
  for (size_t p = t.find(q); p != std::string::npos; p = t.find(q, p + 1)) {
    if (word_char(q.front()) && p > 0 && word_char(t[p - 1])) continue;
    if (word_char(q.back()) && p + q.size() < t.size() && word_char(t[p + q.size()])) continue;
    return true;
  }
  return false;
}
// Something to check: a digit, or a word of three or more letters that is not a stopword.
bool checkable(const std::string& quote) {
  static const std::set<std::string> stop = {"and", "are", "for", "from", "has", "have", "her", "his", "its", "not",
                                             "per", "she", "that", "the", "their", "they", "this", "was", "were", "with",
                                             "patient", "client", "reports", "reported", "states", "stated"};
  std::string w;
  for (size_t i = 0; i <= quote.size(); i++) {
    const unsigned char c = i < quote.size() ? static_cast<unsigned char>(quote[i]) : ' ';
    if (std::isdigit(c)) return true;
    if (std::isalpha(c) || c >= 0x80) {
      w += char(std::tolower(c));
    } else {
      if (w.size() >= 3 && !stop.count(w)) return true;
      w.clear();
    }
  }
  return false;
}

// The checks every answer must pass, whoever wrote it. Returns the number of citations.
size_t check_answer_json(const Value& a, const std::string& what) {
  const auto& passages = a.at("passages").arr();
  EXPECT_FALSE(passages.empty()) << what;
  const auto& cites = a.at("citations").arr();
  if (a.at("mode").str() == "generated") {
    // What the model wrote, parsed here: the schema's shape.
    const Value g = sotto::json::parse(a.at("generated").str(), what);
    EXPECT_TRUE(g.is_object()) << what;
    EXPECT_EQ(g.obj().size(), 2u) << what;
    EXPECT_TRUE(g.at("answer").is_string()) << what;
    EXPECT_EQ(g.at("answer").str(), a.at("answer").str()) << what;
    const auto& gc = g.at("citations").arr();
    EXPECT_EQ(gc.size(), cites.size()) << what;
    EXPECT_LE(gc.size(), 3u) << what;
    if (g.at("answer").str() == "not found in these documents") {
      EXPECT_TRUE(gc.empty()) << what;
    } else {
      EXPECT_FALSE(gc.empty()) << what;
    }
    for (size_t i = 0; i < gc.size(); i++) {
      EXPECT_EQ(gc[i].obj().size(), 3u) << what;
      // The label is the document's path less the corpus folder.
      const std::string label = gc[i].at("document").str();
      EXPECT_TRUE(gc[i].at("page").is_integer_number()) << what;
      EXPECT_TRUE(gc[i].at("quote").is_string()) << what;
      EXPECT_EQ(cites[i].at("document").str(), std::filesystem::path(cites[i].at("document").str()).parent_path().string() + "/" + label) << what;
      EXPECT_EQ(cites[i].at("quote").str(), gc[i].at("quote").str()) << what;
    }
  }
  for (const Value& c : cites) {
    const std::string doc = c.at("document").str();
    const int64_t page = c.at("page").integer();
    bool named = false, found = false;
    for (const Value& p : passages) {
      if (p.at("document").str() != doc || p.at("page").integer() != page) continue;
      named = true;
      found = found || occurs(p.at("text").str(), c.at("quote").str());
    }
    EXPECT_TRUE(named) << what << ": cites " << doc << " page " << page << ", not a passage it was given";
    const bool expect = found && checkable(unwrap(c.at("quote").str()));
    EXPECT_EQ(c.at("supported").boolean(), expect) << what << ": quote \"" << c.at("quote").str() << "\"";
  }
  // Sentences: none for not-found; a flagged count that matches; with no supported citation every sentence flagged.
  const bool not_found = a.at("not_found").boolean();
  EXPECT_EQ(not_found, a.at("answer").str() == "not found in these documents" && cites.empty()) << what;
  if (not_found) EXPECT_TRUE(a.at("sentences").arr().empty()) << what;
  int flagged = 0, supported = 0;
  for (const Value& s : a.at("sentences").arr()) flagged += s.at("supported").boolean() ? 0 : 1;
  for (const Value& c : cites) supported += c.at("supported").boolean() ? 1 : 0;
  EXPECT_EQ(a.at("n_flagged").integer(), flagged) << what;
  EXPECT_EQ(a.at("n_supported").integer(), supported) << what;
  if (supported == 0) EXPECT_EQ(flagged, int(a.at("sentences").arr().size())) << what;
  return cites.size();
}

TEST_F(AskCli, GeneratedAnswersParseAndTheirVerdictsAreRight) {
  std::vector<std::string> models;
  for (const char* m : {"llama32-f32", "qwen25-q8_0", "smollm2-f32", "gemma3-f32"}) {
    models.push_back(kSrc + "/tests/fixtures/models/" + m + ".gguf");
  }
  const char* questions[] = {"When are invoices payable?", "How much annual leave do employees receive?"};
  size_t n_cites = 0, n_runs = 0;
  for (const std::string& m : models) {
    for (uint64_t seed : {1, 2, 3}) {
      const std::string q = questions[seed % 2];
      // The schema bounds the answer (300 + 3 x 160 characters, 6 bytes at most each as \u escapes): 6000 tokens
      // always finish it; the context holds them and the passages.
      const Value a = ask_json(q, "-m " + m + " --temperature 1 --seed " + std::to_string(seed) + " --max-tokens 6000 -c 8192");
      if (a.is_null()) continue;
      EXPECT_EQ(a.at("passages").arr().size(), 4u);  // all four passages of the corpus (-k 5)
      n_cites += check_answer_json(a, m + " seed " + std::to_string(seed));
      n_runs++;
    }
  }
  // The bundled note model, greedy (trained on notes, not answers: what it writes is checked all the same).
  const std::string notes = kSrc + "/models/sotto-notes-q8_0.gguf";
  if (std::filesystem::exists(notes)) {
    for (const char* q : questions) {
      const Value a = ask_json(q, "-m " + notes);
      if (!a.is_null()) n_cites += check_answer_json(a, std::string("notes model: ") + q), n_runs++;
    }
  }
  EXPECT_GE(n_runs, 12u);
  EXPECT_GT(n_cites, 0u) << "no model wrote a citation: the verdicts were not exercised";
}

TEST_F(AskCli, PassagesThatDoNotFitTheContextAreDropped) {
  const std::string m = kSrc + "/tests/fixtures/models/llama32-f32.gguf";
  // 6000 tokens kept for the answer leave ~500 for the prompt: the byte-level fixture's instruction, question and
  // the best passage fit, not all four.
  const Value a = ask_json("When are invoices payable?", "-m " + m + " --temperature 1 --max-tokens 6000 -c 6500");
  ASSERT_FALSE(a.is_null());
  const size_t n = a.at("passages").arr().size();
  EXPECT_GE(n, 1u);
  EXPECT_LT(n, 4u);
  check_answer_json(a, "-c 6500");
  const Result r = run("ask 'When are invoices payable?' --index " + db_ + " -m " + m + " -c 300 --max-tokens 200 -t 1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("do not fit the context of 300 (raise --ctx-size or lower --max-tokens)"), std::string::npos) << r.out;
}

TEST_F(AskCli, ExtractiveAnswersQuoteTheirSources) {
  Value a = ask_json("When are invoices payable?", "");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a.at("mode").str(), "extractive");
  ASSERT_GE(a.at("citations").arr().size(), 1u);
  const Value& c = a.at("citations").arr()[0];
  EXPECT_EQ(c.at("quote").str(), "Invoices are payable within thirty days of receipt.");
  EXPECT_EQ(c.at("document").str(), std::filesystem::weakly_canonical(dir_ + "/docs/contract.pdf").string());
  EXPECT_EQ(c.at("page").integer(), 1);
  EXPECT_TRUE(c.at("supported").boolean());
  EXPECT_EQ(c.at("begin").integer(), 0);
  EXPECT_EQ(c.at("end").integer(), 50);  // the final period trimmed
  check_answer_json(a, "extractive");
  a = ask_json("How much annual leave do employees receive?", "--extractive -k 3");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a.at("citations").arr().at(0).at("quote").str(), "Employees receive annual leave of five weeks.");
  EXPECT_EQ(a.at("n_flagged").integer(), 0);
  check_answer_json(a, "extractive");
  a = ask_json("Who owns the moon?", "");
  ASSERT_FALSE(a.is_null());
  EXPECT_TRUE(a.at("not_found").boolean());
  EXPECT_EQ(a.at("answer").str(), "not found in these documents");
  EXPECT_TRUE(a.at("citations").arr().empty());

  // Text: the answer with its marker, the citation with a check mark; progress on stderr.
  Result r = run("ask 'When are invoices payable?' --index " + db_ + " -t 1", false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("Invoices are payable within thirty days of receipt. [1]\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("[1] \xE2\x9C\x93 contract.pdf, page 1: \"Invoices are payable within thirty days of receipt.\""),
            std::string::npos) << r.out;
  r = run("ask 'When are invoices payable?' --index " + db_ + " -t 1");
  EXPECT_NE(r.out.find("sotto: searching "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sotto: extractive answer (no answer model)"), std::string::npos) << r.out;
}

TEST_F(AskCli, CheckAnAnswerWrittenElsewhere) {
  // Documents by stored path, by a path's tail, unknown; pages that exist and one that does not.
  write("a.json", R"({"answer": "Invoices are payable within thirty days [1]. The fee is 5% [2]. Leave is long.",
    "citations": [
      {"document": "contract.pdf", "page": 1, "quote": "\"Invoices are payable within THIRTY  days of receipt.\""},
      {"document": "docs/contract.pdf", "page": 1, "quote": "invoices are due within 30 days"},
      {"document": "contract.pdf", "page": 2, "quote": "Invoices are payable"},
      {"document": "policy.md", "page": 1, "quote": "terminated with sixty days notice"},
      {"document": "nothere.txt", "page": 1, "quote": "Employees receive annual leave"},
      {"document": "policy.md", "page": 4, "quote": "Employees receive annual leave"}]})");
  const Value a = ask_json("When are invoices payable?", "--check " + dir_ + "/a.json");
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a.at("mode").str(), "checked");
  const auto& c = a.at("citations").arr();
  ASSERT_EQ(c.size(), 6u);
  const std::string pdf = std::filesystem::weakly_canonical(dir_ + "/docs/contract.pdf").string();
  EXPECT_TRUE(c[0].at("supported").boolean());
  EXPECT_EQ(c[0].at("document").str(), pdf);
  EXPECT_EQ(c[0].at("begin").integer(), 0);
  EXPECT_EQ(c[0].at("end").integer(), 50);
  EXPECT_FALSE(c[1].at("supported").boolean());
  EXPECT_EQ(c[1].at("why").str(), "not in the cited passage, word for word");
  EXPECT_FALSE(c[2].at("supported").boolean());
  EXPECT_EQ(c[2].at("why").str(), "not on page 2 of contract.pdf: it is on page 1");
  EXPECT_FALSE(c[3].at("supported").boolean());
  EXPECT_EQ(c[3].at("why").str(), "not in policy.md page 1: it is in contract.pdf page 2");
  EXPECT_EQ(c[4].at("why").str(), "no document 'nothere.txt' in the index");
  EXPECT_EQ(c[5].at("why").str(), "policy.md has no page 4 in the index");
  // Sentences: the first backed by [1]; the second marks an unsupported citation; the third has no supported quote
  // with its words.
  const auto& s = a.at("sentences").arr();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(s[0].at("supported").boolean()) << s[0].at("why").str();
  EXPECT_FALSE(s[1].at("supported").boolean());
  EXPECT_FALSE(s[2].at("supported").boolean());
  EXPECT_EQ(a.at("n_supported").integer(), 1);
  EXPECT_EQ(a.at("n_flagged").integer(), 2);
  // Not an answer; not JSON.
  write("b.json", R"({"answer": "x", "citations": [{"document": "a.pdf", "quote": "q"}]})");
  Result r = run("ask 'q' --index " + db_ + " --check " + dir_ + "/b.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("b.json: citation 1 needs \"document\" (string), \"page\" (integer)"), std::string::npos) << r.out;
  write("c.json", "{not json");
  r = run("ask 'q' --index " + db_ + " --check " + dir_ + "/c.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  r = run("ask 'q' --index " + db_ + " --check " + dir_ + "/c.json --extractive");
  EXPECT_EQ(r.code, 2) << r.out;
}

TEST_F(AskCli, BadInputIsOneLine) {
  auto one_line = [](const Result& r, int code, const std::string& has) {
    EXPECT_EQ(r.code, code) << r.out;
    EXPECT_EQ(lines(r.out), 1u) << r.out;
    EXPECT_NE(r.out.find(has), std::string::npos) << r.out;
  };
  one_line(run("ask 'q' --index " + dir_ + "/none.sqlite"), 1, "no such index");
  // A corrupt index: refused, and left byte for byte.
  const std::string bad = dir_ + "/bad.sqlite";
  std::string bytes = sotto::read_file(db_);
  bytes.resize(bytes.size() / 2);
  for (size_t i = 100; i < bytes.size(); i += 7) bytes[i] = char(0xA5);
  write("bad.sqlite", bytes);
  one_line(run("ask 'q' --index " + bad), 1, "bad.sqlite");
  EXPECT_EQ(sotto::read_file(bad), bytes);
  write("junk.sqlite", "this is not a database at all, just text\n");
  one_line(run("ask 'q' --index " + dir_ + "/junk.sqlite"), 1, "not a readable sotto index");
  EXPECT_EQ(sotto::read_file(dir_ + "/junk.sqlite"), "this is not a database at all, just text\n");
  one_line(run("ask '  ' --index " + db_), 2, "the question is empty");
  one_line(run("ask 'q'"), 2, "--index INDEX.sqlite is required");
  one_line(run("ask 'q' --index " + db_ + " -m " + dir_ + "/nope.gguf"), 1, "nope.gguf: no such answer model");
  one_line(run("ask 'q' --index " + db_ + " -m x.gguf --extractive"), 2, "not both");
  one_line(run("ask 'q' --index " + db_ + " --embed-model " + dir_ + "/nope.gguf"), 1, "nope.gguf");
  // The recorded embedding model gone.
  std::filesystem::copy_file(kEmbed, dir_ + "/e.gguf");
  ASSERT_EQ(run("index add " + dir_ + "/docs/visit.txt --db " + dir_ + "/j.sqlite -m " + dir_ + "/e.gguf -q").code, 0);
  std::filesystem::remove(dir_ + "/e.gguf");
  one_line(run("ask 'q' --index " + dir_ + "/j.sqlite"), 1, "is not there any more; give --embed-model MODEL.gguf");
  // An answer model that is not a language model.
  one_line(run("ask 'chest pain' --index " + db_ + " -m " + kEmbed), 1, "bert-f32.gguf");
}

}  // namespace
