// The shard's timer queue: deadlines fire in order, re-arming moves a timer either way,
// cancelling removes it, and the queue holds no more than the timers armed now.
#include "sluice/core/timer.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sluice::core {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kTenMinutes = 600'000 * kMs;

// Records which tags fired, in order.
struct Recorder final : TimerTarget {
  std::vector<int> fired;
  void on_timer(int tag) override { fired.push_back(tag); }
};

TEST(TimerQueue, FiresDueTimersInDeadlineOrder) {
  TimerQueue q;
  Recorder r;
  Timer a, b, c;
  a.arm(q, 30 * kMs, &r, 3);
  b.arm(q, 10 * kMs, &r, 1);
  c.arm(q, 20 * kMs, &r, 2);
  EXPECT_EQ(q.next_deadline(), 10 * kMs);
  q.fire_due(25 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{1, 2}));
  EXPECT_FALSE(b.armed());
  EXPECT_TRUE(a.armed());
  q.fire_due(30 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.next_deadline(), UINT64_MAX);
  EXPECT_EQ(q.armed(), 0u);
}

TEST(TimerQueue, RearmEarlierFiresAtTheNewDeadline) {
  TimerQueue q;
  Recorder r;
  Timer a, b;
  a.arm(q, 50 * kMs, &r, 1);
  b.arm(q, 20 * kMs, &r, 2);
  a.arm(q, 10 * kMs, &r, 1);
  EXPECT_EQ(q.next_deadline(), 10 * kMs);
  q.fire_due(15 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{1}));
  EXPECT_EQ(q.queued(), 1u);
}

TEST(TimerQueue, RearmLaterDoesNotFireAtTheOldDeadline) {
  TimerQueue q;
  Recorder r;
  Timer a, b;
  a.arm(q, 10 * kMs, &r, 1);
  b.arm(q, 20 * kMs, &r, 2);
  a.arm(q, 40 * kMs, &r, 1);
  EXPECT_EQ(q.next_deadline(), 20 * kMs);
  q.fire_due(30 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{2}));
  q.fire_due(40 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{2, 1}));
}

TEST(TimerQueue, RearmWithANewTagFiresTheNewTag) {
  TimerQueue q;
  Recorder r;
  Timer a;
  a.arm(q, 10 * kMs, &r, 1);
  a.arm(q, 10 * kMs, &r, 7);
  q.fire_due(10 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{7}));
}

TEST(TimerQueue, CancelledTimerNeverFiresAndLeavesNoEntry) {
  TimerQueue q;
  Recorder r;
  Timer a, b;
  a.arm(q, 10 * kMs, &r, 1);
  b.arm(q, 20 * kMs, &r, 2);
  a.cancel();
  EXPECT_EQ(q.queued(), 1u);
  EXPECT_EQ(q.next_deadline(), 20 * kMs);
  q.fire_due(30 * kMs);
  EXPECT_EQ(r.fired, (std::vector<int>{2}));
}

TEST(TimerQueue, DestroyedTimerIsCancelled) {
  TimerQueue q;
  Recorder r;
  {
    Timer a;
    a.arm(q, 10 * kMs, &r, 1);
  }
  EXPECT_EQ(q.queued(), 0u);
  q.fire_due(20 * kMs);
  EXPECT_TRUE(r.fired.empty());
}

// A target that re-arms itself from on_timer, as an idle deadline does.
struct Rearming final : TimerTarget {
  TimerQueue& q;
  Timer t;
  int count = 0;
  explicit Rearming(TimerQueue& queue) : q(queue) {}
  void on_timer(int) override {
    if (++count < 3) t.arm(q, 100 * kMs, this, 0);
  }
};

TEST(TimerQueue, TargetMayRearmFromItsCallback) {
  TimerQueue q;
  Rearming r(q);
  r.t.arm(q, 10 * kMs, &r, 0);
  q.fire_due(10 * kMs);
  EXPECT_EQ(r.count, 1);
  EXPECT_TRUE(r.t.armed());
  q.fire_due(100 * kMs);
  EXPECT_EQ(r.count, 3);
  EXPECT_FALSE(r.t.armed());
}

// Every request arms a long deadline and cancels it when it ends: the queue must not
// keep what was cancelled.
TEST(TimerQueue, MillionCancelledLongTimersLeaveTheQueueEmpty) {
  TimerQueue q;
  Recorder r;
  Timer keepalive;  // one long-lived timer stays armed throughout
  keepalive.arm(q, kTenMinutes, &r, 0);
  for (uint64_t i = 0; i < 1'000'000; ++i) {
    Timer t;
    t.arm(q, kTenMinutes + i, &r, 1);
    t.arm(q, kTenMinutes + 2 * i, &r, 1);  // pushed later, as an idle gap re-arm does
    EXPECT_LE(q.queued(), 2u) << "after " << i << " requests";
    if (q.queued() > 2) break;
  }
  EXPECT_EQ(q.queued(), 1u);
  EXPECT_EQ(q.armed(), 1u);
  EXPECT_LE(q.capacity(), 2u);
  EXPECT_EQ(q.next_deadline(), kTenMinutes);
}

TEST(TimerQueue, ChurnAmongManyLiveTimersKeepsOneEntryEach) {
  TimerQueue q;
  Recorder r;
  std::vector<std::unique_ptr<Timer>> live(1000);
  for (size_t i = 0; i < live.size(); ++i) {
    live[i] = std::make_unique<Timer>();
    live[i]->arm(q, kTenMinutes + i * kMs, &r, static_cast<int>(i));
  }
  for (uint64_t round = 0; round < 200'000; ++round) {
    size_t i = (round * 7919) % live.size();
    if (round % 3 == 0) {
      live[i] = std::make_unique<Timer>();  // the old one is cancelled by its destructor
    }
    live[i]->arm(q, kTenMinutes + ((round * 104729) % 100'000) * kMs, &r, static_cast<int>(i));
  }
  EXPECT_EQ(q.queued(), live.size());
  EXPECT_EQ(q.armed(), live.size());
  // Everything still fires, each once.
  q.fire_due(UINT64_MAX - 1);
  EXPECT_EQ(r.fired.size(), live.size());
  EXPECT_EQ(q.queued(), 0u);
}

}  // namespace
}  // namespace sluice::core
