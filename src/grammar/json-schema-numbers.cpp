// json-schema-numbers.cpp — GBNF for decimal numbers inside bounds (integer ranges exactly; numbers with
// integer-valued bounds as integer part + fraction). Pure string building; see json-schema.h.
#include <algorithm>
#include <vector>

#include "core/error.h"
#include "grammar/json-schema.h"

namespace sotto::grammar {

namespace {

constexpr long long kMaxMag = 999999999999999LL;  // 15 digits: beyond this, a bound is treated as absent

std::string lit(const std::string& s) { return s.empty() ? std::string() : "\"" + s + "\""; }

std::string cat(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + " " + b;
}

std::string group(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0].empty() ? "\"\"" : alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) {
    if (i) out += " | ";
    out += alts[i].empty() ? "\"\"" : alts[i];
  }
  return out + ")";
}

std::string digits(char a, char b) {
  if (a == b) return lit(std::string(1, a));
  return std::string("[") + a + "-" + b + "]";
}

std::string any_digits(size_t n) {
  if (n == 0) return "";
  if (n == 1) return "[0-9]";
  return "[0-9]{" + std::to_string(n) + "}";
}

// Digit strings of a's length (leading zeros allowed) with value in [a, b].
std::string same_len(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  std::string prefix = lit(a.substr(0, i));
  if (i == a.size()) return prefix;
  const std::string ar = a.substr(i + 1), br = b.substr(i + 1);
  const size_t r = ar.size();
  const bool a_zero = ar == std::string(r, '0'), b_nine = br == std::string(r, '9');
  const char da = a[i], db = b[i];
  const char lo_d = a_zero ? da : char(da + 1), hi_d = b_nine ? db : char(db - 1);
  std::vector<std::string> alts;
  if (!a_zero) alts.push_back(cat(lit(std::string(1, da)), same_len(ar, std::string(r, '9'))));
  if (lo_d <= hi_d) alts.push_back(cat(digits(lo_d, hi_d), any_digits(r)));
  if (!b_nine) alts.push_back(cat(lit(std::string(1, db)), same_len(std::string(r, '0'), br)));
  return cat(prefix, group(alts));
}

long long pow10(size_t n) {
  long long p = 1;
  for (size_t k = 0; k < n; ++k) p *= 10;
  return p;
}

// Canonical decimal strings (no leading zeros) of the values in [a, b], 0 <= a <= b <= kMaxMag.
std::string uint_range(long long a, long long b) {
  std::vector<std::string> alts;
  const size_t la = std::to_string(a).size(), lb = std::to_string(b).size();
  for (size_t len = la; len <= lb; ++len) {
    long long lo = std::max(a, len == 1 ? 0LL : pow10(len - 1));
    long long hi = std::min(b, pow10(len) - 1);
    if (lo <= hi) alts.push_back(same_len(std::to_string(lo), std::to_string(hi)));
  }
  return group(alts);
}

// Canonical decimal strings of values >= a with at most 15 digits.
std::string uint_at_least(long long a) {
  const std::string s = std::to_string(a);
  std::vector<std::string> alts = {same_len(s, std::string(s.size(), '9'))};
  if (s.size() < 15) alts.push_back("[1-9] [0-9]{" + std::to_string(s.size()) + ",14}");
  return group(alts);
}

}  // namespace

std::string integer_range_gbnf(bool has_lo, long long lo, bool has_hi, long long hi, const std::string& prefix,
                               std::string& rules) {
  (void)prefix;
  (void)rules;
  if (has_lo && lo < -kMaxMag) has_lo = false;
  if (has_hi && hi > kMaxMag) has_hi = false;
  if (has_lo && lo > kMaxMag) fail("integer minimum ", std::to_string(lo), " has more than 15 digits");
  if (has_hi && hi < -kMaxMag) fail("integer maximum ", std::to_string(hi), " has more than 15 digits");
  if (has_lo && has_hi && lo > hi) fail("empty integer range [", std::to_string(lo), ", ", std::to_string(hi), "]");
  std::vector<std::string> alts;
  if (!has_hi || hi >= 0) {
    long long a = has_lo ? std::max(lo, 0LL) : 0;
    alts.push_back(has_hi ? uint_range(a, hi) : uint_at_least(a));
  }
  if (!has_lo || lo < 0) {
    long long mag_lo = (has_hi && hi < 0) ? -hi : 1;
    alts.push_back(cat("\"-\"", has_lo ? uint_range(mag_lo, -lo) : uint_at_least(mag_lo)));
  }
  return group(alts);
}

std::string number_range_gbnf(bool has_lo, long long lo, bool has_hi, long long hi) {
  if (has_lo && lo < -kMaxMag) has_lo = false;
  if (has_hi && hi > kMaxMag) has_hi = false;
  if ((has_lo && lo > kMaxMag) || (has_hi && hi < -kMaxMag)) fail("number bound has more than 15 digits");
  if (has_lo && has_hi && lo > hi) fail("empty number range [", std::to_string(lo), ", ", std::to_string(hi), "]");
  const std::string frac = "(\".\" [0-9]{1,15})?";
  const std::string zero_frac = "(\".\" \"0\"{1,15})?";
  std::vector<std::string> alts;
  // v = k + f >= 0: k in [max(lo,0), hi-1] with any fraction, k = hi with a zero fraction.
  if (!has_hi || hi >= 0) {
    long long a = has_lo ? std::max(lo, 0LL) : 0;
    if (!has_hi) {
      alts.push_back(cat(uint_at_least(a), frac));
    } else {
      if (a <= hi - 1) alts.push_back(cat(uint_range(a, hi - 1), frac));
      alts.push_back(cat(lit(std::to_string(hi)), zero_frac));
    }
  }
  // v = -(k + f) < 0: k + f <= -lo, and k + f >= -hi when hi < 0.
  if (!has_lo || lo < 0) {
    long long kmin = (has_hi && hi < 0) ? -hi : 0;
    if (!has_lo) {
      alts.push_back(cat("\"-\"", cat(uint_at_least(kmin), frac)));
    } else {
      long long amax = -lo;
      if (kmin <= amax - 1) alts.push_back(cat("\"-\"", cat(uint_range(kmin, amax - 1), frac)));
      alts.push_back(cat("\"-\"", cat(lit(std::to_string(amax)), zero_frac)));
    }
  }
  return group(alts);
}

}  // namespace sotto::grammar
