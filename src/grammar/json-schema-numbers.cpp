// json-schema-numbers.cpp — GBNF for decimal numbers inside bounds: integer ranges, and numbers (integer
// part + optional fraction, no exponent, at most 15 significant digits) within decimal bounds, inclusive or
// exclusive, on either side of zero. The number is compared digit by digit with the bound: a rule per
// position where the prefix still equals the bound's. Pure string building; see json-schema.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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

namespace {

// A non-negative decimal: canonical integer part ("0" for zero) and fraction digits without trailing zeros.
struct Dec {
  std::string ip, fp;
};

// Fraction digits a generated number may have after integer part `ip`: at most 15 significant digits in
// all, so that two different generated or bound decimals never parse to the same double.
int frac_room(const std::string& ip) { return ip == "0" ? 15 : 15 - int(ip.size()); }

std::string any_digit_run(int lo, int hi) {  // [0-9]{lo,hi}, "" when hi == 0
  if (hi <= 0) return "";
  if (lo == hi) return hi == 1 ? "[0-9]" : "[0-9]{" + std::to_string(hi) + "}";
  return "[0-9]{" + std::to_string(lo) + "," + std::to_string(hi) + "}";
}

// Non-empty digit strings of at most `rem` digits with a non-zero digit.
std::string nonzero_digits(int rem) {
  std::string first = cat("[1-9]", any_digit_run(0, rem - 1));
  if (rem == 1) return first;
  return "(" + first + " | \"0\" " + nonzero_digits(rem - 1) + ")";
}

// One side of a fraction comparison: strings g of digits compared as 0.g against 0.b[i..] (b padded with
// zeros); lower: g >= (or > when strict) the bound, upper: g <= (or <).
struct FracSide {
  const std::string& b;
  bool lower, strict;
  bool zero_rest(size_t i) const { return i >= b.size(); }  // b has no trailing zeros
  char digit(size_t i) const { return i < b.size() ? b[i] : '0'; }
  // Is the empty string (the value 0 at this position) in the set?
  bool empty_ok(size_t i) const {
    if (lower) return !strict && zero_rest(i);
    return !strict || !zero_rest(i);
  }
  // Non-empty strings of at most rem digits in the set ("" = none).
  std::string nonempty(size_t i, int rem) const {
    if (rem <= 0) return "";
    if (zero_rest(i)) {
      if (lower) return strict ? nonzero_digits(rem) : any_digit_run(1, rem);
      return strict ? "" : (rem == 1 ? "\"0\"" : "\"0\"{1," + std::to_string(rem) + "}");
    }
    const char d = digit(i);
    std::vector<std::string> alts;
    if (lower ? d < '9' : d > '0') {
      alts.push_back(cat(lower ? digits(char(d + 1), '9') : digits('0', char(d - 1)), any_digit_run(0, rem - 1)));
    }
    std::string eq = equal_digit(i, rem);
    if (!eq.empty()) alts.push_back(eq);
    return alts.empty() ? "" : group(alts);
  }
  // Strings starting with b[i] itself.
  std::string equal_digit(size_t i, int rem) const {
    std::string more = nonempty(i + 1, rem - 1);
    std::string d = lit(std::string(1, digit(i)));
    if (more.empty()) return empty_ok(i + 1) ? d : "";
    return cat(d, empty_ok(i + 1) ? "(" + more + ")?" : more);
  }
};

// Optional fraction ("" | "." digits) from a set given by its non-empty part and whether "no fraction" is in.
std::string fraction(const std::string& nonempty, bool empty_ok, bool* none) {
  *none = false;
  if (nonempty.empty()) {
    *none = !empty_ok;
    return "";
  }
  std::string f = "\".\" " + nonempty;
  return empty_ok ? "(" + f + ")?" : f;
}

// Two-sided: 0.g in [lo, hi] (each bound strict or not) at position i, both bounds equal before i.
struct FracBoth {
  FracSide lo, hi;
  bool empty_ok(size_t i) const { return lo.empty_ok(i) && hi.empty_ok(i); }
  std::string nonempty(size_t i, int rem) const {
    if (rem <= 0) return "";
    const char a = lo.digit(i), b = hi.digit(i);
    if (a == b) {
      if (lo.zero_rest(i) && hi.zero_rest(i)) {  // lo == hi from here on: only zeros, if both inclusive
        return !lo.strict && !hi.strict ? (rem == 1 ? "\"0\"" : "\"0\"{1," + std::to_string(rem) + "}") : "";
      }
      std::string more = nonempty(i + 1, rem - 1);
      std::string d = lit(std::string(1, a));
      if (more.empty()) return empty_ok(i + 1) ? d : "";
      return cat(d, empty_ok(i + 1) ? "(" + more + ")?" : more);
    }
    std::vector<std::string> alts;  // a < b
    std::string x = lo.equal_digit(i, rem);
    if (!x.empty()) alts.push_back(x);
    if (b - a > 1) alts.push_back(cat(digits(char(a + 1), char(b - 1)), any_digit_run(0, rem - 1)));
    x = hi.equal_digit(i, rem);
    if (!x.empty()) alts.push_back(x);
    return alts.empty() ? "" : group(alts);
  }
};

// Integer parts in [a, b] (b < 0: unbounded, up to 15 digits), each followed by any fraction that keeps
// the number within 15 significant digits.
void int_parts_any_fraction(long long a, long long b, std::vector<std::string>& alts) {
  if (b < 0) b = kMaxMag;
  if (a == 0) {  // "0" leaves room for 15 fraction digits
    alts.push_back("\"0\" (\".\" " + any_digit_run(1, 15) + ")?");
    a = 1;
  }
  if (a > b) return;
  const size_t la = std::to_string(a).size(), lb = std::to_string(b).size();
  for (size_t len = la; len <= lb; ++len) {
    long long lo = std::max(a, pow10(len - 1)), hi = std::min(b, pow10(len) - 1);
    if (lo > hi) continue;
    const int room = 15 - int(len);
    alts.push_back(cat(same_len(std::to_string(lo), std::to_string(hi)),
                       room > 0 ? "(\".\" " + any_digit_run(1, room) + ")?" : ""));
  }
}

// Magnitudes m with lo <(=) m <(=) hi (hi null: unbounded); alternatives appended to alts.
void magnitude_range(const Dec& lo, bool lo_strict, const Dec* hi, bool hi_strict, std::vector<std::string>& alts) {
  const long long li = std::stoll(lo.ip);
  bool none = false;
  if (hi && hi->ip == lo.ip) {
    FracBoth both{{lo.fp, true, lo_strict}, {hi->fp, false, hi_strict}};
    std::string f = fraction(both.nonempty(0, frac_room(lo.ip)), both.empty_ok(0), &none);
    if (!none) alts.push_back(cat(lit(lo.ip), f));
    return;
  }
  FracSide lower{lo.fp, true, lo_strict};
  std::string f = fraction(lower.nonempty(0, frac_room(lo.ip)), lower.empty_ok(0), &none);
  if (!none) alts.push_back(cat(lit(lo.ip), f));
  if (!hi) {
    int_parts_any_fraction(li + 1, -1, alts);
    return;
  }
  const long long hi_i = std::stoll(hi->ip);
  if (li + 1 <= hi_i - 1) int_parts_any_fraction(li + 1, hi_i - 1, alts);
  FracSide upper{hi->fp, false, hi_strict};
  f = fraction(upper.nonempty(0, frac_room(hi->ip)), upper.empty_ok(0), &none);
  if (!none) alts.push_back(cat(lit(hi->ip), f));
}

// Parses a plain decimal ("-12.50") into sign and Dec.
Dec parse_dec(const std::string& text, bool* negative) {
  size_t i = 0;
  *negative = !text.empty() && text[0] == '-';
  if (*negative) ++i;
  size_t dot = text.find('.', i);
  Dec d;
  d.ip = text.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
  d.fp = dot == std::string::npos ? "" : text.substr(dot + 1);
  size_t nz = 0;
  while (nz + 1 < d.ip.size() && d.ip[nz] == '0') ++nz;
  d.ip = d.ip.substr(nz);
  if (d.ip.empty()) d.ip = "0";
  while (!d.fp.empty() && d.fp.back() == '0') d.fp.pop_back();
  if (d.ip == "0" && d.fp.empty()) *negative = false;
  return d;
}

}  // namespace

