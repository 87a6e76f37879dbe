#pragma once
// How a run is laid out over threads, and what every worker reads while it runs.

#include <atomic>
#include <cstdint>
#include <vector>

#include "load_options.h"
#include "request_template.h"
#include "target.h"

namespace sluice::tls {
class TlsClientContext;
}

namespace sluice::load {

// One worker thread's share of the load.
struct WorkerPlan {
  unsigned index = 0;
  unsigned connections = 0;
  double rate = 0;        // open loop: this thread's arrivals per second; 0: closed loop
  double phase = 0;       // open loop: offset of its schedule, in intervals (0..1)
  uint64_t requests = 0;  // open loop with --requests: measured arrivals to send
};

// Splits connections, rate and (open loop) request counts over `threads` threads in
// proportion to their connections; never more threads than connections.
std::vector<WorkerPlan> plan_workers(unsigned threads, unsigned connections, double rate,
                                     uint64_t requests);

// Shared by every worker: read-only once the workers start, except the atomics.
struct RunShared {
  const std::vector<RequestTemplate>* templates = nullptr;
  std::vector<double> weights;  // per template (scenario entry)
  size_t project_count = 1;
  const Target* target = nullptr;
  const tls::TlsClientContext* tls = nullptr;  // null: plain TCP
  bool open_loop = false;
  bool count_requests = false;   // --requests: stop after that many measured requests
  uint64_t start_ns = 0;         // when traffic starts (mono clock)
  uint64_t measure_ns = 0;       // start_ns + warmup: requests intended from here on count
  uint64_t end_ns = UINT64_MAX;  // --duration: no request is started from here on
  uint64_t timeout_ns = 0;
  uint64_t connect_timeout_ns = 0;
  uint64_t drain_ns = 0;
  // Closed loop with --requests: measured requests still to start, over all threads.
  std::atomic<int64_t> tickets{0};
  // Set by the main thread (SIGINT, SIGTERM): stop starting requests, drain briefly.
  std::atomic<bool> stop{false};
  // Workers whose thread has ended.
  std::atomic<unsigned> finished_workers{0};
};

}  // namespace sluice::load
