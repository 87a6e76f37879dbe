#include "sluice/resilience/backoff.h"

#include <algorithm>

namespace sluice::resilience {

uint64_t Jitter::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Jitter::below_or_equal(uint64_t bound) {
  if (bound == UINT64_MAX) return next();
  return next() % (bound + 1);
}

uint64_t backoff_ceiling_ms(uint32_t retry, uint32_t base_ms, uint32_t cap_ms) {
  uint64_t ceiling = base_ms;
  for (uint32_t i = 0; i < retry && ceiling < cap_ms; ++i) ceiling *= 2;
  return std::min<uint64_t>(ceiling, cap_ms);
}

uint64_t full_jitter_ms(uint32_t retry, uint32_t base_ms, uint32_t cap_ms, Jitter& jitter) {
  return jitter.below_or_equal(backoff_ceiling_ms(retry, base_ms, cap_ms));
}

}  // namespace sluice::resilience
