#include "sluice/admin/usage_query.h"

#include <ctime>

namespace sluice::admin {
namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool parse_time_ms(std::string_view t, int64_t& out) {
  if (t.empty()) return false;
  bool all_digits = true;
  for (char c : t) all_digits &= (c >= '0' && c <= '9');
  if (all_digits) {
    if (t.size() > 15) return false;
    out = 0;
    for (char c : t) out = out * 10 + (c - '0');
    return true;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(t, 0, 4, y) || t.size() < 10 || t[4] != '-' || !digits(t, 5, 2, mo) || t[7] != '-' ||
      !digits(t, 8, 2, d))
    return false;
  if (t.size() > 10) {
    if (t.size() != 20 || (t[10] != 'T' && t[10] != ' ') || !digits(t, 11, 2, h) || t[13] != ':' ||
        !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, sec) || t[19] != 'Z')
      return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  tm tmv{};
  tmv.tm_year = y - 1900;
  tmv.tm_mon = mo - 1;
  tmv.tm_mday = d;
  tmv.tm_hour = h;
  tmv.tm_min = mi;
  tmv.tm_sec = sec;
  out = static_cast<int64_t>(timegm(&tmv)) * 1000;
  return true;
}

UsageQuery parse_usage_query(std::string_view query, int64_t now_ms) {
  UsageQuery q;
  q.to_ms = now_ms + 1;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string value = eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (name == "from" || name == "to") {
      int64_t ms;
      if (!parse_time_ms(value, ms)) {
        q.error = std::string(name) + " must be Unix milliseconds or a UTC date (YYYY-MM-DD)";
        return q;
      }
      (name == "from" ? q.from_ms : q.to_ms) = ms;
    } else if (name == "group_by") {
      std::string_view v = value;
      while (!v.empty()) {
        size_t comma = v.find(',');
        std::string_view g = v.substr(0, comma);
        if (!g.empty()) q.group_by.emplace_back(g);
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
      }
    } else if (name == "project") {
      q.filter.project = value;
    } else if (name == "model") {
      q.filter.model = value;
    } else if (name == "key") {
      q.filter.key = value;
    } else if (name == "provider") {
      q.filter.provider = value;
    }
  }
  return q;
}

}  // namespace sluice::admin
