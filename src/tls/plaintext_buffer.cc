#include "sluice/tls/plaintext_buffer.h"

#include <new>
#include <vector>

namespace sluice::tls {

namespace {

// Enough pooled blocks for a shard's usual burst of decrypted data (1 MiB); more go back
// to the allocator, so a spike of slow HTTPS streams does not stay resident forever.
constexpr std::size_t kMaxPooled = 64;

struct Pool {
  std::vector<PlaintextBuffer::Block*> free;
  std::size_t alive = 0;
  ~Pool();
};

// A block released after its thread's pool is gone (a Slice outliving the shard) is
// freed instead of pooled: the flag is trivially destructible and outlives `pool`.
thread_local bool pool_gone = false;
thread_local Pool pool;

}  // namespace

class PlaintextBuffer::Block final : public core::Chunk {
 public:
  char bytes[kBlockSize];
  std::size_t footprint() const override { return sizeof(Block); }

  static Block* take() {
    if (!pool_gone && !pool.free.empty()) {
      Block* b = pool.free.back();
      pool.free.pop_back();
      return b;
    }
    Block* b = new (std::nothrow) Block;
    if (b != nullptr && !pool_gone) ++pool.alive;
    return b;
  }

 private:
  void release() override {
    if (!pool_gone && pool.free.size() < kMaxPooled) {
      pool.free.push_back(this);
      return;
    }
    if (!pool_gone) --pool.alive;
    delete this;
  }
  friend struct Pool;
};

Pool::~Pool() {
  pool_gone = true;
  for (PlaintextBuffer::Block* b : free) delete b;
  free.clear();
}

std::span<char> PlaintextBuffer::room() {
  if (block_ != nullptr && kBlockSize - used_ < kMinRoom) release();
  if (block_ == nullptr) {
    block_ = Block::take();
    if (block_ == nullptr) return {};
    block_->retain();
    used_ = 0;
  }
  return {block_->bytes + used_, kBlockSize - used_};
}

core::Slice PlaintextBuffer::commit(std::size_t n) {
  if (block_ == nullptr || n == 0) return {};
  core::Slice s(block_, block_->bytes + used_, n);
  used_ += n;
  return s;
}

void PlaintextBuffer::release() {
  if (block_ == nullptr) return;
  Block* b = block_;
  block_ = nullptr;
  used_ = 0;
  b->unref();
}

bool PlaintextBuffer::unshared() const { return block_ != nullptr && block_->refs() == 1; }

std::size_t PlaintextBuffer::blocks_alive() { return pool_gone ? 0 : pool.alive; }
std::size_t PlaintextBuffer::blocks_pooled() { return pool_gone ? 0 : pool.free.size(); }

}  // namespace sluice::tls
