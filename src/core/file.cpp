// file.cpp — see file.h.
#include "core/file.h"

#include <cerrno>
#include <cstring>
#include <cstdio>

#include "core/error.h"

namespace sotto {

// stdio rather than fstream: the wasm32-wasi libc++ has no <fstream>.
std::string read_file(const std::string& path) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) fail(path, ": cannot open: ", std::strerror(errno));
  std::string out;
  char buf[65536];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, in)) > 0) out.append(buf, k);
  const bool bad = std::ferror(in) != 0;
  std::fclose(in);
  if (bad) fail(path, ": read error");
  return out;
}

}  // namespace sotto
