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
  slots_[s].deadline = 0;
  ++armed_;
  return s;
}

void TimerQueue::set(uint32_t slot, uint64_t deadline, TimerTarget* target, int tag) {
  Slot& s = slots_[slot];
  s.target = target;
  s.tag = tag;
  // A later deadline with an entry already queued: the entry re-pushes itself when it
  // surfaces. An earlier one (or none yet) needs its own entry.
  bool has_entry = s.deadline != 0;
  if (has_entry && deadline >= s.deadline) {
    s.deadline = deadline;
    return;
  }
  ++s.gen;
  s.deadline = deadline;
  heap_.push({deadline, slot, s.gen});
}

void TimerQueue::release(uint32_t slot) {
  Slot& s = slots_[slot];
  ++s.gen;  // invalidates queued entries
  s.deadline = 0;
  s.timer = nullptr;
  s.target = nullptr;
  free_.push_back(slot);
  --armed_;
}

uint64_t TimerQueue::next_deadline() {
  while (!heap_.empty()) {
    const Entry& e = heap_.top();
    const Slot& s = slots_[e.slot];
    if (s.timer == nullptr || s.gen != e.gen) {
      heap_.pop();
      continue;
    }
    if (s.deadline > e.deadline) {  // lazily extended
      Entry moved{s.deadline, e.slot, e.gen};
      heap_.pop();
      heap_.push(moved);
      continue;
    }
    return e.deadline;
  }
  return UINT64_MAX;
}

void TimerQueue::fire_due(uint64_t now_ns) {
  while (next_deadline() <= now_ns) {
    Entry e = heap_.top();
    heap_.pop();
    Slot& s = slots_[e.slot];
    TimerTarget* target = s.target;
    int tag = s.tag;
    Timer* t = s.timer;
    t->queue_ = nullptr;
    release(e.slot);
    target->on_timer(tag);  // may re-arm or destroy the owner
  }
}

}  // namespace sluice::core
