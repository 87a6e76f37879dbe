#pragma once
// Whether every shard's loop is turning, for the systemd watchdog. An idle loop sleeps
// in io_uring_enter, so a turn counter alone cannot tell idle from stuck: each probe
// posts a tiny task to every loop, and a loop that has not run the previous probe's
// task by the next probe is stuck (busy in a callback, or blocked). The control
// thread pings the watchdog only after a probe that every loop answered.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sluice::server {

class LoopLiveness {
 public:
  // One way into each loop: runs a task on that loop's thread, false if it is gone.
  using Post = std::function<bool(std::function<void()>)>;
  explicit LoopLiveness(std::vector<Post> loops);

  // Control thread, once per watchdog period: true when every loop answered the
  // previous probe (the first call: true, nothing was asked yet). Sends the next probe.
  bool probe();
  // Loops that have not answered the last probe yet.
  size_t lagging() const;

 private:
  std::vector<Post> loops_;
  // Per loop: the last probe number it ran. Shared with the posted tasks, which may
  // outlive this object in a loop's inbox.
  std::shared_ptr<std::vector<std::atomic<uint64_t>>> answered_;
  uint64_t sent_ = 0;  // probes sent so far
};

}  // namespace sluice::server
