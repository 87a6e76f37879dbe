#pragma once
// Writing JSON string literals: the one escaper for every body, log line and span sluice
// writes itself (error envelopes, the model list, the model name spliced into a request,
// access log lines, telemetry).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sluice::core {

// Appends `s` as a quoted JSON string. Quote, backslash and control characters are
// escaped; bytes that are not well-formed UTF-8 (stray continuation bytes, overlong
// forms, surrogates, truncated sequences) become U+FFFD, so the result is valid JSON
// whatever `s` holds, e.g. a model name echoed from a client.
void append_json_string(std::string& out, std::string_view s);

// The same without the quotes: for writers that open and close the string themselves.
void append_json_chars(std::string& out, std::string_view s);

// Reading: the length of the run of bytes at `p` (before `end`) that a JSON string holds
// as they are, up to the first quote, backslash or control character. Eight bytes at a
// time: the readers' string scans (request inspection, the translators' parse, usage
// objects) stop only where a byte needs a look.
inline size_t plain_string_run(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto zero_in = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const char* q = p;
  while (end - q >= 8) {
    uint64_t w;
    std::memcpy(&w, q, sizeof w);
    // The high bit of each byte below 0x20, equal to '"' or to '\\'. A borrow can mark a
    // byte above a marked one, never below it: the lowest mark is the first such byte.
    const uint64_t marks = ((w - kOnes * 0x20) & ~w & kHigh) | zero_in(w ^ (kOnes * '"')) |
                           zero_in(w ^ (kOnes * '\\'));
    if (marks != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return static_cast<size_t>(q - p) + (std::countr_zero(marks) >> 3);
      }
      break;
    }
    q += sizeof w;
  }
  while (q != end && static_cast<unsigned char>(*q) >= 0x20 && *q != '"' && *q != '\\') ++q;
  return static_cast<size_t>(q - p);
}

}  // namespace sluice::core
