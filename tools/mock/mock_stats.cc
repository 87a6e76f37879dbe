#include "mock_stats.h"

#include <stdexcept>

#include "wire_format.h"

namespace sluice::mock {
namespace {

void field(std::string& out, std::string_view name, uint64_t v, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += name;
  out += "\":";
  append_uint(out, v);
}

}  // namespace

void ShardStats::count_status(int status) {
  if (status >= 200 && status < 300) bump(status_2xx);
  if (status >= 400 && status < 500) bump(status_4xx);
  if (status >= 500) bump(status_5xx);
  if (status == 429) bump(status_429);
}

MockStats::MockStats(size_t shards)
    : count_(shards ? shards : 1), blocks_(std::make_unique<ShardStats[]>(count_)) {}

ShardStats& MockStats::shard(unsigned index) {
  if (index >= count_) throw std::logic_error("more mock shards than stats blocks");
  return blocks_[index];
}

std::string MockStats::json() const {
  auto sum = [this](auto pick) {
    uint64_t total = 0;
    for (size_t i = 0; i < count_; ++i)
      total += static_cast<uint64_t>(pick(blocks_[i]).load(std::memory_order_relaxed));
    return total;
  };
  std::string out = "{\"requests\":{";
  uint64_t all = 0;
  for (size_t a = 0; a < kApiCount; ++a) {
    uint64_t n = sum([a](const ShardStats& s) -> const auto& { return s.requests[a]; });
    all += n;
    field(out, api_name(static_cast<Api>(a)), n, a == 0);
  }
  field(out, "total", all);
  out += "},\"responses\":{";
  field(out, "2xx", sum([](const ShardStats& s) -> const auto& { return s.status_2xx; }), true);
  field(out, "4xx", sum([](const ShardStats& s) -> const auto& { return s.status_4xx; }));
  field(out, "5xx", sum([](const ShardStats& s) -> const auto& { return s.status_5xx; }));
  field(out, "429", sum([](const ShardStats& s) -> const auto& { return s.status_429; }));
  out += '}';
  field(out, "rate_limited",
        sum([](const ShardStats& s) -> const auto& { return s.rate_limited; }));
  out += ",\"faults\":{";
  uint64_t faults = 0;
  for (size_t k = 1; k < kFaultKinds; ++k) {
    uint64_t n = sum([k](const ShardStats& s) -> const auto& { return s.faults[k]; });
    faults += n;
    field(out, fault_name(static_cast<FaultSpec::Kind>(k)), n, k == 1);
  }
  field(out, "total", faults);
  out += '}';
  field(out, "streams_started",
        sum([](const ShardStats& s) -> const auto& { return s.streams_started; }));
  field(out, "streams_completed",
        sum([](const ShardStats& s) -> const auto& { return s.streams_completed; }));
  int64_t open = 0;
  for (size_t i = 0; i < count_; ++i)
    open += blocks_[i].streams_open.load(std::memory_order_relaxed);
  field(out, "streams_open", static_cast<uint64_t>(open < 0 ? 0 : open));
  out += '}';
  return out;
}

}  // namespace sluice::mock
