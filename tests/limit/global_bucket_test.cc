#include "sluice/limit/global_bucket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace sluice::limit {
namespace {
constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kT0 = 1000 * kSec;  // any start point of the mono clock

TEST(GlobalBucket, LeasesUpToTheBurstThenRefuses) {
  GlobalBucket b;
  b.configure(60, 10);  // 1/s, burst 10
  EXPECT_TRUE(b.take(6, 0, kT0));
  EXPECT_TRUE(b.take(4, 0, kT0));
  EXPECT_FALSE(b.take(1, 0, kT0));
  EXPECT_EQ(b.available(kT0), 0);
}

TEST(GlobalBucket, ReturnedLeaseUnitsCanBeLeasedAgain) {
  GlobalBucket b;
  b.configure(60, 10);
  ASSERT_TRUE(b.take(10, 0, kT0));
  b.spent(3, kT0);
  b.give_back(7);
  EXPECT_EQ(b.available(kT0), 7);
  EXPECT_TRUE(b.take(7, 0, kT0));
  EXPECT_FALSE(b.take(1, 0, kT0));
}

TEST(GlobalBucket, SpentUnitsComeBackOnlyByRefill) {
  GlobalBucket b;
  b.configure(60, 10);
  ASSERT_TRUE(b.take(10, 0, kT0));
  b.spent(10, kT0);
  EXPECT_EQ(b.available(kT0), 0);
  EXPECT_EQ(b.available(kT0 + 3 * kSec), 3);
  EXPECT_EQ(b.available(kT0 + 100 * kSec), 10);  // never above the burst
}

TEST(GlobalBucket, HeldLeaseKeepsTheBucketFromRefillingPastTheBurst) {
  // Units out on a lease count as in the bucket: a quiet minute does not add a burst
  // on top of them.
  GlobalBucket b;
  b.configure(60, 10);
  ASSERT_TRUE(b.take(10, 0, kT0));
  EXPECT_EQ(b.available(kT0 + 600 * kSec), 0);
  b.spent(10, kT0 + 600 * kSec);
  EXPECT_EQ(b.available(kT0 + 600 * kSec), 0);
}

TEST(GlobalBucket, ReserveIsLeftForOthers) {
  GlobalBucket b;
  b.configure(60, 10);
  EXPECT_FALSE(b.take(8, 3, kT0));
  EXPECT_TRUE(b.take(7, 3, kT0));
  EXPECT_TRUE(b.take(3, 0, kT0));
}

TEST(GlobalBucket, WaitIsTheRefillTimeOfTheMissingUnits) {
  GlobalBucket b;
  b.configure(60, 10);
  ASSERT_TRUE(b.take(10, 0, kT0));
  b.spent(10, kT0);
  EXPECT_EQ(b.wait_ns(2, 0, kT0), 2 * kSec);
  EXPECT_EQ(b.wait_ns(1, 0, kT0 + kSec), 0u);
  EXPECT_EQ(b.full_in_ns(kT0), 10 * kSec);
}

TEST(GlobalBucket, RefundAndDebtMoveTheLevel) {
  GlobalBucket b;
  b.configure(600, 100);  // 10/s
  ASSERT_TRUE(b.take(50, 0, kT0));
  b.spent(50, kT0);
  b.refund(20, kT0);
  EXPECT_EQ(b.available(kT0), 70);
  b.debt(30, kT0);
  EXPECT_EQ(b.available(kT0), 40);
  b.refund(1000, kT0);  // never above the burst
  EXPECT_EQ(b.available(kT0), 100);
}

TEST(GlobalBucket, ProviderFeedbackLowersTheLevelAndPauses) {
  GlobalBucket b;
  b.configure(600, 100);
  b.clamp_level(30, kT0);
  EXPECT_EQ(b.available(kT0), 30);
  b.clamp_level(80, kT0);  // never raised
  EXPECT_EQ(b.available(kT0), 30);
  b.pause_until(kT0 + 5 * kSec);
  EXPECT_LE(b.available(kT0 + 5 * kSec), 0);
  EXPECT_EQ(b.available(kT0 + 6 * kSec), 10);
  b.adopt_provider_limit(60);  // the provider's real rate: 1/s
  EXPECT_EQ(b.per_minute(), 60u);
  b.configure(600, 100);  // a reload drops it again
  EXPECT_EQ(b.per_minute(), 600u);
}

TEST(GlobalBucket, ConcurrentTakersNeverLeaseMoreThanTheLevel) {
  GlobalBucket b;
  b.configure(60, 1000);
  std::atomic<int64_t> granted{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 2000; ++i)
        if (b.take(1 + i % 3, 0, kT0)) granted += 1 + i % 3;
    });
  for (auto& t : ts) t.join();
  EXPECT_LE(granted.load(), 1000);
  EXPECT_GE(granted.load(), 998);  // only a final unit or two can be left unusable
  EXPECT_EQ(b.outstanding(), granted.load());
}

