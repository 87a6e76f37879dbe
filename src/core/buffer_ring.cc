#include "sluice/core/buffer_ring.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace sluice::core {

BufferRing::BufferRing(io_uring& ring, uint16_t group_id, uint32_t count, uint32_t buffer_size)
    : ring_(ring), group_id_(group_id), count_(count), buffer_size_(buffer_size), buffers_(count) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0)
    throw std::runtime_error("buffer ring size must be a power of two <= 32768");
  br_bytes_ = sizeof(io_uring_buf) * count;
  void* mem = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap of buffer ring failed");
  br_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br_);

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  int rc = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (rc != 0) {
    munmap(br_, br_bytes_);
    throw std::runtime_error(std::string("io_uring_register_buf_ring: ") + strerror(-rc) +
                             " (provided-buffer rings need Linux 5.19 or newer)");
  }
  size_t total = static_cast<size_t>(count) * buffer_size;
  mem = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap of receive buffers failed");
  memory_ = static_cast<char*>(mem);
  int mask = io_uring_buf_ring_mask(count);
  for (uint32_t i = 0; i < count; ++i) {
    buffers_[i].owner = this;
    buffers_[i].id = static_cast<uint16_t>(i);
    io_uring_buf_ring_add(br_, memory_ + static_cast<size_t>(i) * buffer_size, buffer_size,
                          static_cast<uint16_t>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br_, static_cast<int>(count));
}

BufferRing::~BufferRing() {
  io_uring_unregister_buf_ring(&ring_, group_id_);
  if (memory_) munmap(memory_, static_cast<size_t>(count_) * buffer_size_);
  if (br_) munmap(br_, br_bytes_);
}

Slice BufferRing::take(uint16_t buffer_id, uint32_t len) {
  ++in_use_;
  Buffer& b = buffers_[buffer_id];
  return Slice(&b, memory_ + static_cast<size_t>(buffer_id) * buffer_size_, len);
}

void BufferRing::give_back(uint16_t id) {
  --in_use_;
  io_uring_buf_ring_add(br_, memory_ + static_cast<size_t>(id) * buffer_size_, buffer_size_, id,
                        io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(br_, 1);
  if (starved_ && in_use_ < count_ / 2) {
    starved_ = false;
    if (on_replenished_) on_replenished_();
  }
}

}  // namespace sluice::core
