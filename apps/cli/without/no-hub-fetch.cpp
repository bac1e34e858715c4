// no-hub-fetch.cpp — hub.h's download half in a build made without Debian's cpp-httplib (CMakeLists.txt leaves
// hub-fetch.cpp out then): files already in the hub cache resolve; anything else is one line saying why not.
#include "../hub.h"
#include "core/error.h"

namespace sotto::cli::hub {

std::string pull(const Ref& ref, const Options&) {
  std::string chosen;
  const std::string p = cached_path(ref, &chosen);
  if (!p.empty()) return p;
  fail("hf:", ref.str(), ": not in the hub cache, and this build cannot download (cpp-httplib, libcpp-httplib-dev, "
       "was not found when it was built)");
}

std::string resolve(const Ref& ref, const Options& o) { return pull(ref, o); }

}  // namespace sotto::cli::hub
