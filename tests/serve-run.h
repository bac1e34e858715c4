// serve-run.h — test helper: a `sotto serve` process on a port the system picks (test-serve, test-serve-api).
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli-run.h"

namespace serve_run {

struct Server {
  pid_t pid = -1;
  int port = -1;
  std::string error;  // why it did not start ("" when it did)
};

struct Options {
  int err_fd = -1;               // its stderr, when >= 0
  rlim_t nofile = 0;             // its descriptor limit, when > 0
  std::vector<std::string> env;  // NAME=VALUE entries added to its environment
};

// `sotto serve --port 0 ARGS...`; the port is read from its first line ("sotto: serving http://127.0.0.1:PORT/").
inline Server start(const std::vector<std::string>& args, const Options& o = {}) {
  Server s;
  int fds[2];
  if (pipe(fds) != 0) return {-1, -1, "pipe failed"};
  std::vector<std::string> argv_s = {"sotto", "serve", "--port", "0"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string exe = cli_run::sotto_path();
  s.pid = fork();
  if (s.pid == 0) {
    // Killed with the test: a test that dies (an ASan report, a crash) must not leave a server holding ctest's pipe.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], 1);
    close(fds[0]);
    if (o.err_fd >= 0) dup2(o.err_fd, 2);
    if (o.nofile > 0) {
      const rlimit rl{o.nofile, o.nofile};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (const auto& e : o.env) putenv(strdup(e.c_str()));
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  close(fds[0]);
  const size_t colon = line.rfind(':');
  if (colon == std::string::npos || line.find("serving") == std::string::npos) {
    s.error = "sotto serve did not start: " + line;
    return s;
  }
  s.port = std::stoi(line.substr(colon + 1));
  return s;
}

// SIGTERM, then waits for it.
inline void stop(Server& s) {
  if (s.pid > 0) {
    kill(s.pid, SIGTERM);
    waitpid(s.pid, nullptr, 0);
  }
  s.pid = -1;
}

}  // namespace serve_run
