#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace sluice::load {
namespace {

unsigned floor_log2(uint64_t v) { return 63u - static_cast<unsigned>(__builtin_clzll(v)); }

}  // namespace

Histogram::Histogram(unsigned bits) : bits_(bits) {
  // Indices run up to bucket_of(2^kMaxValueBits - 1).
  counts_.assign(static_cast<size_t>(kMaxValueBits + 1 - bits_) << bits_, 0);
}

size_t Histogram::bucket_of(uint64_t value) const {
  if (value >> kMaxValueBits) value = (uint64_t{1} << kMaxValueBits) - 1;
  unsigned shift = 0;
  if (value >> (bits_ + 1)) shift = floor_log2(value) - bits_;
  return (static_cast<size_t>(shift) << bits_) + static_cast<size_t>(value >> shift);
}

uint64_t Histogram::bucket_lower(size_t index) const {
  if (index < (size_t{2} << bits_)) return index;
  unsigned shift = static_cast<unsigned>(index >> bits_) - 1;
  uint64_t sub = index - (static_cast<size_t>(shift) << bits_);
  return sub << shift;
}

uint64_t Histogram::bucket_width(size_t index) const {
  if (index < (size_t{2} << bits_)) return 1;
  return uint64_t{1} << ((index >> bits_) - 1);
}

void Histogram::record_n(uint64_t value, uint64_t n) {
  if (n == 0) return;
  counts_[bucket_of(value)] += n;
  count_ += n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value * n;
  double v = static_cast<double>(value);
  sum_squares_ += v * v * static_cast<double>(n);
}

void Histogram::add_to_bucket(size_t index, uint64_t n) {
  if (n == 0 || index >= counts_.size()) return;
  counts_[index] += n;
  count_ += n;
  uint64_t lower = bucket_lower(index);
  uint64_t upper = lower + bucket_width(index) - 1;
  min_ = std::min(min_, lower);
  max_ = std::max(max_, upper);
  double mid = static_cast<double>(lower) + static_cast<double>(bucket_width(index) - 1) / 2;
  sum_ += static_cast<uint64_t>(mid) * n;
  sum_squares_ += mid * mid * static_cast<double>(n);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  size_t n = std::min(counts_.size(), other.counts_.size());
  for (size_t i = 0; i < n; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

void Histogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
  sum_squares_ = 0;
}

double Histogram::stddev() const {
  if (count_ < 2) return 0;
  double n = static_cast<double>(count_);
  double m = static_cast<double>(sum_) / n;
  double var = sum_squares_ / n - m * m;
  return var > 0 ? std::sqrt(var) : 0;
}

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  if (q < 0) q = 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t mid = bucket_lower(i) + (bucket_width(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace sluice::load
