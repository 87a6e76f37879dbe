#include "sluice/resilience/retry_after.h"

#include <array>

namespace sluice::resilience {
namespace {

// Longest wait we represent: beyond this any hint is "too long" for every config.
constexpr uint64_t kMaxMs = 365ull * 24 * 3600 * 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "123" or "123.45": value times `scale`, rounded up, capped at kMaxMs.
std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t scale) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  uint64_t whole = 0;
  size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
    if (whole > kMaxMs) whole = kMaxMs;  // saturate; keeps the multiplications in range
  }
  if (i == 0) return std::nullopt;
  uint64_t frac_num = 0, frac_den = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t digits = 0;
    for (; i < s.size() && is_digit(s[i]); ++i, ++digits)
      if (frac_den < 1000000) {
        frac_num = frac_num * 10 + static_cast<uint64_t>(s[i] - '0');
        frac_den *= 10;
      }
    if (digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  uint64_t ms = whole * scale + (frac_num * scale + frac_den - 1) / frac_den;
  return ms > kMaxMs ? kMaxMs : ms;
}

std::optional<int> month_of(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (size_t i = 0; i < kMonths.size(); ++i)
    if (m == kMonths[i]) return static_cast<int>(i) + 1;
  return std::nullopt;
}

// Exactly `n` digits at `s[pos]`.
std::optional<int> digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<int64_t> to_unix(int year, int month, int day, std::string_view hms) {
  // hms is "HH:MM:SS"
  if (hms.size() != 8 || hms[2] != ':' || hms[5] != ':') return std::nullopt;
  auto h = digits(hms, 0, 2), mi = digits(hms, 3, 2), s = digits(hms, 6, 2);
  if (!h || !mi || !s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max_day = kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
  if (day < 1 || day > max_day) return std::nullopt;
  return days_from_civil(year, month, day) * 86400 + *h * 3600 + *mi * 60 + *s;
}

// Splits on single spaces; false when there are not exactly `n` fields.
template <size_t N>
bool fields(std::string_view s, std::array<std::string_view, N>& out) {
  size_t count = 0;
  while (!s.empty()) {
    if (count == N) return false;
    size_t sp = s.find(' ');
    out[count++] = s.substr(0, sp);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
    if (!s.empty() && s.front() == ' ') {
      // asctime pads a one-digit day with a second space: "Nov  6"
      s.remove_prefix(1);
    }
  }
  return count == N;
}

}  // namespace

std::optional<int64_t> parse_http_date(std::string_view v) {
  v = trim(v);
  size_t comma = v.find(',');
  if (comma != std::string_view::npos) {
    std::string_view rest = v.substr(comma + 1);
    if (rest.empty() || rest.front() != ' ') return std::nullopt;
    rest.remove_prefix(1);
    if (comma == 3) {  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
      std::array<std::string_view, 5> f;
      if (!fields(rest, f) || f[4] != "GMT" || f[0].size() != 2 || f[2].size() != 4)
        return std::nullopt;
      auto day = digits(f[0], 0, 2), year = digits(f[2], 0, 4);
      auto month = month_of(f[1]);
      if (!day || !year || !month) return std::nullopt;
      return to_unix(*year, *month, *day, f[3]);
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year that looks more than
    // 50 years in the future is in the past (RFC 9110 5.6.7).
    std::array<std::string_view, 3> f;
    if (!fields(rest, f) || f[2] != "GMT" || f[0].size() != 9 || f[0][2] != '-' || f[0][6] != '-')
      return std::nullopt;
    auto day = digits(f[0], 0, 2), yy = digits(f[0], 7, 2);
    auto month = month_of(f[0].substr(3, 3));
    if (!day || !yy || !month) return std::nullopt;
    int year = *yy + (*yy < 70 ? 2000 : 1900);
    return to_unix(year, *month, *day, f[1]);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  std::array<std::string_view, 5> f;
  if (!fields(v, f) || f[0].size() != 3 || f[4].size() != 4 || f[2].empty() || f[2].size() > 2)
    return std::nullopt;
  auto month = month_of(f[1]);
  auto day = digits(f[2], 0, f[2].size());
  auto year = digits(f[4], 0, 4);
  if (!month || !day || !year) return std::nullopt;
  return to_unix(*year, *month, *day, f[3]);
}

std::optional<uint64_t> parse_retry_after(std::string_view value, int64_t now_unix_ms) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (is_digit(value.front())) return parse_decimal(value, 1000);
  std::optional<int64_t> at = parse_http_date(value);
  if (!at) return std::nullopt;
  int64_t at_ms = *at * 1000;
  if (at_ms <= now_unix_ms) return 0;
  uint64_t wait = static_cast<uint64_t>(at_ms - now_unix_ms);
  return wait > kMaxMs ? kMaxMs : wait;
}

std::optional<uint64_t> parse_retry_after_ms(std::string_view value) {
  return parse_decimal(value, 1);
}

std::optional<uint64_t> wait_hint_ms(std::string_view retry_after, std::string_view retry_after_ms,
                                     int64_t now_unix_ms) {
  if (auto ms = parse_retry_after_ms(retry_after_ms)) return ms;
  return parse_retry_after(retry_after, now_unix_ms);
}

}  // namespace sluice::resilience
