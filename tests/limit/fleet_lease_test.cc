// One process's lease of a fleet-wide bucket (fleet_lease.h) and the fleet cap it puts
// on the process's GlobalBucket (docs/LIMITS.md "Fleet").
#include "sluice/limit/fleet_lease.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sluice::limit {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kLease = 1000 * kMs;

GlobalBucket& fleet_bucket(GlobalBucket& b, uint64_t per_minute = 600, uint64_t burst = 100) {
  b.configure(per_minute, burst);
  b.fleet_enable();
  return b;
}

TEST(FleetCap, NothingIsTakenBeforeTheFleetGrants) {
  GlobalBucket b;
  fleet_bucket(b);
  EXPECT_FALSE(b.take(1, 0, 1));
  EXPECT_EQ(b.fleet_counters().short_of, 1);
  EXPECT_EQ(b.available(1), 0);
}

TEST(FleetCap, TakesStopAtTheGrantAndGiveBacksFreeIt) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 5, 1, kLease);
  EXPECT_TRUE(b.take(3, 0, 2));
  EXPECT_FALSE(b.take(3, 0, 2));  // 6 > 5
  b.give_back(2);                 // a shard's unused lease
  EXPECT_TRUE(b.take(3, 0, 2));
  EXPECT_EQ(b.fleet_counters().taken, 4);
}

TEST(FleetLease, ReportsWhatWasAdmittedExactlyOnce) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 10, 1, kLease);
  ASSERT_TRUE(b.take(4, 0, 2));
  b.spent(4, 2);
  FleetAsk a = lease.plan(b, 600 * kMs, kLease);
  EXPECT_EQ(a.spent, 4);
  lease.granted(b, 10, 600 * kMs, kLease);
  // After the report the cap covers the 4 admitted plus a fresh lease of 10.
  EXPECT_EQ(b.fleet_counters().cap, 14);
  EXPECT_EQ(lease.plan(b, 700 * kMs, kLease).spent, 0);
}

TEST(FleetLease, RefundsAreReported) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 10, 1, kLease);
  ASSERT_TRUE(b.take(8, 0, 2));
  b.spent(8, 2);
  b.refund(5, 3);
  FleetAsk a = lease.plan(b, 600 * kMs, kLease);
  EXPECT_EQ(a.spent, 8);
  EXPECT_EQ(a.refund, 5);
}

TEST(FleetLease, AShrinkingAskLowersTheCapFirstAndKeepsWhatShardsHold) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 50, 1, kLease);
  ASSERT_TRUE(b.take(3, 0, 2));  // held by a shard, not yet admitted
  // Idle since: the next ask returns most of the lease but keeps the 3 held.
  FleetAsk a = lease.plan(b, 900 * kMs, kLease);
  EXPECT_GE(a.want, 3);
  EXPECT_LT(a.want, 50);
  // Before the answer comes, the shards cannot take past what the ask keeps.
  GlobalBucket::FleetCounters c = b.fleet_counters();
  EXPECT_EQ(c.cap, c.spent + a.want);
  EXPECT_FALSE(b.take(a.want - 3 + 1, 0, 3));
}

TEST(FleetLease, RunningShortAsksForMore) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 2, 1, kLease);
  EXPECT_FALSE(lease.due(b, 2 * kMs));
  ASSERT_TRUE(b.take(2, 0, 2 * kMs));
  EXPECT_FALSE(b.take(1, 0, 3 * kMs));  // short: the thread must hear of it
  EXPECT_TRUE(lease.due(b, 4 * kMs));
  EXPECT_GE(lease.plan(b, 4 * kMs, kLease).want, 4);
}

TEST(FleetLease, AQuietLeaseKeepsATenthOfASecondOfTheRateWhileTheFleetHasUnits) {
  GlobalBucket b;
  fleet_bucket(b, 60'000, 60'000);
  FleetLease lease;
  lease.plan(b, 1, kLease);
  lease.granted(b, 100, 1, kLease);
  EXPECT_FALSE(b.fleet_dry());
  // Idle for seconds: the rate seen falls to nothing, the ask stays at 100 units.
  EXPECT_EQ(lease.plan(b, 5000 * kMs, kLease).want, 100);
  // A grant short of the ask: the fleet is contended, demand alone decides.
  lease.granted(b, 40, 5000 * kMs, kLease);
  EXPECT_TRUE(b.fleet_dry());
  FleetAsk small = lease.plan(b, 5100 * kMs, kLease);
  EXPECT_LT(small.want, 100);
  // A full grant of that small ask within a lease's life does not end the contention.
  lease.granted(b, small.want, 5100 * kMs, kLease);
  EXPECT_TRUE(b.fleet_dry());
  // A full grant a lease after the last short one does.
  lease.plan(b, 6100 * kMs, kLease);
  lease.granted(b, 100, 6100 * kMs, kLease);
  EXPECT_FALSE(b.fleet_dry());
}

TEST(FleetLease, RenewsAtHalfItsLifeAndIsValidForLessThanTheGranterKeepsIt) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 0, kLease);
  lease.granted(b, 5, 100 * kMs, kLease);
  EXPECT_FALSE(lease.due(b, 500 * kMs));
  EXPECT_TRUE(lease.due(b, 600 * kMs));
  EXPECT_LT(lease.valid_until_ns(), 100 * kMs + kLease);
}