std::string plain_decimal(double d) {
  if (!std::isfinite(d)) fail("bound is not a finite number");
  char buf[64];
  int p = 1;
  for (; p <= 15; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  if (p > 15) fail("bound ", std::to_string(d), " has more than 15 significant digits");
  // buf = [-]D.DDDe[+-]XX
  std::string s = buf;
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t e = s.find('e');
  int exp10 = std::stoi(s.substr(e + 1));
  std::string mant;
  for (char c : s.substr(0, e)) {
    if (c != '.') mant += c;
  }
  // value = 0.mant * 10^(exp10 + 1)
  int point = exp10 + 1;  // digits before the decimal point
  std::string ip, fp;
  if (point <= 0) {
    ip = "0";
    fp = std::string(size_t(-point), '0') + mant;
  } else if (size_t(point) >= mant.size()) {
    ip = mant + std::string(size_t(point) - mant.size(), '0');
  } else {
    ip = mant.substr(0, size_t(point));
    fp = mant.substr(size_t(point));
  }
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  if (ip.size() > 15) fail("bound ", s, " has more than 15 integer digits");
  std::string out = (neg ? "-" : "") + ip + (fp.empty() ? "" : "." + fp);
  return out == "-0" ? "0" : out;
}

std::string number_range_gbnf(const DecimalBound* lo, const DecimalBound* hi) {
  bool lo_neg = false, hi_neg = false;
  Dec l = lo ? parse_dec(lo->text, &lo_neg) : Dec{}, h = hi ? parse_dec(hi->text, &hi_neg) : Dec{};
  const Dec zero{"0", ""};
  const bool hi_zero = hi && h.ip == "0" && h.fp.empty();
  std::vector<std::string> alts;
  // x >= 0 (written without a sign)
  if (!hi || !hi_neg) {
    if (!(hi_zero && hi->exclusive)) {
      const bool use_lo = lo && !lo_neg;
      magnitude_range(use_lo ? l : zero, use_lo && lo->exclusive, hi ? &h : nullptr, hi && hi->exclusive, alts);
    }
  }
  // x < 0: "-" and a magnitude m > 0 with m >= |hi| when hi < 0 and m <= |lo|
  if (!lo || lo_neg) {
    std::vector<std::string> neg;
    const bool use_hi = hi && hi_neg;
    magnitude_range(use_hi ? h : zero, use_hi ? hi->exclusive : true, lo ? &l : nullptr, lo && lo->exclusive, neg);
    for (const std::string& a : neg) alts.push_back(cat("\"-\"", a));
  }
  if (alts.empty()) fail("no number with at most 15 significant digits lies in the range");
  return group(alts);
}

}  // namespace sotto::grammar
