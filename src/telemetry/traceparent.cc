#include "sluice/telemetry/traceparent.h"

namespace sluice::telemetry {
namespace {
constexpr size_t kLength = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid too
}

// `n` bytes from 2n lowercase hex characters.
bool read_hex(std::string_view s, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    int hi = hex_value(s[2 * i]);
    int lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool all_zero(const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (b[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool parse_traceparent(std::string_view header, TraceParent& out) {
  std::string_view s = trim(header);
  if (s.size() < kLength || s[2] != '-' || s[35] != '-' || s[52] != '-') return false;
  uint8_t version = 0;
  if (!read_hex(s, &version, 1) || version == 0xff) return false;
  if (version == 0 ? s.size() != kLength : s.size() > kLength && s[kLength] != '-') return false;
  TraceParent tp;
  if (!read_hex(s.substr(3), tp.trace_id.data(), tp.trace_id.size())) return false;
  if (!read_hex(s.substr(36), tp.parent_id.data(), tp.parent_id.size())) return false;
  if (!read_hex(s.substr(53), &tp.flags, 1)) return false;
  if (all_zero(tp.trace_id.data(), tp.trace_id.size()) ||
      all_zero(tp.parent_id.data(), tp.parent_id.size()))
    return false;
  out = tp;
  return true;
}

void append_hex(std::string& out, const uint8_t* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
}

}  // namespace sluice::telemetry
