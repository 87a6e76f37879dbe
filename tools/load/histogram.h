#pragma once
// A log-linear latency histogram in the manner of HdrHistogram, small enough to own one
// per thread per metric and merge at the end.
//
// Values are unsigned integers in whatever unit the caller records (microseconds for
// latencies). Values below 2^(bits+1) get a bucket each; above that every power-of-two
// range is cut into 2^bits equal buckets, so a bucket is never wider than 1/2^bits of its
// lower bound. With the default bits = 7 that is 0.78% wide, and a percentile (reported
// at the bucket's middle) is within 0.4% of a recorded value. Values up to 2^40 - 1
// (12.7 days in microseconds) are kept; larger ones are counted in the last bucket, and
// min / max / sum stay exact.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::load {

class Histogram {
 public:
  static constexpr unsigned kDefaultBits = 7;
  static constexpr unsigned kMaxValueBits = 40;

  explicit Histogram(unsigned bits = kDefaultBits);

  void record(uint64_t value) { record_n(value, 1); }
  void record_n(uint64_t value, uint64_t n);
  // Adds every count of `other`, which must have the same bits.
  void merge(const Histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  double stddev() const;
  // The value below which a share `q` (0..1) of the recorded values lie: the middle of
  // the bucket holding the ceil(q * count)-th smallest value, kept within [min, max].
  // 0 when empty; q >= 1 gives the exact max.
  uint64_t percentile(double q) const;

  unsigned bits() const { return bits_; }
  size_t bucket_count() const { return counts_.size(); }
  size_t bucket_of(uint64_t value) const;
  uint64_t bucket_lower(size_t index) const;
  uint64_t bucket_width(size_t index) const;
  uint64_t bucket_value(size_t index) const { return counts_[index]; }
  // Adds `n` to bucket `index` without touching min/max/sum beyond what the bucket
  // says: for rebuilding a histogram from a sparse copy (the per-second timeline).
  void add_to_bucket(size_t index, uint64_t n);

 private:
  unsigned bits_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
  double sum_squares_ = 0;  // for stddev; double so that long runs cannot overflow it
};

}  // namespace sluice::load