TEST(GlobalPool, SlotsNeverExceedTheCapacity) {
  GlobalPool p;
  p.configure(2);
  EXPECT_TRUE(p.take(1));
  EXPECT_TRUE(p.take(1));
  EXPECT_FALSE(p.take(1));
  p.give_back(1);
  EXPECT_TRUE(p.take(1));
  EXPECT_EQ(p.leased(), 2);
}

TEST(GlobalPool, UnderAFleetCapTakesStopAtTheLeaseAndCountTheShortfall) {
  GlobalPool p;
  p.configure(10);
  ASSERT_TRUE(p.take(1));
  p.fleet_enable();  // the cap starts at what is held: nothing more until a grant
  EXPECT_EQ(p.fleet_cap(), 1);
  EXPECT_FALSE(p.take(1));
  EXPECT_EQ(p.fleet_short(), 1u);
  p.fleet_set_cap(3);  // the fleet granted three slots
  EXPECT_TRUE(p.take(1));
  EXPECT_TRUE(p.take(1));
  EXPECT_FALSE(p.take(1));
  EXPECT_EQ(p.leased(), 3);
  EXPECT_EQ(p.fleet_short(), 2u);
  p.fleet_set_cap(20);  // never past the limit itself
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(p.take(1));
  EXPECT_FALSE(p.take(1));
}

TEST(GlobalBucket, APauseIsReadableUntilItEnds) {
  GlobalBucket b;
  b.configure(60, 10);
  EXPECT_EQ(b.paused_until_ns(), 0u);
  b.pause_until(5'000'000'000);
  b.pause_until(3'000'000'000);  // an earlier end never shortens it
  EXPECT_EQ(b.paused_until_ns(), 5'000'000'000u);
}

TEST(GlobalBucket, UnderAFleetTheLowestRemainingCountWaitsForTheFleetThread) {
  GlobalBucket b;
  b.configure(600, 100);
  b.clamp_level(30, kT0);  // no fleet: nothing to tell
  EXPECT_EQ(b.fleet_clamp(), INT64_MAX);
  b.fleet_enable();
  b.clamp_level(40, kT0);
  b.clamp_level(20, kT0);
  b.clamp_level(50, kT0);  // the lowest since the last take is what the fleet hears
  EXPECT_EQ(b.take_fleet_clamp(), 20);
  EXPECT_EQ(b.take_fleet_clamp(), INT64_MAX);  // taken once
}

TEST(GlobalBucket, TheProviderLimitIsKnownOnlyWhileBelowTheConfiguredOne) {
  GlobalBucket b;
  b.configure(600, 100);
  EXPECT_EQ(b.provider_per_minute(), 0u);
  b.adopt_provider_limit(900);  // above the configured one: not adopted
  EXPECT_EQ(b.provider_per_minute(), 0u);
  b.adopt_provider_limit(120);
  EXPECT_EQ(b.provider_per_minute(), 120u);
  b.configure(600, 100);
  EXPECT_EQ(b.provider_per_minute(), 0u);
}

}  // namespace
}  // namespace sluice::limit
