#pragma once
// Money as integers: nano-USD (10⁻⁹ USD) everywhere sluice counts dollars, parsed from
// decimal text and printed back as decimal text, so no amount ever passes through a
// double. A sum of exact prices is then an exact decimal (docs/LEDGER.md "Exact money").

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::money {

inline constexpr int64_t kNanoPerUnit = 1'000'000'000;  // nano-USD in one USD
inline constexpr int kNanoDigits = 9;                   // decimal places a nano amount holds

enum class ParseError : uint8_t {
  none,
  malformed,    // not a JSON number
  negative,     // below zero (amounts and prices never are)
  too_precise,  // a non-zero digit beyond the 9th decimal place
  too_large,    // above INT64_MAX nano-units
};

struct Parsed {
  int64_t nano = 0;  // the value × 10⁹, exact
  ParseError error = ParseError::none;
};

// A JSON number's text ("0.15", "12", "2.5e-3", "1E2") as an exact count of 10⁻⁹ units.
// Trailing zeros past the 9th place are fine ("0.1500000000"); "-0" is 0.
Parsed parse_nano(std::string_view text);

// `nano` × 10⁻⁹ as the shortest exact decimal: 2430000 → "0.00243", 12000000000 → "12",
// -500000000 → "-0.5". Valid JSON and Prometheus number text.
std::string format_nano(int64_t nano);
void append_nano(std::string& out, int64_t nano);

}  // namespace sluice::money
