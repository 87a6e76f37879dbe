#pragma once
// What the fleet thread (src/fleet) tells the rest of the process: written by that
// thread, read by admission (503 in `refuse` mode), /readyz, /metrics and
// /admin/limits. Plain atomics; the strings are set once before the shards start.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace sluice::limit {

struct FleetStatus {
  bool enabled = false;                        // a `fleet` section was configured at start
  bool refuse_when_down = false;               // on_redis_down: "refuse"
  std::string instance;                        // this process's name in the fleet
  std::string redis;                           // the configured address, for display
  std::atomic<bool> redis_up{false};           // the last round trip succeeded
  std::atomic<bool> degraded{false};           // admitting from the static share, or refusing
  std::atomic<bool> refusing{false};           // degraded in `refuse` mode: admission answers 503
  std::atomic<uint32_t> instances_seen{0};     // instances with a heartbeat in the last window
  std::atomic<uint64_t> round_trips{0};        // commands sent to Redis, each one round trip
  std::atomic<uint64_t> grants{0};             // lease renewals answered (one per bucket)
  std::atomic<uint64_t> granted_units{0};      // units granted in them, summed
  std::atomic<uint64_t> errors{0};             // connections or commands that failed
  std::atomic<uint64_t> leases_held{0};        // buckets with a lease of at least one unit
  std::atomic<uint64_t> units_held{0};         // units in those leases
  std::atomic<uint64_t> degraded_since_ms{0};  // wall clock; 0 while not degraded
  std::atomic<uint64_t> last_round_ms{0};      // wall clock of the last answered round trip
  std::atomic<uint64_t> last_rtt_us{0};        // how long that round trip took

  std::string last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  void set_last_error(std::string e) {
    std::lock_guard lock(mu_);
    last_error_ = std::move(e);
  }
  // The fleet as Redis last showed it (a JSON object: every instance's leases and
  // demand, the instances seen), read and written by the fleet thread only, so
  // /admin/limits never waits on Redis; "null" before the first read.
  std::string view() const {
    std::lock_guard lock(mu_);
    return view_.empty() ? "null" : view_;
  }
  void set_view(std::string v) {
    std::lock_guard lock(mu_);
    view_ = std::move(v);
  }

 private:
  mutable std::mutex mu_;
  std::string last_error_;
  std::string view_;
};

}  // namespace sluice::limit
