#pragma once
// Numbers into header lines, chunk sizes and log lines without printf: std::to_chars
// into a small stack buffer, appended. printf parses its format at every call.

#include <charconv>
#include <cstdint>
#include <string>

namespace sluice::core {

inline void append_uint(std::string& out, uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Lowercase hexadecimal, no prefix (a chunk-size line).
inline void append_hex(std::string& out, uint64_t v) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// `thousandths` / 1000 with exactly three decimals ("12.345"): milliseconds from
// microseconds, seconds from milliseconds.
inline void append_thousandths(std::string& out, uint64_t thousandths) {
  append_uint(out, thousandths / 1000);
  const char frac[4] = {'.', static_cast<char>('0' + thousandths % 1000 / 100),
                        static_cast<char>('0' + thousandths % 100 / 10),
                        static_cast<char>('0' + thousandths % 10)};
  out.append(frac, 4);
}

// Nanoseconds as milliseconds with three decimals ("12.345"), truncated.
inline void append_ms3(std::string& out, uint64_t ns) { append_thousandths(out, ns / 1000); }

}  // namespace sluice::core
