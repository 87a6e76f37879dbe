#pragma once
// One shard's metrics: plain counters and histograms that only the shard's own thread
// touches (no atomics, no locks on the request path). A scrape asks each shard for a
// Snapshot on the shard's own loop and merges them (see MetricsHub).
//
// Label values are interned per shard into small ids, so recording a request is a few
// hash lookups on packed integer keys. Values not known at start (a model name a
// client sent on the native surface) are capped: past kMaxDynamicValues distinct ones,
// further values are counted under "other", so clients cannot grow the memory or the
// scrape without bound.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/metrics/histogram.h"
#include "sluice/metrics/snapshot.h"

namespace sluice::metrics {

inline constexpr size_t kMaxDynamicValues = 1024;
inline constexpr std::string_view kOtherValue = "other";

enum class TokenKind : uint8_t { input, output, cached, reasoning };
inline constexpr size_t kTokenKinds = 4;

// Label values of one shard, interned to 16-bit ids.
class LabelTable {
 public:
  LabelTable();
  // Interns `value`; past the dynamic cap an unknown value maps to "other".
  uint16_t id(std::string_view value);
  // Interns without counting against the cap (names from the config, fixed names).
  void add_known(std::string_view value);
  // The id of a value interned already; any other value is "other". For labels whose
  // values a client chooses (the model it names), so only configured names appear.
  uint16_t known_id(std::string_view value) const;
  const std::string& value(uint16_t id) const { return values_[id]; }
  size_t size() const { return values_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  uint16_t insert(std::string_view value);
  std::unordered_map<std::string, uint16_t, Hash, std::equal_to<>> ids_;
  std::vector<std::string> values_;
  size_t dynamic_ = 0;
  uint16_t other_ = 0;
};

// What one finished request adds to the metrics.
struct RequestSample {
  std::string_view route;     // "chat_completions", "anthropic", ...
  std::string_view provider;  // empty when it never reached one
  std::string_view alias;     // model alias, or the model named on the native surface
  std::string_view project;
  int status = 0;
  uint64_t duration_ns = 0;  // arrival to the last byte handed to the client
  bool proxied = false;      // went to a provider: the fields below apply
  bool stream = false;
  uint64_t ttft_ns = 0;      // arrival to the first body byte; 0: none came
  uint64_t overhead_ns = 0;  // time sluice itself added (docs/METRICS.md)
  uint64_t tokens[kTokenKinds] = {};
  int64_t cost_nusd = 0;  // nano-USD
};

class ShardMetrics {
 public:
  ShardMetrics();

  // Names known from the config (projects, aliases, providers): interned up front so
  // they never count against the dynamic cap.
  void add_known_value(std::string_view value) { labels_.add_known(value); }

  // ---- the request path: each call is a few hash lookups, no allocation once a label
  // combination has been seen ----
  void record_request(const RequestSample& s);
  // A request sluice refused itself (its error class: "unauthorized", "rate_limited",
  // "budget_exceeded", ...), whatever stage refused it.
  void count_refusal(std::string_view error_class, std::string_view project);
  // How long an admitted request waited in a queue before it went on.
  void observe_queue_wait(std::string_view project, uint64_t wait_ns);

  // ---- the scrape, on the shard's own thread ----
  // Adds this shard's counters and histograms to `out`.
  void snapshot(Snapshot& out) const;

 private:
  struct Usage {
    uint64_t tokens[kTokenKinds] = {};
    int64_t cost_nusd = 0;
  };
  struct Latency {
    Histogram duration;
    Histogram overhead;
  };
  static uint64_t pack(uint16_t a, uint16_t b = 0, uint16_t c = 0, uint16_t d = 0) {
    return uint64_t{a} | uint64_t{b} << 16 | uint64_t{c} << 32 | uint64_t{d} << 48;
  }
  static uint16_t part(uint64_t key, int i) { return static_cast<uint16_t>(key >> (16 * i)); }
  uint16_t status_id(int status);

  LabelTable labels_;
  std::vector<uint16_t> status_ids_;                 // HTTP status -> label id, filled on first use
  std::unordered_map<uint64_t, uint64_t> requests_;  // route, provider, alias, status
  std::unordered_map<uint64_t, Usage> usage_;        // project, alias
  std::unordered_map<uint64_t, Latency> latency_;    // route, provider
  std::unordered_map<uint64_t, Histogram> ttft_;     // provider, alias, stream
  std::unordered_map<uint64_t, uint64_t> refusals_;  // error_class, project
  std::unordered_map<uint64_t, Histogram> queue_wait_;  // project
};

}  // namespace sluice::metrics
