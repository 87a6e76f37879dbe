// Micro-benchmarks of the shard's timer queue (core::TimerQueue) with `range(0)` other
// timers armed: a request's life (arm a long deadline, cancel it when the request ends)
// and the idle-gap re-arm every received chunk makes (the same timer, a later deadline).

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "sluice/core/timer.h"

namespace {

using namespace sluice;

constexpr uint64_t kMinute = 60'000'000'000ull;

struct Nothing final : core::TimerTarget {
  void on_timer(int) override {}
};

// `n` timers with deadlines spread over ten minutes, as a shard's open requests are.
std::vector<std::unique_ptr<core::Timer>> live(core::TimerQueue& q, Nothing& t, int64_t n) {
  std::vector<std::unique_ptr<core::Timer>> out;
  for (int64_t i = 0; i < n; ++i) {
    out.push_back(std::make_unique<core::Timer>());
    out.back()->arm(q, kMinute + static_cast<uint64_t>(i) * 9 * kMinute / n, &t, 0);
  }
  return out;
}

void BM_TimerArmThenCancel(benchmark::State& state) {
  core::TimerQueue q;
  Nothing target;
  auto others = live(q, target, state.range(0));
  uint64_t deadline = 10 * kMinute;
  for (auto _ : state) {
    core::Timer t;
    t.arm(q, deadline++, &target, 0);
    t.cancel();
  }
  state.counters["queued"] = static_cast<double>(q.queued());
}
BENCHMARK(BM_TimerArmThenCancel)->Arg(100)->Arg(10'000);

void BM_TimerRearmLater(benchmark::State& state) {
  core::TimerQueue q;
  Nothing target;
  auto others = live(q, target, state.range(0));
  core::Timer idle;
  uint64_t deadline = kMinute;
  for (auto _ : state) idle.arm(q, deadline += 1000, &target, 0);
  state.counters["queued"] = static_cast<double>(q.queued());
}
BENCHMARK(BM_TimerRearmLater)->Arg(100)->Arg(10'000);

}  // namespace
