#include "sluice/server/liveness.h"

namespace sluice::server {

LoopLiveness::LoopLiveness(std::vector<Post> loops)
    : loops_(std::move(loops)),
      answered_(std::make_shared<std::vector<std::atomic<uint64_t>>>(loops_.size())) {}

size_t LoopLiveness::lagging() const {
  size_t n = 0;
  for (const auto& a : *answered_) n += a.load(std::memory_order_acquire) < sent_;
  return n;
}

bool LoopLiveness::probe() {
  bool all = lagging() == 0;
  uint64_t seq = ++sent_;
  for (size_t i = 0; i < loops_.size(); ++i) {
    auto answered = answered_;
    loops_[i]([answered, i, seq] { (*answered)[i].store(seq, std::memory_order_release); });
  }
  return all;
}

}  // namespace sluice::server
