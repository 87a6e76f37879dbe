#include "stats.h"

#include <algorithm>

namespace sluice::load {

const char* transport_error_name(TransportError e) {
  switch (e) {
    case TransportError::connect_refused:
      return "connect_refused";
    case TransportError::connect_timeout:
      return "connect_timeout";
    case TransportError::connect_failed:
      return "connect_failed";
    case TransportError::tls:
      return "tls";
    case TransportError::reset:
      return "reset";
    case TransportError::closed:
      return "closed";
    case TransportError::timeout:
      return "timeout";
    case TransportError::protocol:
      return "protocol";
    case TransportError::io:
      return "io";
  }
  return "?";
}

uint64_t ProjectStats::transport_errors() const {
  uint64_t n = 0;
  for (uint64_t v : transport) n += v;
  return n;
}

void ProjectStats::count_error_class(std::string_view cls) {
  for (auto& [name, n] : error_classes) {
    if (name == cls) {
      ++n;
      return;
    }
  }
  error_classes.emplace_back(std::string(cls), 1);
}

void ProjectStats::merge(const ProjectStats& o) {
  sent += o.sent;
  responses += o.responses;
  ok += o.ok;
  bytes_out += o.bytes_out;
  bytes_in += o.bytes_in;
  input_tokens += o.input_tokens;
  output_tokens += o.output_tokens;
  usage_reported += o.usage_reported;
  streams += o.streams;
  stream_events += o.stream_events;
  stream_errors += o.stream_errors;
  for (size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
  for (size_t i = 0; i < transport.size(); ++i) transport[i] += o.transport[i];
  for (const auto& cls : o.error_classes) {
    auto it = std::find_if(error_classes.begin(), error_classes.end(),
                           [&](const auto& e) { return e.first == cls.first; });
    if (it == error_classes.end()) {
      error_classes.push_back(cls);
    } else {
      it->second += cls.second;
    }
  }
  latency.merge(o.latency);
  ttft.merge(o.ttft);
  inter_chunk.merge(o.inter_chunk);
  stream_tokens_per_s.merge(o.stream_tokens_per_s);
}

Second& Timeline::at(uint64_t now_ns) {
  uint64_t since = now_ns > start_ns_ ? now_ns - start_ns_ : 0;
  size_t index = static_cast<size_t>(since / 1000000000ull);
  if (index != current_) {
    close_current();
    current_ = index;
  }
  if (seconds_.size() <= index) seconds_.resize(index + 1);
  return seconds_[index];
}

void Timeline::close_current() {
  if (current_ == SIZE_MAX || dense_.count() == 0) return;
  // A late completion can land in an earlier second than the current one only when
  // the clock moves backwards, which CLOCK_MONOTONIC does not; append either way.
  std::vector<std::pair<uint32_t, uint32_t>>& out = seconds_[current_].latency;
  for (size_t i = 0; i < dense_.bucket_count(); ++i) {
    uint64_t n = dense_.bucket_value(i);
    if (n == 0) continue;
    out.emplace_back(static_cast<uint32_t>(i),
                     static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX)));
  }
  dense_.clear();
}

void Timeline::record(uint64_t now_ns, uint64_t latency_us, bool error, uint64_t bytes_in,
                      uint64_t output_tokens) {
  Second& s = at(now_ns);
  ++s.responses;
  if (error) ++s.errors;
  s.bytes_in += bytes_in;
  s.output_tokens += output_tokens;
  dense_.record(latency_us);
}

void Timeline::record_error(uint64_t now_ns) { ++at(now_ns).errors; }

void Timeline::flush() {
  close_current();
  current_ = SIZE_MAX;
}

void Timeline::merge_into(Merged& merged, const Timeline& other) {
  const std::vector<Second>& secs = other.seconds_;
  if (merged.totals.size() < secs.size()) {
    merged.totals.resize(secs.size());
    while (merged.latency.size() < secs.size()) merged.latency.emplace_back();
  }
  for (size_t i = 0; i < secs.size(); ++i) {
    Second& t = merged.totals[i];
    t.responses += secs[i].responses;
    t.errors += secs[i].errors;
    t.bytes_in += secs[i].bytes_in;
    t.output_tokens += secs[i].output_tokens;
    for (const auto& [index, n] : secs[i].latency) merged.latency[i].add_to_bucket(index, n);
  }
}

void RunStats::merge(const RunStats& o) {
  if (projects.size() < o.projects.size()) projects.resize(o.projects.size());
  for (size_t i = 0; i < o.projects.size(); ++i) projects[i].merge(o.projects[i]);
  waited += o.waited;
  max_backlog = std::max(max_backlog, o.max_backlog);
  unsent += o.unsent;
  unfinished += o.unfinished;
  connects += o.connects;
  last_end_ns = std::max(last_end_ns, o.last_end_ns);
  if (tls_failure.empty()) tls_failure = o.tls_failure;
}

ProjectStats RunStats::total() const {
  ProjectStats t;
  for (const ProjectStats& p : projects) t.merge(p);
  return t;
}

}  // namespace sluice::load
