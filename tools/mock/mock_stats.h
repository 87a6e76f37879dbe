#pragma once
// Counters for GET /mock/stats. Each shard writes only its own block (no contended cache
// line on the request path); the stats endpoint sums all blocks.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "fault.h"
#include "mock_route.h"

namespace sluice::mock {

inline constexpr size_t kFaultKinds = static_cast<size_t>(FaultSpec::Kind::refuse) + 1;

struct alignas(64) ShardStats {
  std::array<std::atomic<uint64_t>, kApiCount> requests{};  // by endpoint
  std::atomic<uint64_t> status_2xx{0};
  std::atomic<uint64_t> status_4xx{0};
  std::atomic<uint64_t> status_5xx{0};
  std::atomic<uint64_t> status_429{0};    // every 429, injected or from the limits
  std::atomic<uint64_t> rate_limited{0};  // 429s from --rpm / --tpm
  std::array<std::atomic<uint64_t>, kFaultKinds> faults{};  // by FaultSpec::Kind
  std::atomic<uint64_t> streams_started{0};
  std::atomic<uint64_t> streams_completed{0};  // ended with the terminating chunk
  std::atomic<int64_t> streams_open{0};

  // Only the owning shard writes, so a plain load and store is enough (and cheaper than
  // a locked add); readers see a recent value.
  template <typename T>
  static void bump(std::atomic<T>& c, T by = 1) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  void count_status(int status);
};

class MockStats {
 public:
  explicit MockStats(size_t shards);
  // Shard `index`'s block: only that shard writes it.
  ShardStats& shard(unsigned index);
  // {"requests":{"openai_chat":N,...,"total":N},"responses":{...},"faults":{...},...}
  std::string json() const;

 private:
  size_t count_;
  std::unique_ptr<ShardStats[]> blocks_;
};

}  // namespace sluice::mock
