#include "sluice/core/timer.h"

namespace sluice::core {

void Timer::arm(TimerQueue& q, uint64_t deadline_ns, TimerTarget* target, int tag) {
  if (queue_ != &q) {
    cancel();
    queue_ = &q;
    slot_ = q.allocate(this);
  }
  q.set(slot_, deadline_ns, target, tag);
}

void Timer::cancel() {
  if (!queue_) return;
  queue_->release(slot_);
  queue_ = nullptr;
}

uint32_t TimerQueue::allocate(Timer* t) {
  uint32_t s;
  if (!free_.empty()) {
    s = free_.back();
    free_.pop_back();
  } else {
    s = static_cast<uint32_t>(slots_.size());
    slots_.push_back({});
  }
  slots_[s].timer = t;
  slots_[s].heap_pos = kNotQueued;
  ++armed_;
  return s;
}

void TimerQueue::set(uint32_t slot, uint64_t deadline, TimerTarget* target, int tag) {
  Slot& s = slots_[slot];
  s.target = target;
  s.tag = tag;
  if (s.heap_pos == kNotQueued) {
    heap_.push_back({deadline, slot});
    s.heap_pos = static_cast<uint32_t>(heap_.size() - 1);
    sift_up(s.heap_pos);
    return;
  }
  uint32_t pos = s.heap_pos;
  uint64_t before = heap_[pos].deadline;
  heap_[pos].deadline = deadline;
  if (deadline < before) {
    sift_up(pos);
  } else if (deadline > before) {
    sift_down(pos);
  }
}

void TimerQueue::release(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.heap_pos != kNotQueued) erase(s.heap_pos);
  s.heap_pos = kNotQueued;
  s.timer = nullptr;
  s.target = nullptr;
  free_.push_back(slot);
  --armed_;
}

// Removes the entry at `pos`: the last entry takes its place and moves whichever way
// restores the heap.
void TimerQueue::erase(uint32_t pos) {
  slots_[heap_[pos].slot].heap_pos = kNotQueued;
  Entry last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  place(pos, last);
  sift_up(pos);
  sift_down(slots_[last.slot].heap_pos);
}

void TimerQueue::place(uint32_t pos, const Entry& e) {
  heap_[pos] = e;
  slots_[e.slot].heap_pos = pos;
}

void TimerQueue::sift_up(uint32_t pos) {
  Entry e = heap_[pos];
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (heap_[parent].deadline <= e.deadline) break;
    place(pos, heap_[parent]);
    pos = parent;
  }
  place(pos, e);
}

void TimerQueue::sift_down(uint32_t pos) {
  Entry e = heap_[pos];
  size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * size_t{pos} + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1].deadline < heap_[child].deadline) ++child;
    if (heap_[child].deadline >= e.deadline) break;
    place(pos, heap_[child]);
    pos = static_cast<uint32_t>(child);
  }
  place(pos, e);
}

uint64_t TimerQueue::next_deadline() { return heap_.empty() ? UINT64_MAX : heap_.front().deadline; }

void TimerQueue::fire_due(uint64_t now_ns) {
  while (!heap_.empty() && heap_.front().deadline <= now_ns) {
    uint32_t slot = heap_.front().slot;
    Slot& s = slots_[slot];
    TimerTarget* target = s.target;
    int tag = s.tag;
    s.timer->queue_ = nullptr;
    release(slot);
    target->on_timer(tag);  // may re-arm or destroy the owner
  }
}

}  // namespace sluice::core
