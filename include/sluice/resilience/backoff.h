#pragma once
// Full-jitter exponential backoff (the "full jitter" of the AWS architecture blog):
// the wait before retry k is uniform in [0, min(cap, base * 2^k)], which spreads the
// retries of many clients that failed together instead of having them return in step.

#include <cstdint>

namespace sluice::resilience {

// A small per-shard random source (splitmix64): no shared state, no lock.
class Jitter {
 public:
  explicit Jitter(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound].
  uint64_t below_or_equal(uint64_t bound);

 private:
  uint64_t state_;
};

// The ceiling of the wait before retry number `retry` (0 for the first retry).
uint64_t backoff_ceiling_ms(uint32_t retry, uint32_t base_ms, uint32_t cap_ms);

// The wait before retry number `retry`, drawn from `jitter`.
uint64_t full_jitter_ms(uint32_t retry, uint32_t base_ms, uint32_t cap_ms, Jitter& jitter);

}  // namespace sluice::resilience
