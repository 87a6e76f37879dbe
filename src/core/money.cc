#include "sluice/core/money.h"

#include <limits>

namespace sluice::money {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Parsed parse_nano(std::string_view text) {
  // JSON grammar: -? int frac? exp?. Digits are collected as one significand with the
  // decimal exponent of its last digit, then scaled to 10⁻⁹ units in integers.
  size_t i = 0;
  const bool negative = i < text.size() && text[i] == '-';
  if (negative) ++i;
  std::string digits;  // significand without leading zeros
  int64_t exponent = 0;
  bool any = false;
  for (; i < text.size() && is_digit(text[i]); ++i, any = true)
    if (!digits.empty() || text[i] != '0') digits += text[i];
  if (i < text.size() && text[i] == '.') {
    ++i;
    bool fraction = false;
    for (; i < text.size() && is_digit(text[i]); ++i, fraction = true) {
      if (!digits.empty() || text[i] != '0') digits += text[i];
      --exponent;
    }
    if (!fraction) return {0, ParseError::malformed};
  }
  if (!any) return {0, ParseError::malformed};
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool minus = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) minus = text[i++] == '-';
    int64_t e = 0;
    bool exp_digits = false;
    for (; i < text.size() && is_digit(text[i]); ++i, exp_digits = true)
      if (e < 1'000'000) e = e * 10 + (text[i] - '0');  // beyond this, too large or too small
    if (!exp_digits) return {0, ParseError::malformed};
    exponent += minus ? -e : e;
  }
  if (i != text.size()) return {0, ParseError::malformed};

  // Trailing zeros carry no value: drop them so "0.1500000000" is as good as "0.15".
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  if (digits.empty()) return {0, ParseError::none};  // any spelling of zero, "-0" too
  if (negative) return {0, ParseError::negative};
  const int64_t scale = exponent + kNanoDigits;  // power of ten on the significand
  if (scale < 0) return {0, ParseError::too_precise};
  if (static_cast<int64_t>(digits.size()) + scale > 19) return {0, ParseError::too_large};
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t value = 0;  // at most 19 digits: fits in uint64
  for (char c : digits) value = value * 10 + static_cast<uint64_t>(c - '0');
  for (int64_t k = 0; k < scale; ++k) value *= 10;
  if (value > kMax) return {0, ParseError::too_large};
  return {static_cast<int64_t>(value), ParseError::none};
}

void append_nano(std::string& out, int64_t nano) {
  // Unsigned magnitude: negating INT64_MIN would overflow.
  uint64_t magnitude = nano < 0 ? 0 - static_cast<uint64_t>(nano) : static_cast<uint64_t>(nano);
  if (nano < 0) out += '-';
  const auto unit = static_cast<uint64_t>(kNanoPerUnit);
  out += std::to_string(magnitude / unit);
  uint64_t fraction = magnitude % unit;
  if (fraction == 0) return;
  char places[kNanoDigits];
  for (int k = kNanoDigits - 1; k >= 0; --k) {
    places[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int end = kNanoDigits;
  while (places[end - 1] == '0') --end;
  out += '.';
  out.append(places, static_cast<size_t>(end));
}

std::string format_nano(int64_t nano) {
  std::string out;
  append_nano(out, nano);
  return out;
}

}  // namespace sluice::money
