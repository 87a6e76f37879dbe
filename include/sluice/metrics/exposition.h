#pragma once
// The Prometheus text exposition format, version 0.0.4:
//   # HELP name text            (text: `\` and newline escaped)
//   # TYPE name counter|gauge|histogram
//   name{label="value",...} 12  (value: `\`, `"` and newline escaped)
// Histograms are written as cumulative `_bucket{le=...}` lines ending with
// le="+Inf", then `_sum` and `_count`. Numbers use the shortest form that reads back
// to the same double; integers are written as integers.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "sluice/metrics/histogram.h"

namespace sluice::metrics {

// The Content-Type of a scrape answer.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

struct Label {
  std::string_view name;
  std::string_view value;
};

// `value` with `\`, `"` and newline escaped, as a label value must be.
void append_label_value(std::string& out, std::string_view value);
// A double as the exposition writes it: shortest round-trip form, +Inf, -Inf, NaN.
void append_number(std::string& out, double value);

class ExpositionWriter {
 public:
  // Starts a metric family: its HELP and TYPE lines.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::span<const Label> labels, uint64_t value);
  void sample(std::string_view name, std::span<const Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, uint64_t value) {
    sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
  }
  void sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
  }
  // An amount in 10⁻⁹ units (nano-USD) written as its exact decimal: 2430000 → 0.00243.
  void sample_nano(std::string_view name, std::span<const Label> labels, int64_t nano);
  // One histogram series: `name` is the family name (without _bucket).
  void histogram(std::string_view name, std::span<const Label> labels, const Buckets& buckets,
                 const Histogram& h);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void series(std::string_view name, std::string_view suffix, std::span<const Label> labels,
              const Label* extra);
  std::string out_;
};

}  // namespace sluice::metrics
