// no-index.cpp — `sotto index`, `sotto search` and `sotto ask` in a build made without Debian's SQLite, poppler-cpp, libxml2 or
// libcrypto (CMakeLists.txt leaves cmd-index.cpp, cmd-ask.cpp and apps/rag's ingest/index out then): one line saying so, exit 1.
#include <cstdio>

#include "../cli.h"

namespace sotto::cli {

int run_index(int, char**) {
  std::fprintf(stderr, "sotto: this build has no `index`: libsqlite3-dev, libpoppler-cpp-dev, libxml2-dev or libssl-dev was not found when it was built\n");
  return 1;
}

int run_search(int argc, char** argv) { return run_index(argc, argv); }
int run_ask(int argc, char** argv) { return run_index(argc, argv); }

}  // namespace sotto::cli
