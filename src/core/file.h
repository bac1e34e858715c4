// file.h — whole-file reading with the library's error style ("path: cannot open: reason").
#pragma once

#include <string>

namespace sotto {

std::string read_file(const std::string& path);  // throws Error

}  // namespace sotto
