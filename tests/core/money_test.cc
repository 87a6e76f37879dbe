// Exact money: decimal text to nano-units and back, with no double in between.
#include "sluice/core/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace sluice::money {
namespace {

int64_t nano(std::string_view text) {
  Parsed p = parse_nano(text);
  EXPECT_EQ(p.error, ParseError::none) << text;
  return p.nano;
}

ParseError error_of(std::string_view text) { return parse_nano(text).error; }

TEST(Money, ParsesDecimalsExactly) {
  EXPECT_EQ(nano("0.15"), 150'000'000);
  EXPECT_EQ(nano("0.60"), 600'000'000);
  EXPECT_EQ(nano("0.075"), 75'000'000);
  EXPECT_EQ(nano("12"), 12'000'000'000);
  EXPECT_EQ(nano("1000.5"), 1'000'500'000'000);
  EXPECT_EQ(nano("0.000000001"), 1);
}

TEST(Money, ParsesEveryJsonSpellingOfANumber) {
  EXPECT_EQ(nano("2.5e-3"), 2'500'000);
  EXPECT_EQ(nano("1E2"), 100'000'000'000);
  EXPECT_EQ(nano("15e-1"), 1'500'000'000);
  EXPECT_EQ(nano("1e+0"), 1'000'000'000);
  EXPECT_EQ(nano("100e-11"), 1);
}

TEST(Money, ZeroInAnySpellingIsZero) {
  for (const char* zero : {"0", "0.0", "-0", "0e5", "0.000000000000000"})
    EXPECT_EQ(nano(zero), 0) << zero;
}

TEST(Money, TrailingZerosPastTheNinthPlaceAreFine) {
  EXPECT_EQ(nano("0.1500000000000"), 150'000'000);
}

TEST(Money, RefusesMorePrecisionThanANanoUnit) {
  EXPECT_EQ(error_of("0.0000000001"), ParseError::too_precise);
  EXPECT_EQ(error_of("0.1234567891"), ParseError::too_precise);
  EXPECT_EQ(error_of("1e-10"), ParseError::too_precise);
  EXPECT_EQ(error_of("1e-99999999999"), ParseError::too_precise);
}

TEST(Money, RefusesNegativeAmounts) {
  EXPECT_EQ(error_of("-0.5"), ParseError::negative);
  EXPECT_EQ(error_of("-1e-20"), ParseError::negative);
}

TEST(Money, RefusesWhatDoesNotFitInt64) {
  EXPECT_EQ(nano("9223372036.854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(error_of("9223372036.854775808"), ParseError::too_large);
  EXPECT_EQ(error_of("1e10"), ParseError::too_large);
  EXPECT_EQ(error_of("1e99999999999"), ParseError::too_large);
  EXPECT_EQ(error_of("123456789012345678901234567890"), ParseError::too_large);
}

TEST(Money, RefusesTextThatIsNotANumber) {
  for (const char* bad : {"", "-", ".5", "1.", "1e", "1e+", "abc", "1.5x", "0x10", "+1"})
    EXPECT_EQ(error_of(bad), ParseError::malformed) << bad;
}

TEST(Money, FormatsTheShortestExactDecimal) {
  EXPECT_EQ(format_nano(2'430'000), "0.00243");
  EXPECT_EQ(format_nano(0), "0");
  EXPECT_EQ(format_nano(1), "0.000000001");
  EXPECT_EQ(format_nano(12'000'000'000), "12");
  EXPECT_EQ(format_nano(12'070'691'999), "12.070691999");
  EXPECT_EQ(format_nano(-500'000'000), "-0.5");
}

TEST(Money, FormatsTheExtremes) {
  EXPECT_EQ(format_nano(std::numeric_limits<int64_t>::max()), "9223372036.854775807");
  EXPECT_EQ(format_nano(std::numeric_limits<int64_t>::min()), "-9223372036.854775808");
}

TEST(Money, FormattedTextParsesBackToTheSameAmount) {
  for (int64_t n : {int64_t{1}, int64_t{10}, int64_t{999'999'999}, int64_t{1'000'000'001},
                    int64_t{123'456'789'012}, std::numeric_limits<int64_t>::max()})
    EXPECT_EQ(nano(format_nano(n)), n);
}

}  // namespace
}  // namespace sluice::money
