// cli-run.h — test helper: runs the `sotto` binary built beside the test executable and collects its exit code
// and output (the CLI tests: test-cli, test-asr-cli, test-speaker-cli).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

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

}  // namespace cli_run
