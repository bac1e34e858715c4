// test-cli.cpp — the `sotto` command line's contract without a model: exit codes (0 help, 2 usage
// mistakes, 1 errors), one-line messages, and help for every command. Runs the built binary next to this
// test executable (skipped when it has not been built).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli-run.h"

namespace {

using cli_run::lines;
using cli_run::run;
using cli_run::sotto_path;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
  }
};

}  // namespace

TEST_F(Cli, HelpExitsZero) {
  auto r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"generate", "bench", "info"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
    auto h = run(std::string(cmd) + " --help");
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.out.find("usage: sotto " + std::string(cmd)), std::string::npos) << h.out;
  }
}

TEST_F(Cli, UsageMistakesExitTwoWithOneLine) {
  for (const char* args : {"", "frobnicate", "generate -m x.gguf --bogus", "generate -m", "generate -p hi",
                           "generate -m x.gguf -p hi --temp warm", "generate -m x.gguf -p hi -n 1.5",
                           "bench -m x.gguf -r 0", "info", "info a.gguf b.gguf", "info --tensors=yes a.gguf"}) {
    auto r = run(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    if (*args) {
      EXPECT_EQ(lines(r.out), 1u) << args << ": " << r.out;
    }
  }
}

TEST_F(Cli, ErrorsExitOneWithOneLine) {
  auto r = run("info /nonexistent/model.gguf");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_EQ(r.out.rfind("sotto: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/model.gguf"), std::string::npos) << r.out;
  auto s = run("generate -m /nonexistent/model.gguf -p hi --top-p 0");  // bad sampler values: before loading
  EXPECT_EQ(s.code, 1) << s.out;
  EXPECT_NE(s.out.find("top-p"), std::string::npos) << s.out;
}

// Hostile or careless arguments (issue 15): endless inputs stop at a cap named in the error, thread counts
// and negative counts are refused, each in one line, before any model loads.
TEST_F(Cli, UnboundedInputsAndBadCountsAreOneLineErrors) {
  struct Case {
    const char* args;
    int code;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{
           {"note --transcript /dev/zero -m /nonexistent/m.gguf", 1, "/dev/zero: larger than the 256 MiB limit"},
           {"generate -m /nonexistent/m.gguf -p hi --schema /dev/zero", 1, "/dev/zero: larger than the 256 MiB limit"},
           {"generate -m /nonexistent/m.gguf -p hi --grammar /dev/zero", 1, "/dev/zero: larger than the 256 MiB limit"},
           {"transcribe -m " SOTTO_SOURCE_DIR "/tests/fixtures/asr/moonshine-f32.gguf /dev/zero", 1,
            "/dev/zero: not a RIFF file"},
           {"generate -m x.gguf -p hi -t 100000", 2, "-t must be in 0..1024, got 100000"},
           {"note --transcript x.txt -m x.gguf -t 100000", 2, "-t must be in 0..1024"},
           {"transcribe -m x.gguf a.wav --threads 5000", 2, "--threads must be in 0..1024"},
           {"bench -m x.gguf -t -2", 2, "-t must be in 0..1024"},
           {"note --transcript x.txt -m x.gguf --max-tokens -3", 2, "--max-tokens must be at least 1, got -3"},
           {"note a.wav --check note.json", 2, "--check needs --transcript FILE"},
           {"note --transcript x.txt -m x.gguf --visit-date 2026-02-30", 2, "--visit-date must be a date YYYY-MM-DD, got '2026-02-30'"},
           {"note --transcript x.txt -m x.gguf --visit-date 6/12/2026", 2, "--visit-date must be a date YYYY-MM-DD"},
           {"note --check /nonexistent/note.json --transcript /dev/null", 1, "/nonexistent/note.json"},
           {"generate -m x.gguf -p hi -n -3", 2, "-n must be at least -1, got -3"},
           {"generate -m x.gguf -p hi --top-k -1", 2, "--top-k must be at least 0"},
           {"generate -m x.gguf -p hi --repeat-last-n -2", 2, "--repeat-last-n must be at least -1"},
           {"generate -m x.gguf -p hi -n 99999999999", 2, "-n is out of range, got 99999999999"},
       }) {
    auto r = run(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << ": " << r.out;
    EXPECT_EQ(lines(r.out), 1u) << c.args << ": " << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << ": " << r.out;
  }
}

// What a newcomer hits first (issue 22, point 5): the version, the bundled speech model as transcribe's default,
// `info` on a speech model, the valid names when a template is unknown.
TEST_F(Cli, VersionAndNewcomerDefaults) {
  for (const char* v : {"--version", "version", "-V"}) {
    auto r = run(v);
    EXPECT_EQ(r.code, 0) << v << ": " << r.out;
    EXPECT_EQ(lines(r.out), 1u) << r.out;
    EXPECT_EQ(r.out.rfind("sotto ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find('.'), std::string::npos) << r.out;  // a dotted version number
  }
  auto info = run("info " SOTTO_SOURCE_DIR "/tests/fixtures/asr/moonshine-f32.gguf");
  EXPECT_EQ(info.code, 0) << info.out;
  EXPECT_NE(info.out.find("speech to text"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("encoder"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("not usable"), std::string::npos) << info.out;
  auto t = run("note --transcript " SOTTO_SOURCE_DIR "/samples/visit-soap.txt --template nope -m x.gguf");
  EXPECT_EQ(t.code, 1) << t.out;
  EXPECT_EQ(lines(t.out), 1u) << t.out;
  for (const char* name : {"soap", "hr", "finance", "legal"}) {
    EXPECT_NE(t.out.find(name), std::string::npos) << name << " missing from: " << t.out;
  }
}

// `transcribe` without -m takes the bundled speech model, as `note` does.
TEST_F(Cli, TranscribeUsesTheBundledSpeechModel) {
  if (access(SOTTO_SOURCE_DIR "/models/sotto-asr-q8_0.gguf", R_OK) != 0) GTEST_SKIP() << "no bundled speech model";
  auto r = run("transcribe " SOTTO_SOURCE_DIR "/samples/visit-soap.wav --json -t 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"segments\""), std::string::npos) << r.out.substr(0, 400);
}

// `note --check` with `--visit-date`: a relative follow-up supports the date it means from the visit date, and is
// flagged without it (apps/scribe/support.h).
TEST_F(Cli, CheckResolvesRelativeDatesAgainstTheVisitDate) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sotto-cli-visit-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string tr = (dir / "t.txt").string(), note = (dir / "n.json").string();
  std::FILE* f = std::fopen(tr.c_str(), "w");
  std::fputs("Doctor: Take paracetamol as needed. See you in two weeks.\n", f);
  std::fclose(f);
  f = std::fopen(note.c_str(), "w");
  std::fputs(R"({"subjective": null, "objective": null, "assessment": null, "plan": null,
    "medications": [{"name": "paracetamol", "dose": null, "frequency": "as needed"}], "follow_up": "2026-03-20"})", f);
  std::fclose(f);
  const std::string base = "note --template soap --format json --transcript " + tr + " --check " + note;
  auto with = run(base + " --visit-date 2026-03-06", false);
  ASSERT_EQ(with.code, 0) << with.out;
  EXPECT_EQ(with.out.find("\"flagged\": true"), std::string::npos) << with.out;
  auto without = run(base, false);
  ASSERT_EQ(without.code, 0) << without.out;
  EXPECT_NE(without.out.find("\"flagged\": true"), std::string::npos) << without.out;
  auto wrong = run(base + " --visit-date 2026-03-07", false);
  ASSERT_EQ(wrong.code, 0) << wrong.out;
  EXPECT_NE(wrong.out.find("2026-03-21 from the visit date"), std::string::npos) << wrong.out;
  std::filesystem::remove_all(dir);
}
