// Micro-benchmarks of what every upstream try pays for resilience: the breaker's
// admission and outcome (atomics shared by all shards), the retry budget's bookkeeping,
// and, on failed tries only, parsing a retry-after value.

#include <benchmark/benchmark.h>

#include <cstdint>

#include "sluice/resilience/backoff.h"
#include "sluice/resilience/breaker.h"
#include "sluice/resilience/retry_after.h"
#include "sluice/resilience/retry_budget.h"

namespace {

using namespace sluice::resilience;

// A closed breaker: one atomic load per try.
void BM_BreakerAdmitClosed(benchmark::State& state) {
  static Breaker breaker;
  uint64_t now = 0;
  for (auto _ : state) benchmark::DoNotOptimize(breaker.admit(++now));
}
BENCHMARK(BM_BreakerAdmitClosed)->ThreadRange(1, 4);

// Counting failures from several threads (below the threshold): one CAS on a shared slot.
void BM_BreakerRecordFailure(benchmark::State& state) {
  static Breaker breaker(BreakerSettings{1u << 30, 60000, 1000});
  uint64_t now = 0;
  for (auto _ : state) breaker.record_failure(now++ / 1000, false);
}
BENCHMARK(BM_BreakerRecordFailure)->ThreadRange(1, 4);

void BM_RetryBudgetRequestAndRetry(benchmark::State& state) {
  RetryBudget budget({0.2, 3, 10000});
  uint64_t now = 0;
  for (auto _ : state) {
    budget.on_request(now);
    benchmark::DoNotOptimize(budget.try_retry(now));
    now += 1;
  }
}
BENCHMARK(BM_RetryBudgetRequestAndRetry);

void BM_RetryAfterSeconds(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(parse_retry_after("30", 0));
}
BENCHMARK(BM_RetryAfterSeconds);

void BM_RetryAfterHttpDate(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1700000000000));
}
BENCHMARK(BM_RetryAfterHttpDate);

void BM_FullJitter(benchmark::State& state) {
  Jitter jitter(1);
  uint32_t retry = 0;
  for (auto _ : state) benchmark::DoNotOptimize(full_jitter_ms(retry++ & 7, 100, 2000, jitter));
}
BENCHMARK(BM_FullJitter);

}  // namespace
