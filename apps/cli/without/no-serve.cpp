// no-serve.cpp — `sotto serve` in a build made without Debian's cpp-httplib (CMakeLists.txt leaves cmd-serve.cpp,
// http-server.cpp, serve-site.cpp and serve-api.cpp out then): one line saying so, exit status 1.
#include <cstdio>

#include "../cli.h"

namespace sotto::cli {

int run_serve(int, char**) {
  std::fprintf(stderr, "sotto: this build has no `serve`: cpp-httplib (libcpp-httplib-dev) was not found when it was built\n");
  return 1;
}

}  // namespace sotto::cli
