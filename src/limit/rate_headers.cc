#include "sluice/limit/rate_headers.h"

#include <chrono>

#include "sluice/core/append_number.h"

namespace sluice::limit {
namespace {
__extension__ typedef unsigned __int128 u128;  // wide intermediates: no overflow
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reads "123" or "123.456" at the front of `s`; the value in billionths.
bool read_decimal(std::string_view& s, u128& nano) {
  size_t i = 0;
  u128 whole = 0;
  while (i < s.size() && digit(s[i])) {
    whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
    if (whole > (static_cast<u128>(1) << 80)) return false;
    ++i;
  }
  bool any = i > 0;
  uint64_t frac = 0, scale = 1000000000;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && digit(s[i])) {
      if (scale > 1) {
        scale /= 10;
        frac += static_cast<uint64_t>(s[i] - '0') * scale;
      }
      ++i;
    }
    any = any || i > start;
  }
  if (!any) return false;
  nano = whole * 1000000000u + frac;
  s.remove_prefix(i);
  return true;
}

std::optional<uint64_t> clamp_ns(u128 v) {
  if (v > static_cast<u128>(UINT64_MAX)) return std::nullopt;
  return static_cast<uint64_t>(v);
}

bool take_digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!digit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<uint64_t> parse_count(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<uint64_t> parse_duration_ns(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  u128 total = 0;
  bool first = true;
  while (!s.empty()) {
    u128 nano;
    if (!read_decimal(s, nano)) return std::nullopt;
    // nano is the number in billionths; multiply by the unit in nanoseconds / 1e9.
    uint64_t unit_ns;
    if (s.empty()) {
      if (!first) return std::nullopt;  // "1m5": a number without unit after a unit
      unit_ns = 1000000000;             // a bare number: seconds
    } else if (s.substr(0, 2) == "ms") {
      unit_ns = 1000000, s.remove_prefix(2);
    } else if (s.substr(0, 2) == "us" || s.substr(0, 3) == "\xC2\xB5s") {
      unit_ns = 1000, s.remove_prefix(s[0] == 'u' ? 2 : 3);
    } else if (s.substr(0, 2) == "ns") {
      unit_ns = 1, s.remove_prefix(2);
    } else if (s[0] == 'h') {
      unit_ns = 3600000000000ull, s.remove_prefix(1);
    } else if (s[0] == 'm') {
      unit_ns = 60000000000ull, s.remove_prefix(1);
    } else if (s[0] == 's') {
      unit_ns = 1000000000, s.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    if (nano > ~static_cast<u128>(0) / unit_ns) return std::nullopt;  // the product would wrap
    total += nano * unit_ns / 1000000000u;
    if (total > static_cast<u128>(UINT64_MAX)) return std::nullopt;
    first = false;
  }
  return clamp_ns(total);
}

std::optional<int64_t> parse_rfc3339_ms(std::string_view s) {
  s = trim(s);
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !take_digits(s, 0, 4, y) || s[4] != '-' || !take_digits(s, 5, 2, mo) ||
      s[7] != '-' || !take_digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !take_digits(s, 11, 2, h) || s[13] != ':' || !take_digits(s, 14, 2, mi) || s[16] != ':' ||
      !take_digits(s, 17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100;
    while (i < s.size() && digit(s[i])) {
      ms += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  int64_t offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!take_digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !take_digits(s, i + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  int64_t days_since = sys_days(ymd).time_since_epoch().count();
  int64_t secs = days_since * 86400 + h * 3600 + mi * 60 + std::min(sec, 59) - offset_min * 60;
  return secs * 1000 + ms;
}

// On every admitted request's rate headers: std::to_chars, not snprintf.
std::string format_duration(uint64_t ns) {
  const uint64_t ms = ns / 1000000 + (ns % 1000000 != 0);
  std::string out;  // short enough to stay in the string itself
  if (ms < 1000) {
    core::append_uint(out, ms);
    out += "ms";
  } else if (ms < 60000) {
    // Seconds with up to three decimals, no trailing zeros: "1.5s", "12.345s", "2s".
    core::append_uint(out, ms / 1000);
    if (uint64_t frac = ms % 1000; frac != 0) {
      out += '.';
      out += static_cast<char>('0' + frac / 100);
      if (frac % 100 != 0) out += static_cast<char>('0' + frac / 10 % 10);
      if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
    }
    out += 's';
  } else {
    const uint64_t s = ms / 1000;
    core::append_uint(out, s / 60);
    out += 'm';
    core::append_uint(out, s % 60);
    out += 's';
  }
  return out;
}

}  // namespace sluice::limit
