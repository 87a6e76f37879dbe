#include "sluice/limit/rate_headers.h"

#include <gtest/gtest.h>

namespace sluice::limit {
namespace {
constexpr uint64_t kMs = 1'000'000;

TEST(RateHeaders, OpenAiDurations) {
  EXPECT_EQ(parse_duration_ns("6m0s"), 360'000 * kMs);
  EXPECT_EQ(parse_duration_ns("1s"), 1000 * kMs);
  EXPECT_EQ(parse_duration_ns("20ms"), 20 * kMs);
  EXPECT_EQ(parse_duration_ns("17.455s"), 17'455 * kMs);
  EXPECT_EQ(parse_duration_ns("1h2m3.5s"), (3'723'500) * kMs);
  EXPECT_EQ(parse_duration_ns(" 0s "), 0u);
  EXPECT_EQ(parse_duration_ns("1.5"), 1500 * kMs);  // a bare number is seconds
  EXPECT_EQ(parse_duration_ns("250us"), 250'000u);
}

TEST(RateHeaders, DurationsPrintAsOpenAiWritesThem) {
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(1), "1ms");  // rounded up to the millisecond
  EXPECT_EQ(format_duration(999 * kMs), "999ms");
  EXPECT_EQ(format_duration(1000 * kMs), "1s");
  EXPECT_EQ(format_duration(1500 * kMs), "1.5s");
  EXPECT_EQ(format_duration(17'455 * kMs), "17.455s");
  EXPECT_EQ(format_duration(10'050 * kMs), "10.05s");
  EXPECT_EQ(format_duration(59'999 * kMs), "59.999s");
  EXPECT_EQ(format_duration(60'000 * kMs), "1m0s");
  EXPECT_EQ(format_duration(360'000 * kMs), "6m0s");
  EXPECT_EQ(format_duration(3'723'500 * kMs), "62m3s");
}

TEST(RateHeaders, LongDurationsPrintedBackParseAgain) {
  // Hundreds of millions of minutes: what format_duration writes for a huge reset.
  const uint64_t ns = 1'200'000'000ull * 3'600'000'000'000ull / 1000;
  auto again = parse_duration_ns(format_duration(ns));
  ASSERT_TRUE(again.has_value()) << format_duration(ns);
  EXPECT_LE(*again, ns);
  EXPECT_GE(*again + 1'000'000'000ull, ns);
}

TEST(RateHeaders, MalformedDurationsAreAbsent) {
  for (const char* bad : {"", "s", "1x", "1m5", "-1s", "1..2s", "ms", "1s2", "abc", ".s"})
    EXPECT_FALSE(parse_duration_ns(bad).has_value()) << bad;
  EXPECT_FALSE(parse_duration_ns("99999999999999999999999h").has_value());
}

TEST(RateHeaders, AnthropicResetIsRfc3339) {
  EXPECT_EQ(parse_rfc3339_ms("2025-01-31T12:00:05Z"), 1738324805000);
  EXPECT_EQ(parse_rfc3339_ms("2025-01-31T12:00:05.250Z"), 1738324805250);
  EXPECT_EQ(parse_rfc3339_ms("2025-01-31T13:00:05+01:00"), 1738324805000);
  for (const char* bad :
       {"", "2025-01-31", "2025-02-30T00:00:00Z", "2025-01-31T12:00:05", "2025-01-31T25:00:00Z",
        "2025-01-31T12:00:05Zjunk", "2025-01-31T12:00:05.Z"})
    EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
}

TEST(RateHeaders, Counts) {
  EXPECT_EQ(parse_count("4999"), 4999u);
  EXPECT_FALSE(parse_count("-1").has_value());
  EXPECT_FALSE(parse_count("12a").has_value());
  EXPECT_FALSE(parse_count("").has_value());
}

TEST(RateHeaders, FormatsResetLikeOpenAi) {
  EXPECT_EQ(format_duration(250 * kMs), "250ms");
  EXPECT_EQ(format_duration(1000 * kMs), "1s");
  EXPECT_EQ(format_duration(17'455 * kMs), "17.455s");
  EXPECT_EQ(format_duration(360'000 * kMs), "6m0s");
  EXPECT_EQ(format_duration(0), "0ms");
  EXPECT_EQ(format_duration(1500 * kMs), "1.5s");
}

}  // namespace
}  // namespace sluice::limit
