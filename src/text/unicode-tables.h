// unicode-tables.h — the generated tables behind unicode.h (see tools/unicode/gen_unicode.py).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sotto::unicode_data {

struct Range { uint32_t lo, hi; };
struct Ccc { uint32_t cp; uint8_t cls; };
struct Decomp { uint32_t cp, first, second; };  // second == 0: a singleton decomposition
struct Comp { uint32_t first, second, composite; };

extern const Range letters[];
extern const size_t letters_count;
extern const Range numbers[];
extern const size_t numbers_count;
extern const Ccc combining[];          // sorted by cp
extern const size_t combining_count;
extern const Decomp decompositions[];  // sorted by cp
extern const size_t decompositions_count;
extern const Comp compositions[];      // sorted by (first, second)
extern const size_t compositions_count;

}  // namespace sotto::unicode_data
