// unicode-tables.h — the generated tables behind unicode.h (see tools/unicode/gen_unicode.py).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sotto::unicode_data {

struct Range { uint32_t lo, hi; };
struct Ccc { uint32_t cp; uint8_t cls; };
struct Decomp { uint32_t cp, first, second; };  // second == 0: a singleton decomposition
struct Comp { uint32_t first, second, composite; };
struct Lower { uint32_t cp, first, second; };  // second == 0: one code point

extern const Range letters[];
extern const size_t letters_count;
extern const Range numbers[];
extern const size_t numbers_count;
extern const Range marks_nonspacing[];  // Mn
extern const size_t marks_nonspacing_count;
extern const Range others[];            // C*
extern const size_t others_count;
extern const Range punctuation[];       // P*
extern const size_t punctuation_count;
extern const Lower lowercase[];         // sorted by cp
extern const size_t lowercase_count;
extern const Ccc combining[];          // sorted by cp
extern const size_t combining_count;
extern const Decomp decompositions[];  // sorted by cp
extern const size_t decompositions_count;
extern const Comp compositions[];      // sorted by (first, second)
extern const size_t compositions_count;

}  // namespace sotto::unicode_data
