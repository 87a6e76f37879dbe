#include "sluice/resilience/breaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::resilience {
namespace {
using Admission = Breaker::Admission;

Breaker make(uint32_t failures = 3, uint32_t window_ms = 1600, uint32_t cooldown_ms = 500) {
  return Breaker(BreakerSettings{failures, window_ms, cooldown_ms});
}

TEST(Breaker, OpensAfterNFailuresWithinTheWindow) {
  Breaker b = make();
  b.record_failure(100, false);
  b.record_failure(200, false);
  EXPECT_EQ(b.admit(250), Admission::allowed);
  b.record_failure(300, false);
  EXPECT_EQ(b.snapshot(300).state, BreakerState::open);
  EXPECT_EQ(b.snapshot(300).open_until_ms, 800u);
  EXPECT_EQ(b.admit(400), Admission::refused);
}

TEST(Breaker, CoolingDownOnlyWhileOpenBeforeTheCooldownEnds) {
  Breaker b = make();
  EXPECT_FALSE(b.cooling_down(0));
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  EXPECT_TRUE(b.cooling_down(499));
  EXPECT_FALSE(b.cooling_down(500));
}

TEST(Breaker, FailuresOutsideTheWindowDoNotCount) {
  Breaker b = make(3, 1600, 500);
  b.record_failure(0, false);
  b.record_failure(100, false);
  b.record_failure(5000, false);  // the first two slid out
  EXPECT_EQ(b.snapshot(5000).state, BreakerState::closed);
  EXPECT_EQ(b.snapshot(5000).failures, 1u);
}

TEST(Breaker, HalfOpenLetsExactlyOneProbe) {
  Breaker b = make();
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  EXPECT_EQ(b.admit(499), Admission::refused);
  EXPECT_EQ(b.snapshot(500).state, BreakerState::half_open);
  EXPECT_EQ(b.admit(500), Admission::probe);
  EXPECT_EQ(b.admit(501), Admission::refused);
  EXPECT_EQ(b.admit(9999), Admission::refused);
}

TEST(Breaker, ProbeSuccessCloses) {
  Breaker b = make();
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  ASSERT_EQ(b.admit(600), Admission::probe);
  b.record_success(true);
  Breaker::Snapshot s = b.snapshot(600);
  EXPECT_EQ(s.state, BreakerState::closed);
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.open_until_ms, 0u);
  EXPECT_EQ(b.admit(601), Admission::allowed);
}

TEST(Breaker, ProbeFailureReopensForAnotherCooldown) {
  Breaker b = make();
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  ASSERT_EQ(b.admit(600), Admission::probe);
  b.record_failure(700, true);
  EXPECT_EQ(b.snapshot(700).state, BreakerState::open);
  EXPECT_EQ(b.admit(1199), Admission::refused);
  EXPECT_EQ(b.admit(1200), Admission::probe);
}

TEST(Breaker, AbandonedProbeLetsAnotherGo) {
  Breaker b = make();
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  ASSERT_EQ(b.admit(600), Admission::probe);
  b.release_probe();
  EXPECT_EQ(b.admit(601), Admission::probe);
}

TEST(Breaker, NonProbeSuccessDoesNotResetTheWindow) {
  Breaker b = make();
  b.record_failure(0, false);
  b.record_failure(0, false);
  b.record_success(false);
  b.record_failure(10, false);
  EXPECT_EQ(b.snapshot(10).state, BreakerState::open);
}

// Many threads racing for the probe: exactly one wins; many failing at once open it once.
TEST(Breaker, OneProbeAcrossThreads) {
  Breaker b = make(3, 1600, 0);
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  std::atomic<int> probes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (b.admit(10) == Admission::probe) ++probes;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(probes.load(), 1);
}

TEST(Breaker, ConcurrentFailuresAreAllCounted) {
  Breaker b = make(100000, 60000, 500);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) b.record_failure(50, false);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(b.snapshot(50).failures, 4000u);
}

TEST(Breakers, ReconfigureKeepsStateByProviderName) {
  config::Config cfg;
  config::Provider a;
  a.name = "a";
  a.breaker.failures = 1;
  config::Provider c;
  c.name = "c";
  cfg.providers = {a, c};
  Breakers all(cfg);
  Breaker* ba = all.find("a");
  ASSERT_NE(ba, nullptr);
  ba->record_failure(0, false);
  ASSERT_EQ(ba->snapshot(0).state, BreakerState::open);

  config::Config next;
  config::Provider b;
  b.name = "b";
  a.breaker.cooldown_ms = 99;
  next.providers = {b, a};  // reordered, one added, one removed
  all.reconfigure(next);
  EXPECT_EQ(all.find("a"), ba);  // same object, same state
  EXPECT_EQ(all.find("a")->snapshot(0).state, BreakerState::open);
  ASSERT_NE(all.find("b"), nullptr);
  EXPECT_EQ(all.find("b")->snapshot(0).state, BreakerState::closed);
  EXPECT_NE(all.find("c"), nullptr);  // kept: a shard may still hold it
  EXPECT_EQ(all.find("nope"), nullptr);
  // New thresholds apply: a probe failure re-opens for the new cooldown.
  ASSERT_EQ(ba->admit(5000), Breaker::Admission::probe);
  ba->record_failure(6000, true);
  EXPECT_EQ(ba->snapshot(6000).open_until_ms, 6099u);
}

TEST(Breaker, AFleetGatedHalfOpenProbesOnlyWithThePermit) {
  Breaker b = make();
  for (int i = 0; i < 3; ++i) b.record_failure(0, false);
  EXPECT_EQ(b.opens(), 1u);
  b.fleet_gate(true);
  // Past the cooldown, but another instance may hold the fleet's one probe.
  EXPECT_EQ(b.admit(600), Admission::refused);
  EXPECT_TRUE(b.probe_wanted());
  EXPECT_FALSE(b.probe_wanted());
  b.permit_probe(true);
  EXPECT_EQ(b.admit(601), Admission::probe);
  EXPECT_EQ(b.admit(602), Admission::refused);  // still one at a time
  b.record_failure(700, true);
  EXPECT_EQ(b.opens(), 2u);  // a failed probe opens it again: the fleet is told
}

TEST(Breaker, TheFleetOpensAndClosesItWithoutCountingItsOwnOpens) {
  Breaker b = make();
  b.open_by_fleet(900);
  EXPECT_EQ(b.opens(), 0u);
  EXPECT_EQ(b.admit(100), Admission::refused);
  b.open_by_fleet(500);  // never shortened
  EXPECT_EQ(b.snapshot(100).open_until_ms, 900u);
  b.close_by_fleet();
  EXPECT_EQ(b.admit(100), Admission::allowed);
  EXPECT_EQ(b.snapshot(100).state, BreakerState::closed);
}

}  // namespace
}  // namespace sluice::resilience
