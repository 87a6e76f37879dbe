#include "sluice/limit/shard_limiter.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace sluice::limit {
namespace {
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1000 * kMs;
constexpr uint64_t kT0 = 1000 * kSec;
constexpr int64_t kWall = 1'750'000'000'000;  // a wall-clock ms in mid-2025

config::Config base_config() {
  config::Config c;
  config::Provider p;
  p.name = "acct";
  c.providers.push_back(p);
  return c;
}

config::Project project(std::string name, uint32_t weight = 1, uint32_t priority = 0) {
  config::Project p;
  p.name = std::move(name);
  p.weight = weight;
  p.priority = priority;
  return p;
}

Who who(std::string_view project, std::string_view key = {}) {
  return {project, key, "gpt", "acct"};
}

TEST(ShardLimiter, RefusalByOneLimitChargesNoOther) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.requests_per_minute = 60;
  c.projects[0].limits.burst_requests = 1;
  config::Key k;
  k.id = "k";
  k.project = "a";
  k.limits.requests_per_minute = 60;
  k.limits.burst_requests = 5;
  c.keys.push_back(k);
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a", "k"), c);
  ASSERT_EQ(plan->sets.size(), 2u);
  Ticket t;
  EXPECT_EQ(s.admit(*plan, 10, 0, kWall, kT0, t).verdict, Verdict::admitted);
  Decision d = s.admit(*plan, 10, 0, kWall, kT0, t);
  EXPECT_EQ(d.verdict, Verdict::rate_limited);
  EXPECT_EQ(d.limit->id, "project:a");
  EXPECT_EQ(d.retry_after_ns, kSec);
  s.tick(kT0, kWall);  // reports what was admitted, returns idle leases
  s.tick(kT0, kWall);
  EXPECT_EQ(reg.limit("key:k")->requests.available(kT0), 4);  // one request, not two
}

TEST(ShardLimiter, BudgetRefusesPastItsSpendAndSettlementCorrectsIt) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].budget.nusd_per_day = 1'000'000'000;  // $1
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Ticket t1, t2, t3;
  ASSERT_EQ(s.admit(*plan, 10, 600'000'000, kWall, kT0, t1).verdict, Verdict::admitted);
  Decision d = s.admit(*plan, 10, 600'000'000, kWall, kT0, t2);
  EXPECT_EQ(d.verdict, Verdict::budget_exceeded);
  EXPECT_GT(d.retry_after_ns, 0u);
  s.settle(t1, 10, 100'000'000, kT0);  // it really cost $0.10
  EXPECT_EQ(s.admit(*plan, 10, 600'000'000, kWall, kT0, t3).verdict, Verdict::admitted);
  // Spend from before a restart counts.
  Registry again(c, 1);
  again.add_spend("project:a", 1'000'000'000, 1'000'000'000, kWall);
  ShardLimiter s2(again, 0);
  Ticket t4;
  EXPECT_EQ(s2.admit(*s2.plan(who("a"), c), 1, 0, kWall, kT0, t4).verdict,
            Verdict::budget_exceeded);
}

TEST(ShardLimiter, ABudgetIsSpentToTheLastNanoDollar) {
  // $0.1 + $0.2 fills a $0.3 budget exactly (in doubles it would not quite), and
  // nothing more fits.
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].budget.nusd_per_day = 300'000'000;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Ticket t1, t2, t3;
  ASSERT_EQ(s.admit(*plan, 1, 100'000'000, kWall, kT0, t1).verdict, Verdict::admitted);
  ASSERT_EQ(s.admit(*plan, 1, 200'000'000, kWall, kT0, t2).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(*plan, 1, 1, kWall, kT0, t3).verdict, Verdict::budget_exceeded);
  EXPECT_NE(reg.json(kT0, kWall).find(R"("day":{"limit_usd":0.3,"spent_usd":0.3,)"),
            std::string::npos)
      << reg.json(kT0, kWall);
}

