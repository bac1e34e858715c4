// espeak.h — test helper: speech from espeak-ng (Debian's espeak-ng), for the tests that run the speech models on a
// spoken phrase. Tests skip where espeak-ng is missing.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "audio/resample.h"
#include "audio/wav.h"

inline bool have_espeak() { return std::system("espeak-ng --version >/dev/null 2>&1") == 0; }

// `text` spoken by espeak-ng's default voice at 160 words a minute, as 16 kHz mono samples ({} when it fails).
inline std::vector<float> speak(const std::string& text) {
  const std::string path = testing::TempDir() + "/sotto-speak-" + std::to_string(::getpid()) + ".wav";
  if (std::system(("espeak-ng -s 160 -w '" + path + "' '" + text + "' 2>/dev/null").c_str()) != 0) return {};
  sotto::audio::Wav w = sotto::audio::read_wav(path, true);
  std::remove(path.c_str());
  return sotto::audio::resample(w.samples.data(), w.samples.size(), w.sample_rate, 16000);
}
