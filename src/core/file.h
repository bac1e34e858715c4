// file.h — whole-file and whole-stream reading with the library's error style ("path: cannot open: reason").
// Every read has a size cap (a path may name /dev/zero or an endless pipe): past it the read stops with an
// error naming the limit, instead of growing without bound.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace sotto {

// The cap of read_file and read_stream unless the caller passes another: 256 MiB (transcripts, prompts,
// schemas, grammars, tokenizer.json files are far smaller).
inline constexpr size_t kMaxReadBytes = size_t(256) << 20;

std::string read_file(const std::string& path, size_t max_bytes = kMaxReadBytes);  // throws Error
// Reads `in` to its end (stdin for "-"); `name` labels errors.
std::string read_stream(std::FILE* in, const std::string& name, size_t max_bytes = kMaxReadBytes);

// "256 MiB", "64 KiB" or "1000 bytes": how the errors name a limit.
std::string size_limit_text(size_t bytes);

}  // namespace sotto