TEST(ShardLimiter, TokenSettlementRefundsTheUnusedEstimate) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.tokens_per_minute = 600;
  c.projects[0].limits.burst_tokens = 100;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Ticket t1, t2;
  ASSERT_EQ(s.admit(*plan, 80, 0, kWall, kT0, t1).verdict, Verdict::admitted);
  EXPECT_EQ(s.admit(*plan, 80, 0, kWall, kT0, t2).verdict, Verdict::rate_limited);
  s.settle(t1, 20, 0, kT0);  // used 20 of the 80 reserved
  EXPECT_EQ(s.admit(*plan, 80, 0, kWall, kT0, t2).verdict, Verdict::admitted);
}

TEST(ShardLimiter, ConcurrencySlotsReturnAtSettlement) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.concurrent_requests = 2;
  Registry reg(c, 2);
  ShardLimiter s0(reg, 0), s1(reg, 1);
  Ticket a, b, x;
  ASSERT_EQ(s0.admit(*s0.plan(who("a"), c), 1, 0, kWall, kT0, a).verdict, Verdict::admitted);
  ASSERT_EQ(s1.admit(*s1.plan(who("a"), c), 1, 0, kWall, kT0, b).verdict, Verdict::admitted);
  EXPECT_EQ(s1.admit(*s1.plan(who("a"), c), 1, 0, kWall, kT0, x).verdict, Verdict::rate_limited);
  s0.settle(a, 1, 0, kT0);
  s0.tick(kT0, kWall);
  s0.tick(kT0, kWall);  // the idle slot goes back to the pool
  EXPECT_EQ(s1.admit(*s1.plan(who("a"), c), 1, 0, kWall, kT0, x).verdict, Verdict::admitted);
}

class Waiting final : public Waiter {
 public:
  void admitted(Ticket) override { ++admits; }
  void refused(const Decision&) override { ++refusals; }
  int admits = 0, refusals = 0;
};

TEST(ShardLimiter, QueuedRequestIsAdmittedWhenCapacityReturnsOrRefusedAtItsDeadline) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.requests_per_minute = 60;
  c.projects[0].limits.burst_requests = 1;
  c.projects[0].queue.max_wait_ms = 1500;
  c.projects[0].queue.max_length = 2;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Ticket t;
  ASSERT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  Waiting w1, w2, w3;
  for (Waiting* w : {&w1, &w2, &w3}) {
    w->plan = plan;
    w->tokens = 1;
    w->deadline_ns = kT0 + 1500 * kMs;
  }
  s.tick(kT0, kWall);  // the admitted unit is reported: the refill runs from now
  EXPECT_TRUE(s.enqueue(w1));
  EXPECT_TRUE(s.enqueue(w2));
  EXPECT_FALSE(s.enqueue(w3));  // bounded
  EXPECT_EQ(reg.project(0).queued.load(), 2);
  s.tick(kT0 + 500 * kMs, kWall);
  EXPECT_EQ(w1.admits, 0);
  s.tick(kT0 + 1000 * kMs, kWall);
  EXPECT_EQ(w1.admits, 1);
  EXPECT_EQ(w2.admits + w2.refusals, 0);
  s.tick(kT0 + 1600 * kMs, kWall);  // past w2's deadline, before the next unit
  EXPECT_EQ(w2.refusals, 1);
  EXPECT_EQ(reg.project(0).queued.load(), 0);
}

TEST(ShardLimiter, CancelledWaiterLeavesAtOnce) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.requests_per_minute = 60;
  c.projects[0].limits.burst_requests = 1;
  c.projects[0].queue.max_wait_ms = 10000;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Waiting w;
  w.plan = plan;
  w.deadline_ns = kT0 + 10 * kSec;
  ASSERT_TRUE(s.enqueue(w));
  s.cancel(w);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(reg.project(0).queued.load(), 0);
  s.tick(kT0 + 5 * kSec, kWall);
  EXPECT_EQ(w.admits + w.refusals, 0);
}

