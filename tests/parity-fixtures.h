// parity-fixtures.h — test helper: the parity fixtures of a directory, i.e. the names N of every N.ref.gguf
// (the reference file beside the model N.gguf that tools/ref writes), sorted.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

inline std::vector<std::string> parity_fixtures(const std::string& dir) {
  std::vector<std::string> names;
  const std::string suffix = ".ref.gguf";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(n.substr(0, n.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The population standard deviation of a reference's n values (parity tolerances are multiples of it).
inline double reference_sd(const float* want, size_t n) {
  double mean = 0, var = 0;
  for (size_t i = 0; i < n; i++) mean += want[i];
  mean /= double(n);
  for (size_t i = 0; i < n; i++) var += (want[i] - mean) * (want[i] - mean);
  return std::sqrt(var / double(n));
}
