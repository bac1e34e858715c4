// test-index-cli.cpp — `sotto index add | rm | ls` and `sotto search` on the tiny random-weight BERT fixture
// (tests/fixtures/embed): a folder of text, Markdown, HTML and PDF (tiny-pdf.h) indexed with progress; a passage's own
// text finds it first by exact cosine (random weights embed meaninglessly, so the mechanics are what is checked);
// --json fields; an unchanged file skipped, a changed one replaced; rm gone from every query; the index's model used
// by default and another model refused; and each bad input is one line: a corrupt/encrypted/empty file (the others
// still indexed, exit 1), a corrupt or foreign database (left as it was), missing --db, paths, query or model, a
// missing index, an unknown subcommand, rm of a path not indexed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli-run.h"
#include "core/file.h"
#include "core/json.h"
#include "tiny-pdf.h"

using namespace cli_run;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/embed/";
const std::string kModel = kDir + "bert-f32.gguf";

class IndexCli : public CliTest {
 protected:
  IndexCli() : CliTest("index-cli") {}
  void SetUp() override {
    CliTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    docs_ = dir_ + "/docs";
    std::filesystem::create_directories(docs_ + "/sub");
    write("docs/notes.txt", "The patient reports chest pain after exercise.\n\nEcho was normal.\n");
    write("docs/sub/lease.md", "# Lease\n\nThe tenant pays rent monthly to the landlord.\n");
    write("docs/sub/hr.html", "<html><body><h1>Leave</h1><p>Annual leave &amp; sick leave policy.</p></body></html>");
    write("docs/report.pdf", tiny_pdf::make({"Page one about blood pressure.", "Page two about insulin dosage."}));
    write("docs/ignored.bin", "x");
    db_ = dir_ + "/i.sqlite";
  }
  std::string write(const std::string& rel, const std::string& bytes) {
    const std::string p = dir_ + "/" + rel;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  sotto::json::Value search_json(const std::string& q, const std::string& extra = "") {
    const Result r = run("search '" + q + "' --db " + db_ + " --json -k 10 " + extra, false);
    EXPECT_EQ(r.code, 0) << r.out;
    return sotto::json::parse(r.out, "stdout");
  }
  std::string docs_, db_;
};

TEST_F(IndexCli, AddSearchRmLs) {
  Result r = run("index add " + docs_ + " --db " + db_ + " -m " + kModel + " -t 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("[1/4] "), std::string::npos) << r.out;  // progress, sorted paths
  EXPECT_NE(r.out.find("added 4, replaced 0, unchanged 0, failed 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 files in the folders were not .txt .md .html .htm .pdf"), std::string::npos) << r.out;

  r = run("index ls --db " + db_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("model: tiny-bert-test (64 dims"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 documents, 5 passages"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pdf         2 pages"), std::string::npos) << r.out;

  // A passage's own text: the same vector, cosine 1, first in the dense list and first fused.
  auto doc = search_json("Page two about insulin dosage.");
  const auto& top = doc.at("results").arr().at(0);
  EXPECT_NE(top.at("document").str().find("/docs/report.pdf"), std::string::npos);
  EXPECT_EQ(top.at("page").integer(), 2);
  EXPECT_EQ(top.at("begin").integer(), 0);
  EXPECT_EQ(top.at("end").integer(), 30);
  EXPECT_EQ(top.at("text").str(), "Page two about insulin dosage.");
  EXPECT_EQ(top.at("dense_rank").integer(), 1);
  EXPECT_NEAR(top.at("dense").number(), 1.0, 1e-5);
  EXPECT_EQ(top.at("bm25_rank").integer(), 1);
  EXPECT_NEAR(top.at("fused").number(), 2.0 / 61, 1e-12);
  doc = search_json("Annual leave & sick leave policy.");
  EXPECT_NE(doc.at("results").arr().at(0).at("document").str().find("/docs/sub/hr.html"), std::string::npos);
  r = run("search 'tenant rent' --db " + db_ + " -k 2");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1. " + std::filesystem::weakly_canonical(docs_).string() + "/sub/lease.md  page 1  bytes 0-"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bm25 "), std::string::npos) << r.out;

  // Unchanged: skipped. Changed: replaced (old words gone). The model is the index's by default.
  r = run("index add " + docs_ + " --db " + db_ + " -q");
  EXPECT_NE(r.out.find("added 0, replaced 0, unchanged 4"), std::string::npos) << r.out;
  write("docs/notes.txt", "Follow-up visit: medication adjusted.\n");
  r = run("index add " + docs_ + "/notes.txt --db " + db_);
  EXPECT_NE(r.out.find("added 0, replaced 1, unchanged 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(replaced)"), std::string::npos) << r.out;
  const auto after = search_json("chest pain exercise echo");
  for (const auto& h : after.at("results").arr())
    EXPECT_TRUE(h.at("bm25").is_null()) << h.at("text").str();

  // rm: a file, then a folder; gone from every query.
  r = run("index rm " + docs_ + "/report.pdf --db " + db_);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("removed "), std::string::npos);
  for (const char* q : {"Page two about insulin dosage.", "blood pressure", "insulin"}) {
    const auto res = search_json(q);
    for (const auto& h : res.at("results").arr())
      EXPECT_EQ(h.at("document").str().find("report.pdf"), std::string::npos) << q;
  }
  r = run("index rm " + docs_ + "/sub/ --db " + db_);
  EXPECT_EQ(cli_run::lines(r.out), 2u) << r.out;
  r = run("index ls --db " + db_ + " --json", false);
  const auto ls = sotto::json::parse(r.out, "stdout");
  ASSERT_EQ(ls.at("documents").arr().size(), 1u);
  EXPECT_NE(ls.at("documents").arr()[0].at("path").str().find("notes.txt"), std::string::npos);
  EXPECT_EQ(ls.at("model").at("n_embd").integer(), 64);
}