TEST(FleetLease, AGranterWithNothingIsNotAskedAgainBeforeARefill) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 0, kLease);
  lease.granted(b, 0, 10 * kMs, kLease, 100 * kMs);
  EXPECT_FALSE(b.take(1, 0, 20 * kMs));
  EXPECT_FALSE(lease.due(b, 50 * kMs));
  EXPECT_TRUE(lease.due(b, 111 * kMs));
}

TEST(FleetLease, ALeaseInHandIsRenewedInTimeEvenWhileTheGranterIsShort) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 0, kLease);
  lease.granted(b, 1, 0, kLease, 60'000 * kMs);  // short, and told to wait a minute
  EXPECT_FALSE(lease.due(b, 400 * kMs));
  EXPECT_TRUE(lease.due(b, 500 * kMs));  // but its lease must not lapse
}

TEST(FleetLease, AStaleLeaseIsGivenUp) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 0, kLease);
  lease.granted(b, 5, 0, kLease);
  EXPECT_FALSE(lease.expire_if_stale(b, 800 * kMs));
  EXPECT_TRUE(lease.expire_if_stale(b, 900 * kMs));
  EXPECT_FALSE(b.take(1, 0, 901 * kMs));
}

TEST(FleetLease, ResetFreezesTheCapAtWhatIsTaken) {
  GlobalBucket b;
  fleet_bucket(b);
  FleetLease lease;
  lease.plan(b, 0, kLease);
  lease.granted(b, 10, 0, kLease);
  ASSERT_TRUE(b.take(2, 0, 1));
  lease.reset(b);
  EXPECT_FALSE(b.take(1, 0, 2));
  EXPECT_EQ(lease.units(), 0);
  EXPECT_TRUE(lease.due(b, 3));  // the next granter is asked at once
}

TEST(ShareGranter, GrantsOnlyTheShareRoundedDown) {
  ShareGranter g;
  g.configure(120, 10, 1.0 / 3);  // 40 per minute, burst 3
  EXPECT_EQ(g.per_minute(), 40u);
  EXPECT_EQ(g.grant({0, 0, 10}, 0), 3);
  EXPECT_EQ(g.grant({3, 0, 10}, 1), 0);              // all spent, nothing refilled yet
  EXPECT_EQ(g.grant({0, 0, 10}, 1'600'000'000), 1);  // 1.6 s at 40/min: one unit
}

TEST(ShareGranter, ASecondOutageStartsWithNothingHeld) {
  ShareGranter g;
  g.configure(600, 10, 0.5);  // 300 per minute, burst 5
  EXPECT_EQ(g.grant({0, 0, 5}, 0), 5);
  g.configure(600, 10, 0.5);            // Redis came back, then went away again
  EXPECT_EQ(g.grant({0, 0, 5}, 1), 5);  // the 5 held before are not stranded
}

// Three processes, each with its own GlobalBucket and lease, share one fleet bucket
// (a ShareGranter with share 1 follows the Redis script's rules). Whatever the demand,
// over every window [s, e] the fleet admits at most burst + rate * (e - s).
TEST(FleetLease, ThreeProcessesNeverAdmitMoreThanTheFleetBucket) {
  constexpr uint64_t kRpm = 120, kBurst = 10, kStep = 5 * kMs;
  struct Process {
    GlobalBucket bucket;
    FleetLease lease;
  };
  std::vector<Process> procs(3);
  for (Process& p : procs) fleet_bucket(p.bucket, kRpm, kBurst);
  // One bucket for the fleet with one lease per process in it, as the script keeps.
  GlobalBucket fleet;
  fleet.configure(kRpm, kBurst);
  std::vector<int64_t> held(procs.size(), 0);
  auto grant = [&](size_t i, const FleetAsk& a, uint64_t now) {
    int64_t k = std::min(a.spent, held[i]);
    fleet.spent(k, now);
    held[i] -= k;
    fleet.refund(a.refund, now);
    if (a.want <= held[i]) {
      fleet.give_back(held[i] - a.want);
      held[i] = a.want;
    } else {
      int64_t more = std::min(a.want - held[i], std::max<int64_t>(0, fleet.available(now)));
      if (more > 0 && fleet.take(more, 0, now)) held[i] += more;
    }
    return held[i];
  };
  std::mt19937 rng(7);
  std::vector<uint64_t> admitted;
  const uint64_t end = 20'000 * kMs;
  for (uint64_t now = kStep; now < end; now += kStep) {
    for (size_t i = 0; i < procs.size(); ++i) {
      Process& p = procs[i];
      if (p.lease.due(p.bucket, now)) {
        FleetAsk a = p.lease.plan(p.bucket, now, kLease);
        p.lease.granted(p.bucket, grant(i, a, now), now, kLease, 500 * kMs);
      }
      int tries = static_cast<int>(rng() % 4);
      for (int t = 0; t < tries; ++t) {
        if (!p.bucket.take(1, 0, now)) break;
        p.bucket.spent(1, now);
        admitted.push_back(now);
      }
    }
  }
  ASSERT_GT(admitted.size(), kBurst);
  const double per_ns = static_cast<double>(kRpm) / 60e9;
  for (size_t a = 0; a < admitted.size(); ++a)
    for (size_t b = a; b < admitted.size(); b += 7) {
      double bound = kBurst + per_ns * static_cast<double>(admitted[b] - admitted[a]);
      ASSERT_LE(static_cast<double>(b - a + 1), bound + 1e-9)
          << "window " << admitted[a] << ".." << admitted[b];
    }
}

}  // namespace
}  // namespace sluice::limit
