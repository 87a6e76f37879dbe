#pragma once
// OTLP/HTTP trace export off the request path. Each shard hands finished spans to its
// own SPSC ring (never blocks, never allocates beyond the span itself); one exporter
// thread drains every ring each `batch_ms` and POSTs the spans as OTLP/JSON to
// `<endpoint>/v1/traces`. A full ring drops the span; a failed POST drops its batch
// (no retry: tracing must never hold memory a collector outage would grow). Both are
// counted (sluice_otlp_spans_dropped_total) and logged at most once a minute.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/ledger/spsc_ring.h"
#include "sluice/telemetry/span.h"

namespace sluice::telemetry {

class SpanExporter {
 public:
  // Starts the exporter thread with one queue per shard. Setup code: may throw.
  SpanExporter(const config::Otlp& config, uint32_t shards);
  ~SpanExporter();  // stop()
  SpanExporter(const SpanExporter&) = delete;
  SpanExporter& operator=(const SpanExporter&) = delete;

  // Shard `shard`'s thread only. False (and counted) when its queue is full.
  bool submit(uint32_t shard, SpanRecord&& span) noexcept;

  // Sends what is queued, then stops the thread (SIGTERM path, after the shards).
  void stop();

  uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Drains every queue and POSTs in batches; returns when the queues are empty.
  void export_all();
  bool post(const std::string& body, std::string& error);

  const config::Otlp config_;
  std::string request_head_;  // the POST's head up to Content-Length
  std::vector<std::unique_ptr<ledger::SpscRing<SpanRecord>>> queues_;
  std::vector<SpanRecord> batch_;  // exporter thread only

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;  // under mu_
  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failures_{0};
  uint64_t last_log_ns_ = 0;  // exporter thread only
  std::thread thread_;
};

}  // namespace sluice::telemetry
