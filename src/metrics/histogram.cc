#include "sluice/metrics/histogram.h"

namespace sluice::metrics {
namespace {
constexpr uint64_t kUs = 1000ull;
constexpr uint64_t kMs = 1000000ull;
constexpr uint64_t kS = 1000000000ull;

constexpr uint64_t kLatencyBounds[] = {5 * kMs,   10 * kMs,  25 * kMs, 50 * kMs,   100 * kMs,
                                       250 * kMs, 500 * kMs, 1 * kS,   2500 * kMs, 5 * kS,
                                       10 * kS,   30 * kS,   60 * kS,  120 * kS,   300 * kS};
constexpr uint64_t kOverheadBounds[] = {10 * kUs,  25 * kUs,  50 * kUs,   100 * kUs, 250 * kUs,
                                        500 * kUs, 1 * kMs,   2500 * kUs, 5 * kMs,   10 * kMs,
                                        25 * kMs,  100 * kMs, 1 * kS};
static_assert(sizeof kLatencyBounds / sizeof kLatencyBounds[0] <= kMaxBounds);
static_assert(sizeof kOverheadBounds / sizeof kOverheadBounds[0] <= kMaxBounds);
}  // namespace

const Buckets kLatencyBuckets{kLatencyBounds, sizeof kLatencyBounds / sizeof kLatencyBounds[0]};
const Buckets kOverheadBuckets{kOverheadBounds, sizeof kOverheadBounds / sizeof kOverheadBounds[0]};

}  // namespace sluice::metrics
