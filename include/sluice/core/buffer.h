#pragma once
// Refcounted byte slices. A received buffer is shared, not copied: the relay sends the
// same bytes it received, the scanners read them in place, and the buffer goes back to
// its owner (the shard's provided-buffer ring, or the heap) when the last Slice that
// holds it is destroyed. Single-threaded: a Slice never leaves the shard that made it.

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::core {

// Storage that Slices point into. `release()` runs when the last reference goes.
class Chunk {
 public:
  void retain() { ++refs_; }
  void unref() {
    if (--refs_ == 0) release();
  }
  uint32_t refs() const { return refs_; }
  // Bytes of memory this chunk keeps alive: its whole buffer, not what the slices view.
  // 0 when unknown (the holder then counts the slices' bytes instead).
  virtual size_t footprint() const { return 0; }

  // Send-queue accounting (net::Stream): a queue counts a chunk's footprint once, however
  // many of its slices wait in it, so a backlog is measured by the memory it pins. One
  // queue at a time holds that charge; another queue counts its slices by their bytes.
  const void* charged_to = nullptr;  // the queue that counts this chunk's footprint
  uint32_t charged_slices = 0;       // that queue's slices of this chunk

 protected:
  virtual ~Chunk() = default;
  virtual void release() = 0;
  uint32_t refs_ = 0;
};

// Heap-owned bytes: responses the gateway writes itself (heads, error bodies).
class HeapChunk final : public Chunk {
 public:
  explicit HeapChunk(std::string bytes) : bytes_(std::move(bytes)) {}
  const std::string& bytes() const { return bytes_; }
  size_t footprint() const override { return sizeof(*this) + bytes_.capacity(); }

 private:
  void release() override { delete this; }
  std::string bytes_;
};

class Slice {
 public:
  Slice() = default;
  Slice(Chunk* chunk, const char* data, size_t len) : chunk_(chunk), data_(data), len_(len) {
    if (chunk_) chunk_->retain();
  }
  // A slice over a new heap chunk holding `bytes`.
  static Slice copy_of(std::string bytes) {
    auto* c = new HeapChunk(std::move(bytes));
    return Slice(c, c->bytes().data(), c->bytes().size());
  }
  // A slice over memory that lives for the whole process (literals); no refcount.
  static Slice from_static(std::string_view bytes) {
    return Slice(nullptr, bytes.data(), bytes.size());
  }
  Slice(const Slice& o) : Slice(o.chunk_, o.data_, o.len_) {}
  Slice(Slice&& o) noexcept : chunk_(o.chunk_), data_(o.data_), len_(o.len_) {
    o.chunk_ = nullptr;
    o.data_ = nullptr;
    o.len_ = 0;
  }
  Slice& operator=(Slice o) noexcept {
    std::swap(chunk_, o.chunk_);
    std::swap(data_, o.data_);
    std::swap(len_, o.len_);
    return *this;
  }
  ~Slice() {
    if (chunk_) chunk_->unref();
  }

  const char* data() const { return data_; }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  std::string_view view() const { return {data_, len_}; }
  // The storage this slice points into; null for static bytes.
  Chunk* chunk() const { return chunk_; }
  // A sub-range sharing the same chunk.
  Slice sub(size_t off, size_t n = SIZE_MAX) const {
    if (off > len_) off = len_;
    if (n > len_ - off) n = len_ - off;
    return Slice(chunk_, data_ + off, n);
  }
  void remove_prefix(size_t n) {
    if (n > len_) n = len_;
    data_ += n;
    len_ -= n;
  }

 private:
  Chunk* chunk_ = nullptr;
  const char* data_ = nullptr;
  size_t len_ = 0;
};

// Small bytes that many slices share: chunk-size lines of a re-framed body, response
// heads. They are copied into one block; the block is reused from its start whenever no
// slice of it is left (only the arena holds it), so steady traffic allocates nothing per
// piece, and a new block is made only while the old one is full and still in a send
// queue. Single-threaded, like every Slice.
class ScratchArena {
 public:
  explicit ScratchArena(size_t block_bytes = 1024 - 64) : block_bytes_(block_bytes) {}
  ScratchArena(const ScratchArena&) = delete;
  ScratchArena& operator=(const ScratchArena&) = delete;
  ~ScratchArena() {
    if (block_) block_->unref();
  }

  // A slice holding a copy of `bytes` (longer than a block: a chunk of their own).
  Slice put(std::string_view bytes) {
    if (bytes.size() > block_bytes_) return Slice::copy_of(std::string(bytes));
    if (block_ && block_->refs() == 1) block_->used = 0;  // nothing else holds it
    if (!block_ || block_->used + bytes.size() > block_->cap) {
      if (block_) block_->unref();
      block_ = Block::make(block_bytes_);
      ++blocks_made_;
    }
    char* at = block_->data() + block_->used;
    bytes.copy(at, bytes.size());
    block_->used += bytes.size();
    return Slice(block_, at, bytes.size());
  }
  size_t block_bytes() const { return block_bytes_; }
  uint64_t blocks_made() const { return blocks_made_; }

 private:
  // A block's bytes follow it in the same allocation.
  struct Block final : Chunk {
    static Block* make(size_t cap) {
      auto* b = new (::operator new(sizeof(Block) + cap)) Block;
      b->cap = cap;
      b->retain();  // the arena's reference
      return b;
    }
    char* data() { return reinterpret_cast<char*>(this + 1); }
    size_t footprint() const override { return sizeof(Block) + cap; }
    void release() override {
      this->~Block();
      ::operator delete(this);
    }
    size_t used = 0;
    size_t cap = 0;
  };
  size_t block_bytes_;
  Block* block_ = nullptr;  // one reference held by the arena
  uint64_t blocks_made_ = 0;
};

}  // namespace sluice::core
