// GET /readyz and /admin/breakers: every provider's breaker as the shard sees it, and
// "ready" while one is open (a balancer must not drop the gateway for one provider).
#include "sluice/ops/readyz.h"

#include <gtest/gtest.h>

#include "sluice/core/clock.h"
#include "sluice/resilience/breaker.h"

namespace sluice::ops {
namespace {

config::Config two_providers() {
  config::Config cfg;
  for (const char* name : {"primary", "backup"}) {
    config::Provider p;
    p.name = name;
    p.breaker.failures = 2;
    p.breaker.cooldown_ms = 60000;
    cfg.providers.push_back(p);
  }
  return cfg;
}

TEST(Readyz, EveryBreakerClosedIsReady) {
  config::Config cfg = two_providers();
  resilience::Breakers breakers(cfg);
  relay::ShardResilience res(cfg, &breakers, 1);
  std::string body = readyz_json(cfg, res);
  EXPECT_EQ(body.rfind("{\"status\":\"ready\"", 0), 0u) << body;
  EXPECT_NE(body.find("\"primary\":{\"breaker\":\"closed\",\"failures\":0,\"cooldown_until_ms\":0"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("\"backup\":{\"breaker\":\"closed\""), std::string::npos) << body;
  EXPECT_EQ(body.find("\"fleet\""), std::string::npos) << body;  // no fleet configured
}

TEST(Readyz, AnOpenBreakerShowsItsCooldownAndStaysReady) {
  config::Config cfg = two_providers();
  resilience::Breakers breakers(cfg);
  uint64_t now_ms = core::mono_ns() / 1000000;
  resilience::Breaker* b = breakers.find("backup");
  ASSERT_NE(b, nullptr);
  b->record_failure(now_ms, false);
  b->record_failure(now_ms, false);
  relay::ShardResilience res(cfg, &breakers, 1);
  std::string body = readyz_json(cfg, res);
  EXPECT_EQ(body.rfind("{\"status\":\"ready\"", 0), 0u) << body;
  EXPECT_NE(body.find("\"primary\":{\"breaker\":\"closed\""), std::string::npos) << body;
  size_t at = body.find("\"backup\":{\"breaker\":\"open\"");
  ASSERT_NE(at, std::string::npos) << body;
  // About a minute left; never more than the cooldown.
  size_t left = body.find("\"cooldown_left_ms\":", at);
  ASSERT_NE(left, std::string::npos);
  uint64_t ms = std::stoull(body.substr(left + 19));
  EXPECT_GT(ms, 0u);
  EXPECT_LE(ms, 60000u);
}

TEST(Readyz, AFleetSaysWhetherItIsDegraded) {
  config::Config cfg = two_providers();
  resilience::Breakers breakers(cfg);
  relay::ShardResilience res(cfg, &breakers, 1);
  limit::FleetStatus fleet;
  fleet.enabled = true;
  fleet.redis_up = false;
  fleet.degraded = true;
  fleet.refusing = true;
  fleet.instances_seen = 3;
  std::string body = readyz_json(cfg, res, nullptr, &fleet);
  EXPECT_NE(body.find("\"fleet\":{\"state\":\"degraded\",\"redis_up\":false,\"mode\":\"refuse\","
                      "\"instances_seen\":3}"),
            std::string::npos)
      << body;
}

}  // namespace
}  // namespace sluice::ops
