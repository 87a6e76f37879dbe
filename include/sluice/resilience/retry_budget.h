#pragma once
// A retry budget for one provider on one shard: over a sliding window, retries may be at
// most `ratio` of the requests (plus a small floor so a quiet gateway can still retry
// at all). A provider that fails every request then sees at most (1 + ratio) times the
// traffic the clients send, never a retry storm.
//
// Per shard by design: a shard decides with plain arithmetic and no shared memory, and
// since each shard keeps to the ratio, so does the process (the floor adds at most
// `min_retries` per shard and window).

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::resilience {

class RetryBudget {
 public:
  struct Settings {
    double ratio = 0.2;        // retries per request allowed over the window
    uint32_t min_retries = 3;  // retries always allowed per window
    uint32_t window_ms = 10000;
  };
  RetryBudget() = default;
  explicit RetryBudget(const Settings& s) : settings_(s) {}
  void set(const Settings& s) { settings_ = s; }

  // A client request reached this provider (first tries only, never retries).
  void on_request(uint64_t now_ms);
  // Takes one retry from the budget: false when the budget is spent.
  bool try_retry(uint64_t now_ms);

  uint64_t requests(uint64_t now_ms);
  uint64_t retries(uint64_t now_ms);

 private:
  static constexpr size_t kBuckets = 10;
  struct Bucket {
    uint64_t epoch = UINT64_MAX;
    uint32_t requests = 0;
    uint32_t retries = 0;
  };
  Bucket& current(uint64_t now_ms);
  uint64_t bucket_ms() const;

  Settings settings_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace sluice::resilience
