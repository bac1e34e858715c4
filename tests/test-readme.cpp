// test-readme.cpp — the README's first commands and examples are real (issue 22, point 5: "the README's paths match
// what the quickstart built"): the CLI and wasm folders the README names are the ones tools/quickstart.sh builds;
// every `build-quick/sotto COMMAND ...` example line names a command whose --help exits 0 and lists each option the
// line uses (long and short), and each repository path it names (templates/, web/, samples/, models/) exists.
// Runs the built binary beside this test (skipped when it has not been built).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "cli-run.h"

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The README's example lines that run the quickstart's CLI, their comments cut off.
std::vector<std::string> example_lines(const std::string& readme, const std::string& cli) {
  std::vector<std::string> out;
  std::istringstream in(readme);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(cli + " ");
    if (at == std::string::npos || (at > 0 && line.rfind("| ", at) == std::string::npos)) continue;
    const size_t hash = line.find("  #");
    out.push_back(line.substr(at, hash == std::string::npos ? std::string::npos : hash - at));
  }
  return out;
}

}  // namespace

TEST(Readme, FoldersAreTheQuickstarts) {
  const std::string readme = read(SOTTO_SOURCE_DIR "/README.md");
  const std::string quick = read(SOTTO_SOURCE_DIR "/tools/quickstart.sh");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(quick, m, std::regex(R"(cmake -S \. -B (\S+))"))) << "no build folder in quickstart.sh";
  const std::string build = m[1];
  ASSERT_TRUE(std::regex_search(quick, m, std::regex(R"(wasm/build\.sh (\S+))"))) << "no wasm build in quickstart.sh";
  const std::string wasm = m[1];
  EXPECT_NE(quick.find(build + "/sotto note samples/"), std::string::npos) << "the quickstart runs its own build";
  EXPECT_NE(readme.find("bash tools/quickstart.sh"), std::string::npos);
  EXPECT_NE(readme.find("builds `" + build + "/sotto`"), std::string::npos) << "README names another CLI path";
  EXPECT_NE(readme.find(wasm + "/"), std::string::npos) << "README names another wasm folder";
  EXPECT_GE(example_lines(readme, build + "/sotto").size(), 10u);
  // No example runs a CLI from a folder the quickstart does not build.
  std::set<std::string> others;
  const std::regex any_cli(R"((build[-\w]*)/sotto )");
  for (std::sregex_iterator it(readme.begin(), readme.end(), any_cli), end; it != end; ++it) {
    if ((*it)[1] != build) others.insert((*it)[1]);
  }
  EXPECT_TRUE(others.empty()) << *others.begin() << "/sotto in the README is not what the quickstart builds";
}

TEST(Readme, ExamplesUseRealCommandsOptionsAndPaths) {
  if (access(cli_run::sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
  const std::string readme = read(SOTTO_SOURCE_DIR "/README.md");
  const std::string quick = read(SOTTO_SOURCE_DIR "/tools/quickstart.sh");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(quick, m, std::regex(R"(cmake -S \. -B (\S+))")));
  const std::string cli = std::string(m[1]) + "/sotto";
  for (const std::string& line : example_lines(readme, cli)) {
    std::istringstream words(line.substr(cli.size() + 1));
    std::string cmd;
    words >> cmd;
    const auto help = cli_run::run(cmd + " --help");
    EXPECT_EQ(help.code, 0) << "README: " << line << "\n" << help.out;
    for (std::string w; words >> w;) {
      while (!w.empty() && (w.front() == '[' || w.front() == '(')) w.erase(0, 1);
      while (!w.empty() && (w.back() == ']' || w.back() == ')' || w.back() == ';')) w.pop_back();
      if (w.size() > 1 && w[0] == '-' && w != "-") {
        const std::string opt = w.substr(0, w.find('='));
        EXPECT_TRUE(std::regex_search(help.out, std::regex("(^|[ ,])" + std::regex_replace(opt, std::regex("[-]"), "\\-") +
                                                           "([ ,=\\n]|$)")))
            << "README: " << line << "\n  uses " << opt << ", which `sotto " << cmd << " --help` does not list";
      }
      for (const char* dir : {"templates/", "web/", "samples/", "models/"}) {
        if (w.rfind(dir, 0) == 0) {
          EXPECT_TRUE(std::filesystem::exists(std::string(SOTTO_SOURCE_DIR "/") + w)) << "README: " << line << "\n  " << w;
        }
      }
    }
  }
}
