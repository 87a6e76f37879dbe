#pragma once
// One load thread: its own io_uring (EventLoop), receive buffers and keep-alive
// connections, and its own RunStats, written without locks. Closed loop: each connection
// sends its next request as soon as the previous response ends. Open loop: requests
// are due on a constant schedule; each goes to a free connection, or waits for one with
// its clock already running (coordinated-omission correction).
//
// The main thread sees the worker only through snapshot() (copied under a mutex that
// the worker takes a few times a second, never per request) and, after join(), stats().

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "histogram.h"
#include "run_plan.h"
#include "sluice/core/event_loop.h"
#include "sluice/core/timer.h"
#include "sluice/net/stream.h"
#include "stats.h"

namespace sluice::tls {
class TlsSessionCache;
}

namespace sluice::load {

// What the live progress line needs from one worker.
struct Snapshot {
  uint64_t responses = 0;
  uint64_t errors = 0;
  uint64_t in_flight = 0;
  Histogram latency;
  bool finished = false;
};

class Worker final : public core::TimerTarget {
 public:
  Worker(RunShared& shared, const WorkerPlan& plan);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  void join();
  // From any thread: the figures as of the last publication (a few times a second).
  void snapshot(Snapshot& out);
  // After join().
  RunStats& stats() { return stats_; }
  const std::string& error() const { return error_; }

  // For the worker's connections (worker thread only).
  net::IoContext& io() { return *io_; }
  const RunShared& shared() const { return shared_; }
  tls::TlsSessionCache* session_cache() { return session_cache_.get(); }
  const RequestTemplate& request_template(uint32_t entry) const {
    return (*shared_.templates)[entry];
  }
  Histogram* gap_histogram(const InFlight& r);
  void count_sent(const InFlight& r);
  void count_connect() { ++stats_.connects; }
  void note_tls_failure(const std::string& why) {
    if (stats_.tls_failure.empty()) stats_.tls_failure = why.empty() ? "handshake failed" : why;
  }
  void on_response(const InFlight& r, const ResponseReader& reader, uint64_t now_ns);
  void on_failure(const InFlight& r, TransportError e, uint64_t now_ns);
  // The connection can take a request (its last one ended, or its back-off did).
  void on_available(Connection& c);

  void on_timer(int tag) override;

 private:
  enum Tag : int { tag_start = 1, tag_arrival = 2, tag_tick = 3, tag_end = 4, tag_drain = 5 };
  void run();
  void begin();
  uint32_t pick_entry();
  InFlight make_request(uint64_t intended_ns);
  bool may_start_closed(uint64_t now_ns, bool& measured);
  // Open loop.
  uint64_t arrival_ns(uint64_t k) const;
  bool arrivals_left() const;
  void pump(uint64_t now_ns);
  void dispatch_arrival(Connection& c);
  // Ending.
  void stop_issuing(uint64_t now_ns, uint64_t drain_ns);
  void maybe_finish();
  void finish();
  void publish();

  RunShared& shared_;
  WorkerPlan plan_;
  std::thread thread_;
  std::string error_;
  core::EventLoop* loop_ = nullptr;
  net::IoContext* io_ = nullptr;
  std::unique_ptr<tls::TlsSessionCache> session_cache_;
  std::vector<std::unique_ptr<Connection>> connections_;
  RunStats stats_;

  // Smooth weighted round-robin over the scenario entries: exact proportions.
  std::vector<double> wrr_current_;
  double wrr_total_ = 0;

  // Open loop schedule: arrival k is due at start + (k + phase) * interval.
  double interval_ns_ = 0;
  uint64_t next_arrival_ = 0;
  uint64_t measured_arrivals_ = 0;
  bool backlogged_ = false;  // due arrivals found no free connection
  std::vector<Connection*> free_;

  bool issuing_ = false;  // between the start and the end of the run
  bool finished_ = false;
  core::Timer start_timer_;
  core::Timer arrival_timer_;
  core::Timer tick_timer_;
  core::Timer end_timer_;
  core::Timer drain_timer_;
  uint64_t last_publish_ns_ = 0;

  std::mutex snapshot_mu_;
  Snapshot published_;  // guarded by snapshot_mu_
};

}  // namespace sluice::load