TEST_F(IndexCli, AnotherModelIsRefused) {
  ASSERT_EQ(run("index add " + docs_ + "/notes.txt --db " + db_ + " -m " + kModel + " -q").code, 0);
  for (const std::string cmd : {"search 'chest pain' --db " + db_ + " -m " + kDir + "bert-q8_0.gguf",
                                "index add " + docs_ + "/report.pdf --db " + db_ + " -m " + kDir + "bert-q8_0.gguf"}) {
    const Result r = run(cmd);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_EQ(cli_run::lines(r.out), 1u) << r.out;
    EXPECT_NE(r.out.find("bert-q8_0.gguf: not this index's embedding model (" + db_ + " was made with 'tiny-bert-test', 64 dims"),
              std::string::npos) << r.out;
  }
  EXPECT_EQ(run("search 'chest pain' --db " + db_ + " -m " + kModel).code, 0);
}

TEST_F(IndexCli, BadFilesAreOneLineAndTheOthersGoOn) {
  write("docs/enc.pdf", tiny_pdf::make({"Secret."}, true));
  write("docs/broken.pdf", "%PDF-1.4\nnot really");
  write("docs/empty.txt", "");
  write("docs/scan.pdf", tiny_pdf::make({""}));
  const Result r = run("index add " + docs_ + " --db " + db_ + " -m " + kModel + " -q");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("/docs/enc.pdf: encrypted PDF (needs a password); decrypt it first\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/docs/broken.pdf: corrupt PDF (poppler cannot read it)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/docs/empty.txt: empty file\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/docs/scan.pdf: no text layer in its 1 page(s) (a scanned PDF? run OCR on it first)\n"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("added 4, replaced 0, unchanged 0, failed 4"), std::string::npos) << r.out;
}

TEST_F(IndexCli, CorruptDatabaseIsOneLineAndKept) {
  const std::string garbage(8192, '\x5a');
  const std::string bad = write("bad.sqlite", garbage);
  for (const std::string cmd : {"index ls --db " + bad, "search q --db " + bad,
                                "index add " + docs_ + " --db " + bad + " -m " + kModel, "index rm x --db " + bad}) {
    const Result r = run(cmd);
    EXPECT_EQ(r.code, 1) << cmd;
    EXPECT_EQ(r.out, "sotto: " + bad + ": not a readable sotto index (file is not a database)\n") << cmd;
    EXPECT_EQ(sotto::read_file(bad), garbage);
  }
  // Half of a real index.
  ASSERT_EQ(run("index add " + docs_ + " --db " + db_ + " -m " + kModel + " -q").code, 0);
  const std::string whole = sotto::read_file(db_);
  const std::string half = write("half.sqlite", whole.substr(0, whole.size() / 2));
  const Result r = run("search 'tenant' --db " + half);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(cli_run::lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("half.sqlite: "), std::string::npos) << r.out;
  EXPECT_EQ(sotto::read_file(half), whole.substr(0, whole.size() / 2));
}

TEST_F(IndexCli, BadInputIsOneLine) {
  const struct {
    std::string args, want;
    int code;
  } cases[] = {
      {"index", "sotto index: give add, rm or ls", 2},
      {"index frob", "sotto index: unknown subcommand 'frob' (add, rm or ls)", 2},
      {"index add " + docs_, "sotto index add: --db INDEX.sqlite is required", 2},
      {"index add --db " + db_, "sotto index add: give the files or folders to add", 2},
      {"index add " + docs_ + " --db " + db_, "sotto index add: -m MODEL.gguf is required for a new index", 2},
      {"index add " + docs_ + " --db " + db_ + " -m " + kModel + " --chunk-tokens 20 --overlap 20",
       "--overlap must be less than --chunk-tokens", 2},
      {"index add " + dir_ + "/nope.txt --db " + db_ + " -m " + kModel, "nope.txt: no such file or folder", 1},
      {"index add " + docs_ + " --db " + db_ + " -m " + dir_ + "/none.gguf", "none.gguf", 1},
      {"index add " + docs_ + " --db " + db_ + " -m " + kDir + "wordpiece-uncased.gguf", "not an embedding model", 1},
      {"index ls --db " + dir_ + "/none.sqlite", "none.sqlite: no such index (make one with: sotto index add", 1},
      {"search '  ' --db " + db_, "sotto search: the query is empty", 2},
      {"search --db " + db_, "sotto search: missing QUERY", 2},
      {"search q", "sotto search: --db INDEX.sqlite is required", 2},
      {"search q --db " + dir_ + "/none.sqlite", "no such index", 1},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.out;
    EXPECT_EQ(cli_run::lines(r.out), 1u) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.want), std::string::npos) << c.args << "\n" << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(db_)) << "a failed first add made an index file";
  ASSERT_EQ(run("index add " + docs_ + "/notes.txt --db " + db_ + " -m " + kModel + " -q").code, 0);
  Result r = run("index rm " + docs_ + "/report.pdf --db " + db_);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "sotto: " + docs_ + "/report.pdf: not in the index " + db_ + "\n");
  // The recorded model moved away: search says so.
  const std::string copy = dir_ + "/m.gguf";
  std::filesystem::copy_file(kModel, copy);
  const std::string db2 = dir_ + "/j.sqlite";
  ASSERT_EQ(run("index add " + docs_ + "/notes.txt --db " + db2 + " -m " + copy + " -q").code, 0);
  std::filesystem::remove(copy);
  r = run("search 'chest' --db " + db2);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("m.gguf is not there any more; give -m MODEL.gguf"), std::string::npos) << r.out;
}

}  // namespace