TEST(ShardLimiter, ReconfigureKeepsStateByIdentity) {
  config::Config c = base_config();
  c.projects.push_back(project("a"));
  c.projects[0].limits.requests_per_minute = 60;
  c.projects[0].limits.burst_requests = 3;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Ticket t;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(s.admit(*s.plan(who("a"), c), 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  s.tick(kT0, kWall);
  Limit* before = reg.limit("project:a");
  c.projects[0].limits.requests_per_minute = 120;
  c.projects.push_back(project("b"));
  c.projects[1].limits.requests_per_minute = 5;
  reg.reconfigure(c);
  EXPECT_EQ(reg.limit("project:a"), before);
  EXPECT_EQ(before->requests.per_minute(), 120u);
  EXPECT_LE(before->requests.available(kT0), 0);  // the reload gave no fresh burst
  EXPECT_NE(reg.limit("project:b"), nullptr);
  c.projects[0].limits = {};
  reg.reconfigure(c);
  EXPECT_EQ(reg.limit("project:a"), nullptr);
  EXPECT_TRUE(s.plan(who("a"), c)->sets.empty());
}

// The shared account across shards: two shards carry project A, two carry project B.
struct Sim {
  config::Config cfg = base_config();
  std::unique_ptr<Registry> reg;
  std::vector<std::unique_ptr<ShardLimiter>> shards;
  int64_t admitted[2] = {0, 0};

  Sim(uint32_t wa, uint32_t wb, uint32_t pa = 0, uint32_t pb = 0) {
    cfg.providers[0].limits.requests_per_minute = 600;  // 10/s
    cfg.providers[0].limits.burst_requests = 20;
    cfg.projects.push_back(project("a", wa, pa));
    cfg.projects.push_back(project("b", wb, pb));
    reg = std::make_unique<Registry>(cfg, 4);
    for (unsigned i = 0; i < 4; ++i) shards.push_back(std::make_unique<ShardLimiter>(*reg, i));
  }
  // Every millisecond each shard offers one request of its project when `wants` says so.
  void run(uint64_t seconds, const std::function<bool(int project, uint64_t ms)>& wants) {
    for (uint64_t ms = 0; ms < seconds * 1000; ++ms) {
      uint64_t now = kT0 + ms * kMs;
      for (unsigned i = 0; i < 4; ++i) {
        int p = i < 2 ? 0 : 1;
        if (ms % 5 == i) shards[i]->tick(now, kWall);
        if (!wants(p, ms)) continue;
        Ticket t;
        Plan* plan = shards[i]->plan(who(p == 0 ? "a" : "b"), cfg);
        if (shards[i]->admit(*plan, 1, 0, kWall, now, t).verdict == Verdict::admitted) {
          ++admitted[p];
          shards[i]->settle(t, 1, 0, now);
        }
      }
    }
  }
};

TEST(FairShare, TwoFloodingProjectsSplitByWeightAcrossShards) {
  Sim sim(3, 1);
  sim.run(60, [](int, uint64_t) { return true; });
  int64_t total = sim.admitted[0] + sim.admitted[1];
  EXPECT_LE(total, 20 + 600);  // burst + rate * 60 s, whatever the split
  EXPECT_GE(total, 600);       // work-conserving: the account is used
  double share_a = static_cast<double>(sim.admitted[0]) / static_cast<double>(total);
  EXPECT_GT(share_a, 0.70) << sim.admitted[0] << " vs " << sim.admitted[1];
  EXPECT_LT(share_a, 0.80) << sim.admitted[0] << " vs " << sim.admitted[1];
}

TEST(FairShare, ALightProjectGetsAllItAsksAndTheRestGoesToTheFlood) {
  Sim sim(3, 1);
  int64_t asked = 0;
  // A asks 4/s (below its 7.5/s share), B floods.
  sim.run(60, [&](int p, uint64_t ms) {
    if (p == 1) return true;
    return ms % 500 == 0 && ms > 0;
  });
  asked = 60 * 2 * 2 - 2;  // each of A's two shards asks every 500 ms (none at 0)
  // Only the first request of A on each shard can miss: it is what makes A's demand
  // visible, and the flood had emptied the bucket before it (a queue would hold it).
  EXPECT_GE(sim.admitted[0], asked - 2);
  EXPECT_LE(sim.admitted[0], asked);
  EXPECT_GE(sim.admitted[0] + sim.admitted[1], 600);
  EXPECT_LE(sim.admitted[0] + sim.admitted[1], 620);
}

TEST(FairShare, BetterPriorityTierIsServedFirst) {
  Sim sim(1, 100, /*pa=*/0, /*pb=*/1);  // B's weight does not matter across tiers
  sim.run(30, [](int, uint64_t) { return true; });
  EXPECT_GT(sim.admitted[0], 9 * sim.admitted[1]);
}

TEST(FairShare, FourThreadsNeverExceedTheBucket) {
  config::Config c = base_config();
  c.providers[0].limits.requests_per_minute = 60;
  c.providers[0].limits.burst_requests = 50;
  c.projects.push_back(project("a"));
  Registry reg(c, 4);
  std::atomic<int64_t> admitted{0};
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < 4; ++i)
    ts.emplace_back([&, i] {
      ShardLimiter s(reg, i);
      for (int n = 0; n < 20000; ++n) {
        Ticket t;
        uint64_t now = kT0 + static_cast<uint64_t>(n) * 10'000;  // 0.2 s of clock in all
        if (n % 50 == 0) s.tick(now, kWall);
        if (s.admit(*s.plan(who("a"), c), 1, 0, kWall, now, t).verdict == Verdict::admitted) {
          ++admitted;
          s.settle(t, 1, 0, now);
        }
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_LE(admitted.load(), 50);  // burst + 1/s * 0.2 s, rounded down
  EXPECT_GE(admitted.load(), 45);
}

TEST(ShardLimiter, APausedAccountAdmitsNothingFromLeasesInHand) {
  config::Config c = base_config();
  c.providers[0].limits.requests_per_minute = 6000;
  c.projects.push_back(project("a"));
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  Ticket t;
  ASSERT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  s.settle(t, 1, 0, kT0);
  // The shard's lease still holds units; a 429's retry-after (here or from another
  // instance of the fleet) stops them too, until the pause ends.
  reg.provider("acct")->requests.pause_until(kT0 + 2 * kSec);
  EXPECT_EQ(s.admit(*plan, 1, 0, kWall, kT0 + kSec, t).verdict, Verdict::rate_limited);
  EXPECT_EQ(s.admit(*plan, 1, 0, kWall, kT0 + 3 * kSec, t).verdict, Verdict::admitted);
}

TEST(ShardLimiter, ARefusalByTheFleetLeaseAloneWaitsOnlyWhileTheFleetHasRoom) {
  config::Config c = base_config();
  c.providers[0].limits.requests_per_minute = 6000;
  c.providers[0].limits.burst_requests = 40;
  c.projects.push_back(project("a"));
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  GlobalBucket& b = reg.provider("acct")->requests;
  b.fleet_enable();
  b.fleet_set_cap(b.fleet_counters().taken + 1);  // the fleet granted one unit
  b.fleet_set_room(10);                           // and had a quarter of the burst left
  Ticket t;
  ASSERT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  // The process bucket has the units; only the lease is spent: the request may wait.
  Decision d = s.admit(*plan, 1, 0, kWall, kT0, t);
  EXPECT_EQ(d.verdict, Verdict::rate_limited);
  EXPECT_TRUE(d.lease_wait);
  // The fleet's bucket had less than a quarter of its burst free: the fleet is near its
  // limit, so the refusal is the fleet's and comes at once.
  b.fleet_set_room(9);
  d = s.admit(*plan, 1, 0, kWall, kT0, t);
  EXPECT_EQ(d.verdict, Verdict::rate_limited);
  EXPECT_FALSE(d.lease_wait);
  b.fleet_set_room(0);
  d = s.admit(*plan, 1, 0, kWall, kT0, t);
  EXPECT_FALSE(d.lease_wait);
  // Room again: the wait is marked again (a refusal without room cleared nothing).
  b.fleet_set_room(10);
  EXPECT_TRUE(s.admit(*plan, 1, 0, kWall, kT0, t).lease_wait);
  // Without a fleet, a refusal is the limit's own.
  config::Config c2 = base_config();
  c2.providers[0].limits.requests_per_minute = 60;
  c2.providers[0].limits.burst_requests = 1;
  c2.projects.push_back(project("a"));
  Registry reg2(c2, 1);
  ShardLimiter s2(reg2, 0);
  Plan* plan2 = s2.plan(who("a"), c2);
  ASSERT_EQ(s2.admit(*plan2, 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  d = s2.admit(*plan2, 1, 0, kWall, kT0, t);
  EXPECT_EQ(d.verdict, Verdict::rate_limited);
  EXPECT_FALSE(d.lease_wait);
}

TEST(ShardLimiter, ANewRequestRefusedByASharedLimitCountsAsItsProjectsDemand) {
  config::Config c = base_config();
  c.providers[0].limits.requests_per_minute = 60;
  c.providers[0].limits.burst_requests = 1;
  c.projects.push_back(project("a"));
  c.projects[0].queue.max_wait_ms = 5000;
  c.projects[0].queue.max_length = 4;
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  const ProjectShare& share = reg.provider("acct")->shares[0];
  Ticket t;
  ASSERT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::admitted);
  EXPECT_EQ(share.taken.load(), 1u);
  EXPECT_EQ(share.refused.load(), 0u);
  // Two new requests refused: the project wanted three units here, took one.
  EXPECT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::rate_limited);
  EXPECT_EQ(s.admit(*plan, 1, 0, kWall, kT0, t).verdict, Verdict::rate_limited);
  EXPECT_EQ(share.refused.load(), 2u);
  // A queued request is retried at every tick; it counts once, by the queue's length,
  // not once per retry.
  Waiting w;
  w.plan = plan;
  w.tokens = 1;
  w.deadline_ns = kT0 + 5 * kSec;
  ASSERT_TRUE(s.enqueue(w));
  for (int i = 1; i <= 10; ++i) s.tick(kT0 + i * 10 * kMs, kWall);
  EXPECT_EQ(w.admits, 0);
  EXPECT_EQ(share.refused.load(), 2u);
}

TEST(ShardLimiter, ALeaseWaitQueuesEvenWithoutAProjectQueue) {
  config::Config c = base_config();
  c.providers[0].limits.requests_per_minute = 6000;
  c.projects.push_back(project("a"));
  Registry reg(c, 1);
  ShardLimiter s(reg, 0);
  Plan* plan = s.plan(who("a"), c);
  ASSERT_EQ(plan->queue_max_wait_ms, 0u);
  struct W : Waiter {
    int admitted_n = 0;
    void admitted(Ticket) override { ++admitted_n; }
    void refused(const Decision&) override {}
  } w;
  w.plan = plan;
  w.tokens = 1;
  w.deadline_ns = kT0 + kSec;
  EXPECT_FALSE(s.enqueue(w));       // no queue for this project
  EXPECT_TRUE(s.enqueue(w, true));  // but a wait for the fleet's grant is taken
  EXPECT_EQ(s.queued(), 1u);
  s.tick(kT0, kWall);  // no fleet cap: admitted at the next tick
  EXPECT_EQ(w.admitted_n, 1);
  EXPECT_EQ(s.queued(), 0u);
}

}  // namespace
}  // namespace sluice::limit
