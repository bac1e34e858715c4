// unicode.cpp — see unicode.h.
#include "text/unicode.h"

#include <algorithm>

#include "text/unicode-tables.h"

namespace sotto::unicode {

namespace ud = unicode_data;

int utf8_len(uint8_t b) {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

std::vector<CodePoint> decode_utf8(std::string_view s) {
  std::vector<CodePoint> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = uint8_t(s[i]);
    const int n = utf8_len(b0);
    uint32_t cp = n == 1 ? (b0 < 0x80 ? b0 : kInvalid) : (b0 & (0xFF >> (n + 1)));
    bool ok = cp != kInvalid && i + size_t(n) <= s.size();
    for (int k = 1; ok && k < n; k++) {
      const auto b = uint8_t(s[i + size_t(k)]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.push_back({cp, uint32_t(i), uint32_t(n)});
      i += size_t(n);
    } else {
      out.push_back({kInvalid, uint32_t(i), 1});
      i += 1;
    }
  }
  return out;
}


size_t incomplete_utf8_tail(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); back++) {
    const auto b = uint8_t(s[s.size() - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const int n = utf8_len(b);
    return (n > 1 && size_t(n) > back) ? back : 0;
  }
  return 0;
}

static bool in_ranges(const ud::Range* r, size_t n, uint32_t cp) {
  const ud::Range* end = r + n;
  const ud::Range* it = std::upper_bound(r, end, cp, [](uint32_t c, const ud::Range& x) { return c < x.lo; });
  return it != r && cp <= (it - 1)->hi;
}

bool is_letter(uint32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  return cp != kInvalid && in_ranges(ud::letters, ud::letters_count, cp);
}

bool is_number(uint32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return cp != kInvalid && in_ranges(ud::numbers, ud::numbers_count, cp);
}

bool is_whitespace(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// ---- NFC: full canonical decomposition, canonical ordering, canonical composition (Hangul algorithmic).

namespace {
constexpr uint32_t SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
constexpr uint32_t LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

uint8_t ccc(uint32_t cp) {
  if (cp < 0x300) return 0;
  const ud::Ccc* end = ud::combining + ud::combining_count;
  const ud::Ccc* it = std::lower_bound(ud::combining, end, cp, [](const ud::Ccc& x, uint32_t c) { return x.cp < c; });
  return (it != end && it->cp == cp) ? it->cls : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= SBase && cp < SBase + SCount) {
    const uint32_t s = cp - SBase;
    out.push_back(LBase + s / NCount);
    out.push_back(VBase + (s % NCount) / TCount);
    if (s % TCount) out.push_back(TBase + s % TCount);
    return;
  }
  if (cp >= 0xC0) {
    const ud::Decomp* end = ud::decompositions + ud::decompositions_count;
    const ud::Decomp* it =
        std::lower_bound(ud::decompositions, end, cp, [](const ud::Decomp& x, uint32_t c) { return x.cp < c; });
    if (it != end && it->cp == cp) {
      decompose(it->first, out);
      if (it->second) decompose(it->second, out);
      return;
    }
  }
  out.push_back(cp);
}

uint32_t compose_pair(uint32_t a, uint32_t b) {
  if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount) {
    return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
  }
  if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount) {
    return a + (b - TBase);
  }
  const ud::Comp* end = ud::compositions + ud::compositions_count;
  const ud::Comp* it = std::lower_bound(ud::compositions, end, std::make_pair(a, b), [](const ud::Comp& x, auto key) {
    return x.first != key.first ? x.first < key.first : x.second < key.second;
  });
  return (it != end && it->first == a && it->second == b) ? it->composite : 0;
}

}  // namespace

std::vector<uint32_t> nfd(const std::vector<uint32_t>& cps) {
  std::vector<uint32_t> d;
  d.reserve(cps.size());
  for (uint32_t cp : cps) decompose(cp, d);
  // Canonical ordering: stable sort of each run of non-starters by class.
  for (size_t i = 0; i < d.size();) {
    if (ccc(d[i]) == 0) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < d.size() && ccc(d[j]) != 0) j++;
    std::stable_sort(d.begin() + std::ptrdiff_t(i), d.begin() + std::ptrdiff_t(j),
                     [](uint32_t a, uint32_t b) { return ccc(a) < ccc(b); });
    i = j;
  }
  return d;
}

bool is_mark_nonspacing(uint32_t cp) {
  return cp >= 0x300 && cp != kInvalid && in_ranges(ud::marks_nonspacing, ud::marks_nonspacing_count, cp);
}
bool is_other(uint32_t cp) { return cp != kInvalid && in_ranges(ud::others, ud::others_count, cp); }
bool is_punctuation(uint32_t cp) { return cp != kInvalid && in_ranges(ud::punctuation, ud::punctuation_count, cp); }

void append_lower(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  const ud::Lower* end = ud::lowercase + ud::lowercase_count;
  const ud::Lower* it = std::lower_bound(ud::lowercase, end, cp, [](const ud::Lower& x, uint32_t c) { return x.cp < c; });
  if (it == end || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  out.push_back(it->first);
  if (it->second) out.push_back(it->second);
}

namespace {

// NFC of a run of valid code points.
void nfc_run(const std::vector<uint32_t>& cps, std::string& out) {
  const std::vector<uint32_t> d = nfd(cps);
  // Composition: a character joins the last starter unless something between them blocks it (a starter,
  // or a mark of the same or a higher class).
  std::vector<uint32_t> r;
  long starter = -1;
  int last_cc = -1;  // class of the last character kept after the starter; -1: none
  for (uint32_t cp : d) {
    const int cc = ccc(cp);
    if (starter >= 0 && (last_cc == -1 || last_cc < cc)) {
      const uint32_t c = compose_pair(r[size_t(starter)], cp);
      if (c) {
        r[size_t(starter)] = c;
        continue;
      }
    }
    if (cc == 0) {
      starter = long(r.size());
      last_cc = -1;
    } else {
      last_cc = cc;
    }
    r.push_back(cp);
  }
  for (uint32_t cp : r) append_utf8(out, cp);
}
}  // namespace

std::string nfc(std::string_view s) {
  bool ascii = true;
  for (char c : s) {
    if (uint8_t(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::vector<uint32_t> run;
  for (const CodePoint& c : decode_utf8(s)) {
    if (c.cp == kInvalid) {
      nfc_run(run, out);
      run.clear();
      out.append(s.substr(c.off, c.len));
    } else {
      run.push_back(c.cp);
    }
  }
  nfc_run(run, out);
  return out;
}

}  // namespace sotto::unicode
