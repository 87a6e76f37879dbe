#pragma once
// Per-shard deadlines. A Timer is a member of the object it times (a connection, an
// upstream exchange); its destructor cancels it, so a fired timer never reaches a
// freed owner. The queue is an indexed binary min-heap: each armed timer has exactly one
// heap entry and knows where it is, so re-arming moves that entry and cancelling removes
// it, both in O(log n). The heap never holds more entries than there are armed timers,
// whatever the rate of arms and cancels (a lazy heap would keep a cancelled entry until
// its deadline: minutes of them at high request rates).

#include <cstddef>
#include <cstdint>
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
  // Entries in the heap: never more than armed().
  size_t queued() const { return heap_.size(); }
  // Slots ever allocated (free ones are reused): the high-water mark of armed timers.
  size_t capacity() const { return slots_.size(); }

 private:
  friend class Timer;
  static constexpr uint32_t kNotQueued = UINT32_MAX;
  struct Slot {
    Timer* timer = nullptr;  // null: free
    TimerTarget* target = nullptr;
    int tag = 0;
    uint32_t heap_pos = kNotQueued;  // index of this slot's entry in heap_
  };
  struct Entry {
    uint64_t deadline;
    uint32_t slot;
  };
  uint32_t allocate(Timer* t);
  void set(uint32_t slot, uint64_t deadline, TimerTarget* target, int tag);
  void release(uint32_t slot);
  void erase(uint32_t pos);
  void sift_up(uint32_t pos);
  void sift_down(uint32_t pos);
  void place(uint32_t pos, const Entry& e);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<Entry> heap_;  // min-heap on deadline
  size_t armed_ = 0;
};

}  // namespace sluice::core
