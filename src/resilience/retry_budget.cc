#include "sluice/resilience/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace sluice::resilience {

uint64_t RetryBudget::bucket_ms() const {
  return std::max<uint64_t>(1, settings_.window_ms / kBuckets);
}

RetryBudget::Bucket& RetryBudget::current(uint64_t now_ms) {
  uint64_t epoch = now_ms / bucket_ms();
  Bucket& b = buckets_[epoch % kBuckets];
  if (b.epoch != epoch) b = Bucket{epoch, 0, 0};
  return b;
}

uint64_t RetryBudget::requests(uint64_t now_ms) {
  uint64_t epoch = now_ms / bucket_ms(), sum = 0;
  for (const Bucket& b : buckets_)
    if (b.epoch != UINT64_MAX && b.epoch + kBuckets > epoch && b.epoch <= epoch) sum += b.requests;
  return sum;
}

uint64_t RetryBudget::retries(uint64_t now_ms) {
  uint64_t epoch = now_ms / bucket_ms(), sum = 0;
  for (const Bucket& b : buckets_)
    if (b.epoch != UINT64_MAX && b.epoch + kBuckets > epoch && b.epoch <= epoch) sum += b.retries;
  return sum;
}

void RetryBudget::on_request(uint64_t now_ms) { ++current(now_ms).requests; }

bool RetryBudget::try_retry(uint64_t now_ms) {
  double allowed = std::floor(settings_.ratio * static_cast<double>(requests(now_ms)));
  uint64_t limit = std::max<uint64_t>(settings_.min_retries, static_cast<uint64_t>(allowed));
  if (retries(now_ms) >= limit) return false;
  ++current(now_ms).retries;
  return true;
}

}  // namespace sluice::resilience
