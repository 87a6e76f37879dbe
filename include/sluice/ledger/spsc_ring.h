#pragma once
// Bounded lock-free single-producer/single-consumer ring. The producer (a shard) and
// the consumer (the ledger writer) each own one index on its own cache line and keep a
// cached copy of the other's, so a push or pop reads the other side's line only when the
// cached copy says the ring looks full (push) or empty (pop).
//
// Slots are raw storage constructed on push and destroyed on pop: an idle ring costs
// address space, not resident memory, until it has been filled once.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace sluice::ledger {

template <class T>
class SpscRing {
  static_assert(std::is_nothrow_move_constructible_v<T>, "push and pop must not throw");

 public:
  // Capacity is rounded up to a power of two (at least 2) so indices wrap with a mask.
  explicit SpscRing(size_t min_capacity)
      : capacity_(std::bit_ceil(min_capacity < 2 ? size_t{2} : min_capacity)),
        mask_(capacity_ - 1),
        slots_(new Slot[capacity_]) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  ~SpscRing() {
    T sink;
    while (try_pop(sink)) {
    }
  }

  size_t capacity() const { return capacity_; }

  // Producer only. Moves from `value` only when it returns true.
  bool try_push(T&& value) noexcept {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - producer_cached_head_ >= capacity_) {
      producer_cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - producer_cached_head_ >= capacity_) return false;
    }
    ::new (slot(tail)) T(std::move(value));
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Producer only: an upper bound of the fill level from the producer's own cached view
  // of the consumer index, refreshed once the bound reaches `threshold`. Reads the
  // consumer's cache line about once per `threshold` pushes.
  bool producer_fill_at_least(size_t threshold) noexcept {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - producer_cached_head_ < threshold) return false;
    producer_cached_head_ = head_.load(std::memory_order_acquire);
    return tail - producer_cached_head_ >= threshold;
  }

  // Consumer only.
  bool try_pop(T& out) noexcept {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == consumer_cached_tail_) {
      consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == consumer_cached_tail_) return false;
    }
    T* item = std::launder(reinterpret_cast<T*>(slot(head)));
    out = std::move(*item);
    item->~T();
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer only: pops at most `max` items (those present when it starts), handing each
  // to `sink(T&&)`. Publishes the freed slots once, at the end. Returns how many.
  template <class Sink>
  size_t drain(size_t max, Sink&& sink) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    consumer_cached_tail_ = tail_.load(std::memory_order_acquire);
    uint64_t available = consumer_cached_tail_ - head;
    const uint64_t n = available < max ? available : max;
    for (uint64_t i = 0; i < n; ++i) {
      T* item = std::launder(reinterpret_cast<T*>(slot(head + i)));
      sink(std::move(*item));
      item->~T();
    }
    head_.store(head + n, std::memory_order_release);
    return static_cast<size_t>(n);
  }

  // Either side; exact only when the other side is idle.
  size_t size_approx() const {
    return static_cast<size_t>(tail_.load(std::memory_order_acquire) -
                               head_.load(std::memory_order_acquire));
  }

 private:
  struct Slot {
    alignas(T) std::byte bytes[sizeof(T)];
  };

  std::byte* slot(uint64_t index) { return slots_[index & mask_].bytes; }

  const size_t capacity_;
  const uint64_t mask_;
  const std::unique_ptr<Slot[]> slots_;
  // Consumer side: its index, and its last look at the producer's.
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t consumer_cached_tail_ = 0;
  // Producer side: its index, and its last look at the consumer's.
  alignas(64) std::atomic<uint64_t> tail_{0};
  uint64_t producer_cached_head_ = 0;
};

}  // namespace sluice::ledger
