#pragma once
// Per-shard deadlines. A Timer is a member of the object it times (a connection, an
// upstream exchange); its destructor cancels it, so a fired timer never reaches a
// freed owner. The queue is a min-heap with lazy entries: pushing a deadline later
// (the common "idle gap" re-arm on every chunk) only updates the slot, and the stale
// heap entry is re-pushed when it surfaces, so re-arming costs O(1).

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace sluice::core {

class TimerQueue;

class TimerTarget {
 public:
  virtual void on_timer(int tag) = 0;

 protected:
  ~TimerTarget() = default;
};

class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  // Fires target.on_timer(tag) at `deadline_ns` (mono_ns clock) unless cancelled or re-armed.
  void arm(TimerQueue& q, uint64_t deadline_ns, TimerTarget* target, int tag);
  void cancel();
  bool armed() const { return queue_ != nullptr; }

 private:
  friend class TimerQueue;
  TimerQueue* queue_ = nullptr;
  uint32_t slot_ = 0;
};

class TimerQueue {
 public:
  // The earliest deadline, or UINT64_MAX when none is armed.
  uint64_t next_deadline();
  // Fires every timer whose deadline is <= now.
  void fire_due(uint64_t now_ns);
  size_t armed() const { return armed_; }

 private:
  friend class Timer;
  struct Slot {
    uint64_t deadline = 0;
    uint32_t gen = 0;
    Timer* timer = nullptr;  // null: free
    TimerTarget* target = nullptr;
    int tag = 0;
  };
  struct Entry {
    uint64_t deadline;
    uint32_t slot;
    uint32_t gen;
    bool operator>(const Entry& o) const { return deadline > o.deadline; }
  };
  uint32_t allocate(Timer* t);
  void set(uint32_t slot, uint64_t deadline, TimerTarget* target, int tag);
  void release(uint32_t slot);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  size_t armed_ = 0;
};

}  // namespace sluice::core
