#include "sluice/admin/request_params.h"

#include <algorithm>
#include <array>
#include <vector>

#include "sluice/admin/usage_query.h"

namespace sluice::admin {
namespace {

constexpr size_t kMaxValueBytes = 256;

// A non-negative decimal integer of at most 18 digits (fits int64 with no overflow).
bool parse_count(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// Splits the query string into name/value pairs, calling `take(name, value)` for each;
// stops at the first error `take` reports (a non-empty string).
template <typename Take>
std::string each_pair(std::string_view query, Take&& take) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string name = url_decode(pair.substr(0, eq));
    const std::string value =
        eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    std::string error = take(name, value);
    if (!error.empty()) return error;
  }
  return {};
}

std::string time_error(const std::string& name) {
  return name + " must be Unix milliseconds or a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)";
}

}  // namespace

bool parse_request_cursor(std::string_view text, ledger::RequestCursor& out) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view key = text.substr(colon + 1);
  if (key.empty() || key.size() > ledger::kMaxCursorKeyBytes) return false;
  for (char c : key) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  if (!parse_count(text.substr(0, colon), out.ts_ms)) return false;
  out.key = key;
  return true;
}

RequestsParams parse_requests_params(std::string_view query, int64_t now_ms) {
  RequestsParams p;
  ledger::RequestFilter& f = p.query.filter;
  f.to_ms = now_ms + 1;
  const std::array<std::pair<std::string_view, std::string*>, 6> texts = {{
      {"project", &f.project},
      {"key", &f.key},
      {"model", &f.model},
      {"outcome", &f.outcome},
      {"error_class", &f.error_class},
      {"request_id", &f.request_id},
  }};
  std::vector<std::string> seen;
  p.error = each_pair(query, [&](const std::string& name, const std::string& value) -> std::string {
    for (const std::string& s : seen)
      if (s == name) return "parameter " + name + " given twice";
    seen.push_back(name);
    if (name == "from" || name == "to") {
      if (!parse_time_ms(value, name == "from" ? f.from_ms : f.to_ms)) return time_error(name);
      return {};
    }
    for (const auto& [text_name, field] : texts) {
      if (name != text_name) continue;
      if (value.size() > kMaxValueBytes)
        return name + " is longer than " + std::to_string(kMaxValueBytes) + " bytes";
      *field = value;
      return {};
    }
    if (name == "status") {
      int64_t status;
      if (value.empty()) return {};
      if (!parse_count(value, status) || status < 100 || status > 599)
        return "status must be an HTTP status, 100 to 599";
      f.status = static_cast<int>(status);
      return {};
    }
    if (name == "limit") {
      int64_t limit;
      if (!parse_count(value, limit) || limit < 1 || limit > ledger::kMaxRequestPage)
        return "limit must be 1 to " + std::to_string(ledger::kMaxRequestPage);
      p.query.limit = static_cast<uint32_t>(limit);
      return {};
    }
    if (name == "before") {
      if (value.empty()) return {};
      ledger::RequestCursor cursor;
      if (!parse_request_cursor(value, cursor))
        return "before must be the `next` of a previous page (<ts_ms>:<key>)";
      p.query.before = cursor;
      return {};
    }
    return "unknown parameter " + name +
           ": expected from, to, project, key, model, status, outcome, error_class, "
           "request_id, limit or before";
  });
  if (p.error.empty() && f.from_ms > f.to_ms) p.error = "from is after to";
  return p;
}

LatencyParams parse_latency_params(std::string_view query, int64_t now_ms) {
  LatencyParams p;
  ledger::LatencyQuery& q = p.query;
  q.to_ms = now_ms + 1;
  bool from_given = false;
  int64_t bucket_ms = 0;
  std::vector<std::string> seen;
  p.error = each_pair(query, [&](const std::string& name, const std::string& value) -> std::string {
    for (const std::string& s : seen)
      if (s == name) return "parameter " + name + " given twice";
    seen.push_back(name);
    if (name == "from" || name == "to") {
      if (!parse_time_ms(value, name == "from" ? q.from_ms : q.to_ms)) return time_error(name);
      from_given |= name == "from";
      return {};
    }
    if (name == "bucket_ms") {
      if (!parse_count(value, bucket_ms) || bucket_ms < 1000)
        return "bucket_ms must be a whole number of milliseconds, 1000 or more";
      return {};
    }
    if (name == "model") {
      if (value.size() > kMaxValueBytes)
        return "model is longer than " + std::to_string(kMaxValueBytes) + " bytes";
      q.model = value;
      return {};
    }
    return "unknown parameter " + name + ": expected from, to, bucket_ms or model";
  });
  if (!p.error.empty()) return p;
  if (!from_given) q.from_ms = q.to_ms > 3'600'000 ? q.to_ms - 3'600'000 : 0;
  if (q.from_ms > q.to_ms) {
    p.error = "from is after to";
    return p;
  }
  const int64_t span = q.to_ms - q.from_ms;
  if (bucket_ms == 0) bucket_ms = std::max<int64_t>(1000, (span / 60 + 999) / 1000 * 1000);
  if (span / bucket_ms >= ledger::kMaxLatencyBuckets) {
    p.error = "bucket_ms too small for this range: at most " +
              std::to_string(ledger::kMaxLatencyBuckets) + " buckets";
    return p;
  }
  q.bucket_ms = bucket_ms;
  return p;
}

}  // namespace sluice::admin
