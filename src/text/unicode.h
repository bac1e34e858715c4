// unicode.h — the Unicode the tokenizers need: UTF-8 decoding that never fails (an invalid byte becomes a
// code point of its own, kept byte-exact), letter/number/whitespace classes as the pre-tokenizer patterns
// use them (\p{L}, \p{N}, \s), NFC normalisation, and what BERT's normaliser needs (canonical decomposition,
// general categories Mn, C* and P*, full lowercase mapping). Tables are Unicode 14.0 (tools/unicode/).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace sotto::unicode {

struct CodePoint {
  uint32_t cp;     // 0xFFFFFFFF for an invalid byte
  uint32_t off;    // byte offset in the text
  uint32_t len;    // bytes
};

constexpr uint32_t kInvalid = 0xFFFFFFFFu;

std::vector<CodePoint> decode_utf8(std::string_view s);
using sotto::append_utf8;  // core/utf8.h
// Length of the UTF-8 sequence that starts with byte b (1 for an invalid lead byte).
int utf8_len(uint8_t b);
// Bytes at the end of s that form an incomplete (but so far valid) UTF-8 sequence.
size_t incomplete_utf8_tail(std::string_view s);

bool is_letter(uint32_t cp);
bool is_number(uint32_t cp);
bool is_whitespace(uint32_t cp);  // the White_Space property

std::string nfc(std::string_view s);  // invalid bytes pass through unchanged
// Canonical decomposition (NFD) of valid code points: full decomposition, then canonical ordering.
std::vector<uint32_t> nfd(const std::vector<uint32_t>& cps);

bool is_mark_nonspacing(uint32_t cp);  // general category Mn
bool is_other(uint32_t cp);            // C*: Cc, Cf, Cs, Co, Cn (unassigned)
bool is_punctuation(uint32_t cp);      // P*
// Appends the full lowercase mapping of cp (one or two code points; cp itself when it has none), as Python's
// str.lower() of that one character.
void append_lower(uint32_t cp, std::vector<uint32_t>& out);

}  // namespace sotto::unicode
