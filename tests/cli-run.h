// cli-run.h — test helper: runs the `sotto` binary built beside the test executable and collects its exit code
// and output (the CLI tests: test-cli, test-asr-cli, test-speaker-cli, test-listen-cli); CliTest, their fixture
// with a scratch folder.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

namespace cli_run {

// build/sotto beside build/<test>; "" when /proc/self/exe cannot be read.
inline std::string sotto_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : (self.parent_path() / "sotto").string();
}

struct Result {
  int code = -1;    // exit code; -1 when it did not exit normally
  std::string out;  // stdout, and stderr too when merged
};

// `sotto ARGS` through the shell; stderr is merged into out, or dropped.
inline Result run(const std::string& args, bool merge_stderr = true) {
  Result r;
  FILE* p = popen((sotto_path() + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// Lines of s (its '\n's).
inline size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A test of the built CLI with a scratch folder: skipped when sotto is not built; dir_ is
// TempDir()/sotto-<prefix>-<pid>, made before each test and removed after it.
class CliTest : public ::testing::Test {
 protected:
  explicit CliTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    if (access(sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
    dir_ = testing::TempDir() + "/sotto-" + prefix_ + "-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;

 private:
  std::string prefix_;
};

}  // namespace cli_run
