#pragma once
// One io_uring per shard, driven by one thread. Each iteration makes one
// io_uring_enter that submits everything queued and waits for completions (or the
// next timer deadline), then dispatches every completion to its owner.
//
// user_data carries the owner (an IoHandler, 8-byte aligned) and the kind of operation
// in its low three bits; user_data 0 marks operations whose completion nobody needs
// (cancellations).

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "sluice/core/timer.h"

namespace sluice::core {

class IoHandler {
 public:
  virtual void on_completion(uint8_t op, int res, uint32_t flags) = 0;

 protected:
  ~IoHandler() = default;
};

inline uint64_t make_user_data(IoHandler* h, uint8_t op) {
  return reinterpret_cast<uintptr_t>(h) | op;
}

// io_uring could not be set up; what() names the cause and the fix.
class RingSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A sentence naming why io_uring_queue_init failed with -err and how to fix it.
std::string explain_ring_error(int err);

// The way into a loop from other threads: queued work and the eventfd that wakes the
// loop. The loop and every thread that may post hold it by shared_ptr, so a post racing
// the loop's end writes to a descriptor that is still open (it closes with the last
// holder, never under a poster's feet), and once the loop has closed the inbox, posts
// are refused rather than queued for no one.
class Inbox {
 public:
  Inbox();  // throws std::runtime_error when no eventfd can be made
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // From any thread: queues `fn` for the loop and wakes it. False, and `fn` dropped on the
  // caller's thread, once the loop has closed.
  bool post(std::function<void()> fn);
  int fd() const { return fd_; }

 private:
  friend class EventLoop;
  std::vector<std::function<void()>> take();
  void close();  // refuses later posts; drops work that will never run

  std::mutex mu_;
  std::vector<std::function<void()>> work_;  // under mu_
  bool closed_ = false;                      // under mu_
  int fd_ = -1;
};

class EventLoop {
 public:
  explicit EventLoop(unsigned entries = 4096);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  io_uring& ring() { return ring_; }
  // A free submission entry; submits the queued ones first when the ring is full.
  io_uring_sqe* sqe();
  TimerQueue& timers() { return timers_; }
  // Monotonic time of this iteration (cheap: read once per loop turn).
  uint64_t now_ns() const { return now_ns_; }
  bool defer_taskrun() const { return defer_taskrun_; }
  // Loop turns so far: the watchdog checks that it moves.
  uint64_t iterations() const { return iterations_; }

  // Runs `fn` after the current batch of completions (never re-entrantly).
  void defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

  // From any thread: runs `fn` on this loop's thread soon (wakes the loop through an
  // eventfd). The way back from work done off the shard (admin queries). A thread that
  // may outlive the loop posts through inbox() instead: the loop object may be gone.
  bool post(std::function<void()> fn) { return inbox_->post(std::move(fn)); }
  std::shared_ptr<Inbox> inbox() const { return inbox_; }

  // Turns until stop() is called; `on_turn` runs once per iteration.
  void run(const std::function<void()>& on_turn = {});
  void stop() { stop_ = true; }
  // One turn with a bounded wait, for tests and tools.
  void run_once(uint64_t max_wait_ns);

 private:
  void turn(uint64_t max_wait_ns);
  void arm_inbox();
  class InboxReader;
  friend class InboxReader;
  io_uring ring_{};
  std::shared_ptr<Inbox> inbox_;
  uint64_t inbox_value_ = 0;
  IoHandler* inbox_reader_ = nullptr;
  TimerQueue timers_;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::function<void()>> running_;  // the batch turn() is running
  uint64_t now_ns_ = 0;
  uint64_t iterations_ = 0;
  bool defer_taskrun_ = false;
  bool stop_ = false;
};

}  // namespace sluice::core
