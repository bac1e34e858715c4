// file.cpp — see file.h.
#include "core/file.h"

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace sotto {

std::string size_limit_text(size_t bytes) {
  if (bytes >= (size_t(1) << 30) && bytes % (size_t(1) << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (size_t(1) << 20) && bytes % (size_t(1) << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (size_t(1) << 10) && bytes % (size_t(1) << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string read_stream(std::FILE* in, const std::string& name, size_t max_bytes) {
  std::string out;
  char buf[65536];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, in)) > 0) {
    if (k > max_bytes - out.size()) fail(name, ": larger than the ", size_limit_text(max_bytes), " limit for this input");
    out.append(buf, k);
  }
  if (std::ferror(in) != 0) fail(name, ": read error");
  return out;
}

// stdio rather than fstream: the wasm32-wasi libc++ has no <fstream>.
std::string read_file(const std::string& path, size_t max_bytes) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) fail(path, ": cannot open: ", std::strerror(errno));
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{in};
  return read_stream(in, path, max_bytes);
}

}  // namespace sotto
