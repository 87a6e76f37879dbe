// The attempt loop's decision (src/relay/attempt_loop.cc): what follows a failed try.
#include "sluice/relay/attempt_loop.h"

#include <gtest/gtest.h>

namespace sluice::relay {
namespace {
using resilience::FailureClass;
using Kind = NextStep::Kind;

struct Decide : ::testing::Test {
  config::Retry retry;  // attempts 2, base 100, cap 2000, max_wait 10000
  resilience::RetryBudget budget{{1.0, 1000, 10000}};
  resilience::Jitter jitter{1};
  NextStep run(const FailedTry& f) { return decide_next(f, retry, budget, jitter, 0); }
};

TEST_F(Decide, RetryableFailureIsRetriedWithinTheBackoffCeiling) {
  NextStep n = run({FailureClass::server_error, {}, true, 1, true, UINT64_MAX});
  EXPECT_EQ(n.kind, Kind::retry);
  EXPECT_LE(n.delay_ms, 100u);
}

TEST_F(Decide, ProviderHintIsTheDelay) {
  NextStep n = run({FailureClass::rate_limited, 1234, true, 1, false, UINT64_MAX});
  EXPECT_EQ(n.kind, Kind::retry);
  EXPECT_EQ(n.delay_ms, 1234u);
}

TEST_F(Decide, HintBeyondMaxWaitFallsBack) {
  EXPECT_EQ(run({FailureClass::rate_limited, 60000, true, 1, true, UINT64_MAX}).kind,
            Kind::fallback);
  EXPECT_EQ(run({FailureClass::rate_limited, 60000, true, 1, false, UINT64_MAX}).kind,
            Kind::give_up);
}

TEST_F(Decide, AttemptsExhaustedFallsBack) {
  EXPECT_EQ(run({FailureClass::server_error, {}, true, 2, true, UINT64_MAX}).kind, Kind::fallback);
  EXPECT_EQ(run({FailureClass::server_error, {}, true, 2, false, UINT64_MAX}).kind, Kind::give_up);
}

TEST_F(Decide, ShouldRetryFalseIsRespected) {
  EXPECT_EQ(run({FailureClass::server_error, {}, false, 1, false, UINT64_MAX}).kind, Kind::give_up);
  EXPECT_EQ(run({FailureClass::server_error, {}, false, 1, true, UINT64_MAX}).kind, Kind::fallback);
}

TEST_F(Decide, QuotaAndOpenBreakerGoStraightToFallback) {
  EXPECT_EQ(run({FailureClass::quota_exhausted, {}, true, 1, true, UINT64_MAX}).kind,
            Kind::fallback);
  EXPECT_EQ(run({FailureClass::breaker_open, {}, true, 0, true, UINT64_MAX}).kind, Kind::fallback);
}

TEST_F(Decide, ClientErrorsEndThere) {
  EXPECT_EQ(run({FailureClass::client_error, {}, true, 1, true, UINT64_MAX}).kind, Kind::give_up);
}

TEST_F(Decide, NoRetryPastTheTotalDeadline) {
  EXPECT_EQ(run({FailureClass::rate_limited, 500, true, 1, false, 400}).kind, Kind::give_up);
}

TEST_F(Decide, SpentBudgetMeansNoRetry) {
  budget = resilience::RetryBudget({0.0, 1, 10000});
  EXPECT_EQ(run({FailureClass::server_error, {}, true, 1, false, UINT64_MAX}).kind, Kind::retry);
  EXPECT_EQ(run({FailureClass::server_error, {}, true, 1, false, UINT64_MAX}).kind, Kind::give_up);
}

TEST(DegradedMessage, MarkerComesFirst) {
  EXPECT_EQ(degraded_message("[SLUICE_PROVIDER_DEGRADED]", "openai", 3),
            "[SLUICE_PROVIDER_DEGRADED] provider openai is degraded (circuit breaker open); "
            "retry after 3 s");
  EXPECT_EQ(degraded_message("", "x", 1).rfind("provider x", 0), 0u);
}

}  // namespace
}  // namespace sluice::relay
