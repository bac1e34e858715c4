// fuzz.h — what every libFuzzer target of tests/fuzz shares. A target feeds arbitrary bytes to one reader or
// compiler; sotto::Error is the expected way to refuse bad input (caught, the run goes on). Anything else is a
// finding: a sanitizer report, a crash, an uncaught exception of another type, a broken property (FUZZ_CHECK
// aborts with the condition and location), a timeout or running out of memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                         \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);           \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
