#pragma once
// OTLP/HTTP trace export off the request path. Each shard hands finished spans to its
// own SPSC ring (never blocks, never allocates beyond the span itself); one exporter
// thread drains every ring each `batch_ms` and POSTs the spans as gzip-compressed
// OTLP/JSON to `<endpoint>/v1/traces`, over TLS for an https:// endpoint, with the
// configured headers (headers_env / headers_file).
//
// Memory is bounded: a ring holds at most max_queue spans and all rings together at most
// max_queue_bytes; a span past either is dropped. A batch that fails to send (no
// connection, 429, 502, 503, 504) is tried again up to max_retries times with
// exponential backoff (or the wait the collector's retry-after asks for) while the rings
// keep filling up to their caps; other failures, and a batch out of tries, are dropped.
// Drops are counted (sluice_otlp_spans_dropped_total) and logged at most once a minute.
// Header values are secrets: no log line or error carries them.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/ledger/spsc_ring.h"
#include "sluice/telemetry/otlp_headers.h"
#include "sluice/telemetry/span.h"

namespace sluice::tls {
class TlsClientContext;
}

namespace sluice::telemetry {

// How one POST ended.
struct PostResult {
  bool ok = false;
  bool retryable = false;                // connection failure, 429, 502, 503, 504
  std::optional<uint64_t> wait_hint_ms;  // the collector's retry-after
  std::string error;                     // for the log: never a header value
};

// The wait before try `retry` (1 = the first retry): base * 2^(retry-1), capped, or the
// collector's hint when it gave one (capped too).
uint64_t backoff_ms(uint32_t retry, std::optional<uint64_t> hint_ms);

class SpanExporter {
 public:
  // Starts the exporter thread with one queue per shard. Setup code: throws on a bad
  // ca_file or on headers that cannot be read (the message names no header value).
  SpanExporter(const config::Otlp& config, uint32_t shards);
  ~SpanExporter();  // stop()
  SpanExporter(const SpanExporter&) = delete;
  SpanExporter& operator=(const SpanExporter&) = delete;

  // Shard `shard`'s thread only. False (and counted) when its queue or the byte cap is
  // full.
  bool submit(uint32_t shard, SpanRecord&& span) noexcept;

  // Sends what is queued, then stops the thread (SIGTERM path, after the shards).
  void stop();

  uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  uint64_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Drains every queue and POSTs in batches; returns when the queues are empty.
  void export_all();
  // Sends one encoded batch, retrying as the policy allows.
  bool send_batch(const std::string& body, std::string& error);
  PostResult post(const std::string& body);
  // Waits `ms` unless stop is asked for; false when it was.
  bool pause(uint64_t ms);

  const config::Otlp config_;
  std::unique_ptr<tls::TlsClientContext> tls_;  // https only
  std::string request_head_;                    // the POST's head up to Content-Length
  std::vector<std::unique_ptr<ledger::SpscRing<SpanRecord>>> queues_;
  std::vector<SpanRecord> batch_;  // exporter thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // under mu_
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> queued_bytes_{0};
  uint64_t last_log_ns_ = 0;  // exporter thread only
  std::thread thread_;
};

}  // namespace sluice::telemetry
