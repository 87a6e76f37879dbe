// Property: summing the integer costs of random requests gives exactly the decimal sum a
// schoolbook decimal computation gives from the prices' text (no integers wider than the
// digits themselves, no money code shared with what it checks).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "sluice/core/money.h"
#include "sluice/ledger/price.h"

namespace sluice::ledger {
namespace {

// Unsigned decimal integers as digit strings, most significant first, no leading zeros
// ("0" for zero).
std::string trim(std::string d) {
  size_t first = d.find_first_not_of('0');
  return first == std::string::npos ? "0" : d.substr(first);
}

std::string add(const std::string& a, const std::string& b) {
  std::string out;
  int carry = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int sum = carry;
    if (i < a.size()) sum += a[a.size() - 1 - i] - '0';
    if (i < b.size()) sum += b[b.size() - 1 - i] - '0';
    out.insert(out.begin(), static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  return trim(out);
}

std::string multiply(const std::string& a, uint32_t m) {
  std::string out;
  uint64_t carry = 0;
  for (size_t i = a.size(); i-- > 0;) {
    uint64_t product = static_cast<uint64_t>(a[i] - '0') * m + carry;
    out.insert(out.begin(), static_cast<char>('0' + product % 10));
    carry = product / 10;
  }
  for (; carry; carry /= 10) out.insert(out.begin(), static_cast<char>('0' + carry % 10));
  return trim(out);
}

// "2.5" (USD per million tokens) as a count of 10⁻⁹ USD per million tokens.
std::string price_units(const std::string& text) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  fraction.resize(9, '0');
  return trim(whole + fraction);
}

// A count of 10⁻¹⁵ USD (price units × tokens, over a million) rounded half up to 10⁻⁹.
std::string round_to_nano(const std::string& femto) {
  if (femto.size() <= 6) return std::stoi(femto) >= 500'000 ? "1" : "0";
  std::string nano = femto.substr(0, femto.size() - 6);
  return std::stoi(femto.substr(femto.size() - 6)) >= 500'000 ? add(nano, "1") : nano;
}

// A count of 10⁻⁹ USD as the shortest decimal.
std::string as_decimal(std::string nano) {
  if (nano.size() < 10) nano.insert(0, 10 - nano.size(), '0');
  std::string whole = nano.substr(0, nano.size() - 9);
  std::string fraction = nano.substr(nano.size() - 9);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? whole : whole + "." + fraction;
}

// A price as an operator writes one: 0 to 99 dollars with 0 to 9 decimal places.
std::string random_price(std::mt19937_64& rng) {
  std::string text = std::to_string(rng() % (rng() % 2 ? 100 : 2));
  const int places = static_cast<int>(rng() % 10);
  if (places > 0) {
    text += '.';
    for (int i = 0; i < places; ++i) text += static_cast<char>('0' + rng() % 10);
  }
  return text;
}

int64_t nano(const std::string& text) {
  money::Parsed p = money::parse_nano(text);
  EXPECT_EQ(p.error, money::ParseError::none) << text;
  return p.nano;
}

TEST(CostSum, IntegerCostsSumToTheExactDecimal) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::string in = random_price(rng), cached = random_price(rng), out = random_price(rng);
    config::Price price;
    price.input_nusd_per_mtok = nano(in);
    price.cached_input_nusd_per_mtok = nano(cached);
    price.output_nusd_per_mtok = nano(out);
    price.set = true;

    int64_t sum = 0;
    std::string expected = "0";
    for (int request = 0; request < 500; ++request) {
      // Mostly chat-sized requests, now and then a long context.
      const auto input = static_cast<uint32_t>(rng() % (rng() % 8 ? 5'000 : 2'000'000));
      const auto cached_tokens = static_cast<uint32_t>(input ? rng() % (input + 1) : 0);
      const auto output = static_cast<uint32_t>(rng() % 20'000);
      sum += cost_nusd(price, TokenCounts{input, output, cached_tokens, 0});

      std::string femto = add(add(multiply(price_units(in), input - cached_tokens),
                                  multiply(price_units(cached), cached_tokens)),
                              multiply(price_units(out), output));
      expected = add(expected, round_to_nano(femto));
    }
    EXPECT_EQ(money::format_nano(sum), as_decimal(expected))
        << "prices " << in << " / " << cached << " / " << out;
  }
}

TEST(CostSum, AHundredSmallRequestsAddUpToTheDecimalTheirPricesSay) {
  config::Price price;
  price.input_nusd_per_mtok = price.cached_input_nusd_per_mtok = nano("0.15");
  price.output_nusd_per_mtok = nano("0.60");
  price.set = true;
  int64_t sum = 0;
  for (int i = 0; i < 100; ++i) sum += cost_nusd(price, TokenCounts{14, 37, 0, 0});
  EXPECT_EQ(money::format_nano(sum), "0.00243");
}

}  // namespace
}  // namespace sluice::ledger
