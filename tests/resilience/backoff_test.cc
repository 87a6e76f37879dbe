#include "sluice/resilience/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::resilience {
namespace {

TEST(Backoff, CeilingDoublesUpToTheCap) {
  EXPECT_EQ(backoff_ceiling_ms(0, 100, 2000), 100u);
  EXPECT_EQ(backoff_ceiling_ms(1, 100, 2000), 200u);
  EXPECT_EQ(backoff_ceiling_ms(3, 100, 2000), 800u);
  EXPECT_EQ(backoff_ceiling_ms(5, 100, 2000), 2000u);
  EXPECT_EQ(backoff_ceiling_ms(1000, 100, 2000), 2000u);  // no overflow on many retries
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeiling) {
  Jitter j(42);
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint64_t d = full_jitter_ms(2, 100, 2000, j);
    EXPECT_LE(d, 400u);
    seen.insert(d);
  }
  // Spread over the whole range, not a fixed delay.
  EXPECT_GT(seen.size(), 300u);
  EXPECT_TRUE(seen.count(0) || *seen.begin() < 10);
  EXPECT_GT(*seen.rbegin(), 390u);
}

TEST(Backoff, SameSeedSameSequence) {
  Jitter a(7), b(7), c(8);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
}

}  // namespace
}  // namespace sluice::resilience
