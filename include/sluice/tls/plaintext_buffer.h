#pragma once
// Where a TLS stream decrypts to. Plaintext from SSL_read is packed, read after read,
// into 16 KiB blocks taken from a per-thread pool, and each read becomes a Slice of its
// block: a stream of small records (SSE events, one per record) fills one block with
// many events instead of pinning a 16 KiB buffer per event. A block goes back to the
// pool when the last Slice into it is gone; a stream with nothing in flight holds none,
// so idle pooled connections pin no plaintext memory (like SSL_MODE_RELEASE_BUFFERS).
//
// Single-threaded like every Slice: blocks are made, filled and returned on the shard
// thread that owns the stream.

#include <cstddef>
#include <span>

#include "sluice/core/buffer.h"

namespace sluice::tls {

class PlaintextBuffer {
 public:
  static constexpr std::size_t kBlockSize = 16 * 1024;
  // A read gets a fresh block when the current one has less room than this: a TLS
  // record holds at most 16 KiB, and slicing records into tiny pieces helps nobody.
  static constexpr std::size_t kMinRoom = 2 * 1024;

  PlaintextBuffer() = default;
  PlaintextBuffer(const PlaintextBuffer&) = delete;
  PlaintextBuffer& operator=(const PlaintextBuffer&) = delete;
  ~PlaintextBuffer() { release(); }

  // Room for the next read, at least kMinRoom bytes; empty only when out of memory.
  std::span<char> room();
  // The first `n` bytes of the last room() now hold plaintext: a Slice of them.
  core::Slice commit(std::size_t n);
  // Lets go of the current block: at once back to the pool when no Slice holds it.
  void release();
  // True when a block is held and no Slice views it any more.
  bool unshared() const;

  // Blocks made and not yet freed by this thread (in use or pooled), for tests.
  static std::size_t blocks_alive();
  // Blocks waiting in this thread's pool.
  static std::size_t blocks_pooled();

  class Block;

 private:
  Block* block_ = nullptr;  // the block being filled; this buffer holds one reference
  std::size_t used_ = 0;    // bytes of it already handed out
};

}  // namespace sluice::tls
