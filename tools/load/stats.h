#pragma once
// What a run measures. Each worker thread owns one RunStats and writes it without locks;
// the main thread merges them after the workers are joined.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "histogram.h"

namespace sluice::load {

// Failures below HTTP: the request got no complete response.
enum class TransportError : uint8_t {
  connect_refused,  // ECONNREFUSED
  connect_timeout,  // no connection within --connect-timeout
  connect_failed,   // any other connect failure
  tls,              // the TLS handshake failed (certificate not trusted, no shared version)
  reset,            // ECONNRESET / EPIPE while the request was in flight
  closed,           // the server closed the connection before the response ended
  timeout,          // no complete response within --timeout
  protocol,         // a response sluice-load could not parse
  io,               // any other socket error
};
inline constexpr size_t kTransportErrorCount = 9;
const char* transport_error_name(TransportError e);

// Counts and histograms of one project label (or of everything, once merged).
struct ProjectStats {
  uint64_t sent = 0;                   // requests written to a connection
  uint64_t responses = 0;              // complete HTTP responses, whatever the status
  uint64_t ok = 0;                     // 2xx responses
  uint64_t bytes_out = 0;              // request bytes
  uint64_t bytes_in = 0;               // response bytes, heads included
  uint64_t input_tokens = 0;           // from the usage the responses reported
  uint64_t output_tokens = 0;          // reported usage, or stream content events where none was
  uint64_t usage_reported = 0;         // 2xx responses whose body carried usage
  uint64_t streams = 0;                // 2xx responses read as server-sent events
  uint64_t stream_events = 0;          // events carrying output text, over all streams
  uint64_t stream_errors = 0;          // 2xx streams that ended in a provider error event
  std::array<uint64_t, 600> status{};  // by HTTP status code
  std::array<uint64_t, kTransportErrorCount> transport{};       // by TransportError
  std::vector<std::pair<std::string, uint64_t>> error_classes;  // x-sluice-error-class

  Histogram latency;              // us: intended send time -> last byte, every response
  Histogram ttft;                 // us: intended send time -> first content event (2xx streams)
  Histogram inter_chunk;          // us: between consecutive content events of a stream
  Histogram stream_tokens_per_s;  // milli-tokens/s: each stream's generation rate

  uint64_t transport_errors() const;
  uint64_t http_errors() const { return responses - ok; }
  uint64_t errors() const { return http_errors() + transport_errors(); }
  void count_error_class(std::string_view cls);
  void merge(const ProjectStats& other);
};

// Per-second figures, by completion time since the measurement began.
struct Second {
  uint64_t responses = 0;
  uint64_t errors = 0;
  uint64_t bytes_in = 0;
  uint64_t output_tokens = 0;
  // Latency histogram of this second, sparse: (bucket index, count) of non-empty buckets.
  std::vector<std::pair<uint32_t, uint32_t>> latency;
};

// The throughput and latency of each second of the run. A thread keeps one dense
// histogram for the second in progress and stores finished seconds sparsely (a few
// dozen buckets), so an hour-long run costs kilobytes per minute, not megabytes.
class Timeline {
 public:
  void start(uint64_t start_ns) { start_ns_ = start_ns; }
  void record(uint64_t now_ns, uint64_t latency_us, bool error, uint64_t bytes_in,
              uint64_t output_tokens);
  void record_error(uint64_t now_ns);  // a request that failed below HTTP
  // Stores the second in progress; call once at the end.
  void flush();
  const std::vector<Second>& seconds() const { return seconds_; }

  // Adds `other` second by second into `merged` (dense histograms, for percentiles).
  struct Merged {
    std::vector<Second> totals;      // counts only; `latency` left empty
    std::vector<Histogram> latency;  // one per second
  };
  static void merge_into(Merged& merged, const Timeline& other);

 private:
  Second& at(uint64_t now_ns);
  void close_current();
  uint64_t start_ns_ = 0;
  size_t current_ = SIZE_MAX;  // index of the second `dense_` belongs to
  Histogram dense_;
  std::vector<Second> seconds_;
};

// Everything one worker thread measured.
struct RunStats {
  std::vector<ProjectStats> projects;  // by project index
  Timeline timeline;
  uint64_t waited = 0;       // open loop: requests that found no free connection when due
  uint64_t max_backlog = 0;  // open loop: most requests waiting at once
  uint64_t unsent = 0;       // open loop: due before the end but never sent
  uint64_t unfinished = 0;   // in flight when the drain time ran out
  uint64_t connects = 0;     // connections opened (reconnects included)
  uint64_t last_end_ns = 0;  // when the last measured request ended
  std::string tls_failure;   // why the first failed TLS handshake failed, if one did

  // Adds counters and projects; timelines merge apart (Timeline::merge_into).
  void merge(const RunStats& other);
  ProjectStats total() const;
};

}  // namespace sluice::load
