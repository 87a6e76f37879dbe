// sluice-load's latency histogram (tools/load/histogram.h): percentiles within the
// promised relative error on distributions whose exact percentiles are known, and
// merging that equals recording everything into one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "histogram.h"

namespace sluice::load {
namespace {

// The exact q-quantile of `sorted` by the nearest-rank rule the histogram follows.
uint64_t exact(const std::vector<uint64_t>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[rank - 1];
}

// Within 1% (the promise; the bucket middle is within 0.4%) or one unit.
void expect_close(uint64_t got, uint64_t want) {
  double tolerance = std::max(1.0, 0.01 * static_cast<double>(want));
  EXPECT_LE(std::fabs(static_cast<double>(got) - static_cast<double>(want)), tolerance)
      << "got " << got << ", want " << want;
}

TEST(LoadHistogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LoadHistogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 127u);
  EXPECT_EQ(h.percentile(0.01), 2u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
}

TEST(LoadHistogram, UniformPercentilesWithinOnePercent) {
  Histogram h;
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 1'000'000; v += 7) {
    h.record(v);
    values.push_back(v);
  }
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) expect_close(h.percentile(q), exact(values, q));
  EXPECT_EQ(h.percentile(1.0), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LoadHistogram, LogNormalLatenciesWithinOnePercent) {
  // Latency-like: a long right tail from microseconds to seconds.
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(std::log(2000.0), 1.5);
  Histogram h;
  std::vector<uint64_t> values;
  for (int i = 0; i < 200'000; ++i) {
    uint64_t v = static_cast<uint64_t>(dist(rng));
    h.record(v);
    values.push_back(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) expect_close(h.percentile(q), exact(values, q));
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
}

TEST(LoadHistogram, KeepsHundredSecondsAtMicrosecondResolution) {
  Histogram h;
  h.record(100'000'000);  // 100 s in microseconds
  h.record(1);
  expect_close(h.percentile(1.0), 100'000'000);
  expect_close(h.percentile(0.99), 100'000'000);
  EXPECT_EQ(h.percentile(0.5), 1u);
}

TEST(LoadHistogram, ValuesPastTheRangeKeepExactMax) {
  Histogram h;
  uint64_t huge = uint64_t{1} << 50;
  h.record(huge);
  EXPECT_EQ(h.max(), huge);
  EXPECT_EQ(h.percentile(0.5), huge);  // clamped into [min, max]
}

TEST(LoadHistogram, BucketsAreExactOrNarrowerThanOnePercentOfTheirValue) {
  Histogram h;
  for (size_t i = 0; i < h.bucket_count(); ++i) {
    uint64_t lower = h.bucket_lower(i);
    if (h.bucket_width(i) > 1) {
      EXPECT_LE(static_cast<double>(h.bucket_width(i)) / static_cast<double>(lower), 0.01)
          << "bucket " << i;
    }
    EXPECT_EQ(h.bucket_of(lower), i);
    EXPECT_EQ(h.bucket_of(lower + h.bucket_width(i) - 1), i);
  }
}

TEST(LoadHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> dist(1.0 / 5000);
  Histogram a, b, combined;
  for (int i = 0; i < 50'000; ++i) {
    uint64_t v = static_cast<uint64_t>(dist(rng));
    (i % 3 == 0 ? a : b).record(v);
    combined.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), combined.count());
  EXPECT_EQ(a.min(), combined.min());
  EXPECT_EQ(a.max(), combined.max());
  EXPECT_DOUBLE_EQ(a.mean(), combined.mean());
  for (size_t i = 0; i < a.bucket_count(); ++i)
    ASSERT_EQ(a.bucket_value(i), combined.bucket_value(i));
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999})
    EXPECT_EQ(a.percentile(q), combined.percentile(q));
}

TEST(LoadHistogram, MergeOfEmptyChangesNothing) {
  Histogram a, empty;
  a.record(10);
  a.record(20);
  a.merge(empty);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.min(), 10u);
  EXPECT_EQ(a.max(), 20u);
}

TEST(LoadHistogram, RebuiltFromBucketsGivesTheSamePercentiles) {
  // The per-second timeline stores buckets sparsely and rebuilds histograms from them.
  Histogram h, rebuilt;
  for (uint64_t v = 100; v < 100'000; v = v * 11 / 10) h.record(v);
  for (size_t i = 0; i < h.bucket_count(); ++i) rebuilt.add_to_bucket(i, h.bucket_value(i));
  EXPECT_EQ(rebuilt.count(), h.count());
  for (double q : {0.5, 0.9, 0.99}) expect_close(rebuilt.percentile(q), h.percentile(q));
}

TEST(LoadHistogram, StddevOfConstantIsZero) {
  Histogram h;
  h.record_n(500, 1000);
  EXPECT_EQ(h.stddev(), 0.0);
  EXPECT_EQ(h.mean(), 500.0);
}

}  // namespace
}  // namespace sluice::load
