#pragma once
#include <cstdint>
#include <ctime>

namespace sluice::core {

// Monotonic time in nanoseconds (CLOCK_MONOTONIC): deadlines and latencies.
inline uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Wall-clock Unix milliseconds: ledger timestamps.
inline uint64_t wall_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000ull + static_cast<uint64_t>(ts.tv_nsec) / 1000000ull;
}

// Wall-clock Unix nanoseconds: span timestamps.
inline uint64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline constexpr uint64_t ms_to_ns(uint64_t ms) { return ms * 1000000ull; }

}  // namespace sluice::core
