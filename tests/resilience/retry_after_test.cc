#include "sluice/resilience/retry_after.h"

#include <gtest/gtest.h>

namespace sluice::resilience {
namespace {

// 1994-11-06 08:49:37 UTC, the RFC 9110 example date.
constexpr int64_t kExample = 784111777;

TEST(RetryAfter, DeltaSecondsAreMilliseconds) {
  EXPECT_EQ(parse_retry_after("120", 0), 120000u);
  EXPECT_EQ(parse_retry_after("0", 0), 0u);
  EXPECT_EQ(parse_retry_after("  7 ", 0), 7000u);
}

TEST(RetryAfter, FractionalSecondsRoundUp) {
  EXPECT_EQ(parse_retry_after("1.5", 0), 1500u);
  EXPECT_EQ(parse_retry_after("0.0001", 0), 1u);
}

TEST(RetryAfter, ImfFixdateIsRelativeToNow) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kExample);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", (kExample - 30) * 1000), 30000u);
}

TEST(RetryAfter, ObsoleteDateFormsAreAccepted) {
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kExample);
}

TEST(RetryAfter, DateInThePastMeansNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", (kExample + 100) * 1000), 0u);
}

TEST(RetryAfter, LeapDayAndYearEnd) {
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800);
  EXPECT_EQ(parse_http_date("Fri, 31 Dec 1999 23:59:59 GMT"), 946684799);
  EXPECT_FALSE(parse_http_date("Thu, 29 Feb 2023 00:00:00 GMT"));
}

TEST(RetryAfter, MalformedValuesAreNoHint) {
  for (const char* bad :
       {"", "soon", "-5", "1.", ".5", "5s", "1e3", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun Nov  6 08:49:37",
        "Sun,06 Nov 1994 08:49:37 GMT"})
    EXPECT_FALSE(parse_retry_after(bad, 0)) << bad;
}

TEST(RetryAfter, HugeValuesSaturate) {
  auto v = parse_retry_after("99999999999999999999999", 0);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, 365ull * 24 * 3600 * 1000);
}

TEST(RetryAfter, MillisecondHeaderWinsOverSeconds) {
  EXPECT_EQ(wait_hint_ms("10", "250", 0), 250u);
  EXPECT_EQ(wait_hint_ms("10", "", 0), 10000u);
  EXPECT_EQ(wait_hint_ms("10", "junk", 0), 10000u);
  EXPECT_FALSE(wait_hint_ms("", "", 0));
  EXPECT_EQ(parse_retry_after_ms("12.5"), 13u);
}

}  // namespace
}  // namespace sluice::resilience
