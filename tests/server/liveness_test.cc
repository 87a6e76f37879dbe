// LoopLiveness against real event loops on their own threads: a loop that turns answers
// every probe; a loop stuck in a callback stops the pings until it turns again.

#include "sluice/server/liveness.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sluice/core/event_loop.h"

namespace sluice::server {
namespace {

// An EventLoop turning on a thread of its own until stopped.
class LoopThread {
 public:
  LoopThread() {
    thread_ = std::thread([this] {
      core::EventLoop loop;
      {
        std::lock_guard<std::mutex> lock(mu_);
        loop_ = &loop;
      }
      cv_.notify_all();
      loop.run([this, &loop] {
        if (stop_.load()) loop.stop();
      });
      std::lock_guard<std::mutex> lock(mu_);
      loop_ = nullptr;
    });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return loop_ != nullptr; });
  }
  ~LoopThread() {
    stop_.store(true);
    post([] {});
    thread_.join();
  }
  bool post(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (loop_ == nullptr) return false;
    loop_->post(std::move(fn));
    return true;
  }
  LoopLiveness::Post poster() {
    return [this](std::function<void()> fn) { return post(std::move(fn)); };
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  core::EventLoop* loop_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits (generously) until `liveness` has no lagging loop; false if it never gets there.
bool settles(const LoopLiveness& liveness) {
  for (int i = 0; i < 2000; ++i) {
    if (liveness.lagging() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(LoopLiveness, FirstProbeIsTrueBecauseNothingWasAsked) {
  LoopThread a;
  LoopLiveness liveness({a.poster()});
  EXPECT_TRUE(liveness.probe());
}

TEST(LoopLiveness, TurningLoopsAnswerEveryProbe) {
  LoopThread a, b;
  LoopLiveness liveness({a.poster(), b.poster()});
  liveness.probe();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(settles(liveness));
    EXPECT_TRUE(liveness.probe());
  }
}

TEST(LoopLiveness, StuckLoopStopsThePingsUntilItTurnsAgain) {
  LoopThread a, b;
  LoopLiveness liveness({a.poster(), b.poster()});
  liveness.probe();
  ASSERT_TRUE(settles(liveness));

  // Loop b runs a task that blocks: it is stuck, a is idle but turning.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false, entered = false;
  b.post([&] {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  EXPECT_TRUE(liveness.probe());  // answers to the probe before b got stuck
  // Give loop a every chance to answer; b cannot.
  for (int i = 0; i < 100 && liveness.lagging() > 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(liveness.lagging(), 1u);
  EXPECT_FALSE(liveness.probe());
  EXPECT_FALSE(liveness.probe());

  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(settles(liveness));
  EXPECT_TRUE(liveness.probe());
}

TEST(LoopLiveness, LoopThatIsGoneNeverAnswers) {
  LoopThread a;
  LoopLiveness liveness({a.poster(), [](std::function<void()>) { return false; }});
  liveness.probe();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(liveness.probe());
  EXPECT_GE(liveness.lagging(), 1u);
}

}  // namespace
}  // namespace sluice::server
