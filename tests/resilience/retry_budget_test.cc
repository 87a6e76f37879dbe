#include "sluice/resilience/retry_budget.h"

#include <gtest/gtest.h>

namespace sluice::resilience {
namespace {

TEST(RetryBudget, RetriesAreAShareOfRequests) {
  RetryBudget b({0.2, 0, 10000});
  for (int i = 0; i < 50; ++i) b.on_request(1000);
  int granted = 0;
  for (int i = 0; i < 100; ++i) granted += b.try_retry(1000);
  EXPECT_EQ(granted, 10);
}

TEST(RetryBudget, FloorAllowsRetriesOnAQuietGateway) {
  RetryBudget b({0.2, 3, 10000});
  b.on_request(0);
  int granted = 0;
  for (int i = 0; i < 10; ++i) granted += b.try_retry(0);
  EXPECT_EQ(granted, 3);
}

TEST(RetryBudget, WindowSlides) {
  RetryBudget b({0.5, 0, 1000});
  for (int i = 0; i < 10; ++i) b.on_request(0);
  int granted = 0;
  for (int i = 0; i < 10; ++i) granted += b.try_retry(0);
  EXPECT_EQ(granted, 5);
  // A full window later the old requests and retries have slid out.
  EXPECT_EQ(b.requests(1500), 0u);
  EXPECT_EQ(b.retries(1500), 0u);
  EXPECT_FALSE(b.try_retry(1500));
  for (int i = 0; i < 4; ++i) b.on_request(1500);
  EXPECT_TRUE(b.try_retry(1500));
  EXPECT_TRUE(b.try_retry(1500));
  EXPECT_FALSE(b.try_retry(1500));
}

TEST(RetryBudget, NeverExceedsRatioUnderSustainedFailure) {
  RetryBudget b({0.2, 2, 10000});
  uint64_t requests = 0, retries = 0;
  for (uint64_t t = 0; t < 100000; t += 7) {  // a failing provider: every request wants 3 retries
    b.on_request(t);
    ++requests;
    for (int r = 0; r < 3; ++r) retries += b.try_retry(t);
    // Over any window: retries <= ratio * requests + floor.
    EXPECT_LE(b.retries(t), static_cast<uint64_t>(0.2 * static_cast<double>(b.requests(t))) + 2);
  }
  EXPECT_LT(retries, requests / 4);
}

}  // namespace
}  // namespace sluice::resilience
