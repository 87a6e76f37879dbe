// Micro-benchmarks of admission (docs/LIMITS.md): one shard's decision from its local
// lease (the fast path: plain arithmetic), the same with a lease refill from the
// process-wide bucket every time (one atomic add and one load), and a full
// ShardLimiter::admit + settle over a provider, project and key limit.

#include <benchmark/benchmark.h>

#include <memory>

#include "sluice/limit/global_bucket.h"
#include "sluice/limit/shard_limiter.h"

namespace {

using namespace sluice;

constexpr uint64_t kT0 = 1'000'000'000'000;

// The lease fast path: admit from what the shard holds.
void BM_LeaseFastPath(benchmark::State& state) {
  limit::Lease lease;
  lease.units = int64_t{1} << 40;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lease);
    if (lease.units >= 1) {
      lease.units -= 1;
      lease.spent += 1;
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeaseFastPath);

// A refill on every decision: take one unit from the global bucket and report it.
void BM_LeaseRefillEveryTime(benchmark::State& state) {
  limit::GlobalBucket b;
  b.configure(uint64_t{1} << 50, uint64_t{1} << 50);
  uint64_t now = kT0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.take(1, 0, now));
    b.spent(1, now);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LeaseRefillEveryTime);

// ShardLimiter::admit on one request limit: a real decision from the local lease
// (refilled once in a long while: the bucket is deep).
void BM_AdmitFromLease(benchmark::State& state) {
  config::Config c;
  config::Provider p;
  p.name = "acct";
  c.providers.push_back(p);
  config::Project pr;
  pr.name = "prod";
  pr.limits.requests_per_minute = uint64_t{1} << 40;
  c.projects.push_back(pr);
  limit::Registry reg(c, 1);
  limit::ShardLimiter s(reg, 0);
  limit::Plan* plan = s.plan({"prod", "", "", "acct"}, c);
  limit::Ticket t;
  for (auto _ : state) benchmark::DoNotOptimize(s.admit(*plan, 1, 0, 0, kT0, t));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AdmitFromLease);

config::Config bench_config() {
  config::Config c;
  config::Provider p;
  p.name = "acct";
  p.limits.requests_per_minute = uint64_t{1} << 40;
  p.limits.tokens_per_minute = uint64_t{1} << 50;
  c.providers.push_back(p);
  config::Project pr;
  pr.name = "prod";
  pr.limits.requests_per_minute = uint64_t{1} << 40;
  c.projects.push_back(pr);
  config::Key k;
  k.id = "bot";
  k.project = "prod";
  k.limits.requests_per_minute = uint64_t{1} << 40;
  c.keys.push_back(k);
  return c;
}

// A whole decision over three limits (requests and tokens), then its settlement.
void BM_AdmitAndSettleThreeLimits(benchmark::State& state) {
  config::Config c = bench_config();
  limit::Registry reg(c, 1);
  limit::ShardLimiter s(reg, 0);
  limit::Plan* plan = s.plan({"prod", "bot", "gpt", "acct"}, c);
  uint64_t n = 0;
  for (auto _ : state) {
    limit::Ticket t;
    uint64_t now = kT0 + n;
    benchmark::DoNotOptimize(s.admit(*plan, 100, 0, 0, now, t));
    s.settle(t, 90, 0, now);
    if ((++n & 1023) == 0) s.tick(now, 0);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AdmitAndSettleThreeLimits);

}  // namespace
