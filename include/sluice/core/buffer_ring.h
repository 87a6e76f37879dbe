#pragma once
// The shard's provided-buffer ring (io_uring "buffer select"). The kernel picks a free
// buffer for each multishot recv completion; we wrap it in a Slice, and the buffer is
// handed back to the kernel when the last Slice referring to it is gone.
// Registered by hand: liburing 2.3 has no io_uring_setup_buf_ring.

#include <liburing.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "sluice/core/buffer.h"

namespace sluice::core {

class BufferRing {
 public:
  // `count` must be a power of two <= 32768. Throws std::runtime_error on failure.
  BufferRing(io_uring& ring, uint16_t group_id, uint32_t count, uint32_t buffer_size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group_id() const { return group_id_; }
  uint32_t buffer_size() const { return buffer_size_; }
  uint32_t count() const { return count_; }
  uint32_t in_use() const { return in_use_; }

  // Wraps the buffer the kernel filled (id from the CQE flags) as a Slice of `len` bytes.
  Slice take(uint16_t buffer_id, uint32_t len);

  // Called once buffers are back after the ring ran dry (-ENOBUFS), so readers re-arm.
  void set_on_replenished(std::function<void()> fn) { on_replenished_ = std::move(fn); }
  bool starved() const { return starved_; }
  void mark_starved() { starved_ = true; }

 private:
  class Buffer final : public Chunk {
   public:
    BufferRing* owner = nullptr;
    uint16_t id = 0;
    size_t footprint() const override { return owner->buffer_size(); }

   private:
    void release() override { owner->give_back(id); }
  };
  void give_back(uint16_t id);

  io_uring& ring_;
  uint16_t group_id_;
  uint32_t count_;
  uint32_t buffer_size_;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  char* memory_ = nullptr;
  std::vector<Buffer> buffers_;
  uint32_t in_use_ = 0;
  bool starved_ = false;
  std::function<void()> on_replenished_;
};

}  // namespace sluice::core
