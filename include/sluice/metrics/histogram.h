#pragma once
// Fixed-bucket histograms of durations. A shard observes nanoseconds with integer
// compares (no floating point on the request path); the exposition shows seconds.

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::metrics {

inline constexpr size_t kMaxBounds = 16;

// Upper bounds of the buckets (inclusive, as Prometheus' `le`), ascending, nanoseconds.
struct Buckets {
  const uint64_t* bounds_ns;
  size_t count;  // <= kMaxBounds
};

// Whole requests, first tokens, queue waits: 5 ms .. 5 min.
extern const Buckets kLatencyBuckets;
// Time sluice itself adds to a request: 10 µs .. 1 s.
extern const Buckets kOverheadBuckets;

struct Histogram {
  // Per bucket, not cumulative; counts[bounds.count] holds what lies above every bound.
  std::array<uint64_t, kMaxBounds + 1> counts{};
  uint64_t sum_ns = 0;
  uint64_t count = 0;

  void observe(const Buckets& b, uint64_t ns) {
    size_t i = 0;
    while (i < b.count && ns > b.bounds_ns[i]) ++i;
    ++counts[i];
    sum_ns += ns;
    ++count;
  }
  void merge(const Histogram& o) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    sum_ns += o.sum_ns;
    count += o.count;
  }
};

}  // namespace sluice::metrics
