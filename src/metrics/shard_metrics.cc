#include "sluice/metrics/shard_metrics.h"

#include <charconv>

namespace sluice::metrics {
namespace {
constexpr std::string_view kTokenKindNames[kTokenKinds] = {"input", "output", "cached",
                                                           "reasoning"};
constexpr int kMaxStatus = 599;
}  // namespace

// ---- LabelTable ----------------------------------------------------------------------

LabelTable::LabelTable() {
  other_ = insert(kOtherValue);
  add_known("");
  add_known("true");
  add_known("false");
}

uint16_t LabelTable::insert(std::string_view value) {
  auto id = static_cast<uint16_t>(values_.size());
  values_.emplace_back(value);
  ids_.emplace(values_.back(), id);
  return id;
}

void LabelTable::add_known(std::string_view value) {
  if (ids_.find(value) == ids_.end() && values_.size() < 0xffff) insert(value);
}

uint16_t LabelTable::id(std::string_view value) {
  auto it = ids_.find(value);
  if (it != ids_.end()) return it->second;
  if (dynamic_ >= kMaxDynamicValues || values_.size() >= 0xffff) return other_;
  ++dynamic_;
  return insert(value);
}

uint16_t LabelTable::known_id(std::string_view value) const {
  auto it = ids_.find(value);
  return it != ids_.end() ? it->second : other_;
}

// ---- ShardMetrics --------------------------------------------------------------------

ShardMetrics::ShardMetrics() : status_ids_(kMaxStatus + 1, 0xffff) {
  for (std::string_view k : kTokenKindNames) labels_.add_known(k);
}

uint16_t ShardMetrics::status_id(int status) {
  if (status < 0 || status > kMaxStatus) status = 0;
  uint16_t& id = status_ids_[static_cast<size_t>(status)];
  if (id == 0xffff) {
    char buf[8];
    auto r = std::to_chars(buf, buf + sizeof buf, status);
    std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
    labels_.add_known(text);
    id = labels_.id(text);
  }
  return id;
}

void ShardMetrics::record_request(const RequestSample& s) {
  uint16_t route = labels_.id(s.route);
  uint16_t provider = labels_.id(s.provider);
  uint16_t alias = labels_.known_id(s.alias);  // configured aliases and models only
  ++requests_[pack(route, provider, alias, status_id(s.status))];
  Latency& lat = latency_[pack(route, provider)];
  lat.duration.observe(kLatencyBuckets, s.duration_ns);
  if (!s.proxied) return;
  lat.overhead.observe(kOverheadBuckets, s.overhead_ns);
  if (s.ttft_ns != 0)
    ttft_[pack(provider, alias, labels_.id(s.stream ? "true" : "false"))].observe(kLatencyBuckets,
                                                                                  s.ttft_ns);
  bool any = s.cost_nusd != 0;
  for (uint64_t t : s.tokens) any |= t != 0;
  if (!any) return;
  Usage& u = usage_[pack(labels_.id(s.project), alias)];
  for (size_t k = 0; k < kTokenKinds; ++k) u.tokens[k] += s.tokens[k];
  u.cost_nusd += s.cost_nusd;
}

void ShardMetrics::count_refusal(std::string_view error_class, std::string_view project) {
  ++refusals_[pack(labels_.id(error_class), labels_.id(project))];
}

void ShardMetrics::observe_queue_wait(std::string_view project, uint64_t wait_ns) {
  queue_wait_[pack(labels_.id(project))].observe(kLatencyBuckets, wait_ns);
}

void ShardMetrics::snapshot(Snapshot& out) const {
  auto v = [this](uint64_t key, int i) -> const std::string& {
    return labels_.value(part(key, i));
  };
  for (const auto& [k, n] : requests_) out.requests[{v(k, 0), v(k, 1), v(k, 2), v(k, 3)}] += n;
  for (const auto& [k, u] : usage_) {
    for (size_t t = 0; t < kTokenKinds; ++t)
      out.tokens[{std::string(kTokenKindNames[t]), v(k, 0), v(k, 1)}] += u.tokens[t];
    out.cost_nusd[{v(k, 0), v(k, 1)}] += u.cost_nusd;
  }
  for (const auto& [k, l] : latency_) {
    out.duration[{v(k, 0), v(k, 1)}].merge(l.duration);
    if (l.overhead.count) out.overhead[{v(k, 0), v(k, 1)}].merge(l.overhead);
  }
  for (const auto& [k, h] : ttft_) out.ttft[{v(k, 0), v(k, 1), v(k, 2)}].merge(h);
  for (const auto& [k, n] : refusals_) out.refusals[{v(k, 0), v(k, 1)}] += n;
  for (const auto& [k, h] : queue_wait_) out.queue_wait[{v(k, 0)}].merge(h);
}

}  // namespace sluice::metrics
