// unicode.h — the Unicode the tokenizers need: UTF-8 decoding that never fails (an invalid byte becomes a
// code point of its own, kept byte-exact), letter/number/whitespace classes as the pre-tokenizer patterns
// use them (\p{L}, \p{N}, \s), and NFC normalisation. Tables are Unicode 14.0 (tools/unicode/).
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

}  // namespace sotto::unicode
