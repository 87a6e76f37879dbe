#pragma once
// One circuit breaker per provider account, shared by every shard through atomics (no
// lock on the request path):
//
//   closed --(failures >= N within window)--> open --(cooldown over)--> half_open
//   half_open --(the one probe succeeds)--> closed
//   half_open --(the probe fails)--> open (a new cooldown)
//
// While open, requests fail fast without touching the network. In half-open exactly one
// request in the whole process is let through as the probe; the others still fail fast.
// Times are milliseconds of the monotonic clock, passed in so tests can drive them.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {
struct Config;
}

namespace sluice::resilience {

enum class BreakerState : uint8_t { closed, open, half_open };
std::string_view breaker_state_name(BreakerState s);

struct BreakerSettings {
  uint32_t failures = 5;  // N: failures within the window that open it
  uint32_t window_ms = 10000;
  uint32_t cooldown_ms = 5000;  // open this long before a probe is let through
};

class Breaker {
 public:
  enum class Admission : uint8_t {
    allowed,  // closed: go ahead
    probe,    // half-open: this request is the probe; report its outcome
    refused,  // open (or a probe is already out): fail fast
  };
  struct Snapshot {
    BreakerState state;
    uint32_t failures;       // in the current window
    uint64_t open_until_ms;  // cooldown end (mono clock); 0 when closed
  };

  explicit Breaker(const BreakerSettings& s = {}) { configure(s); }
  void configure(const BreakerSettings& s);

  Admission admit(uint64_t now_ms);
  // Outcome of an admitted try. `probe`: it was admitted as the probe.
  void record_success(bool probe);
  void record_failure(uint64_t now_ms, bool probe);
  // A probe that ended without a verdict (its client left first): let another one go.
  void release_probe();

  Snapshot snapshot(uint64_t now_ms) const;
  // Open and still cooling down: every request would be refused. Two atomic loads.
  bool cooling_down(uint64_t now_ms) const;

  // ---- Fleet (docs/FLEET.md "Shared breakers"), called by the fleet thread only ----
  // How many times this process's own failures opened it (a probe's failure included).
  uint64_t opens() const { return opens_.load(std::memory_order_acquire); }
  // Another instance opened it: open here until `until_ms` (never shortened).
  void open_by_fleet(uint64_t until_ms);
  // Another instance's probe succeeded: closed here too.
  void close_by_fleet();
  // Gated: in half-open the probe also needs the fleet's permit (one probe per fleet).
  void fleet_gate(bool on) { gated_.store(on, std::memory_order_release); }
  void permit_probe(bool on) { permit_.store(on, std::memory_order_release); }
  // A request found it half-open without the permit since the last call.
  bool probe_wanted() { return probe_wanted_.exchange(false, std::memory_order_acq_rel); }

 private:
  static constexpr size_t kBuckets = 16;
  uint64_t bucket_ms() const;
  uint32_t failures_in_window(uint64_t now_ms) const;
  void open(uint64_t now_ms);
  void clear_window();

  std::atomic<uint32_t> threshold_{5};
  std::atomic<uint32_t> window_ms_{10000};
  std::atomic<uint32_t> cooldown_ms_{5000};
  std::atomic<uint8_t> state_{static_cast<uint8_t>(BreakerState::closed)};
  std::atomic<uint64_t> open_until_ms_{0};
  std::atomic<bool> probe_out_{false};
  std::atomic<uint64_t> opens_{0};
  std::atomic<bool> gated_{false};         // the fleet decides who probes
  std::atomic<bool> permit_{false};        // this process holds the fleet's probe token
  std::atomic<bool> probe_wanted_{false};  // refused in half-open for want of the token
  // Failure counts per time slice: (epoch << 16) | count in one word, so a slice moves
  // to a new epoch and counts in one compare-and-swap.
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

// Every provider's breaker, process-wide. Created once before the shards start; a shard
// looks its breakers up by provider name when it takes a config snapshot and keeps the
// pointers (stable for the life of this object).
class Breakers {
 public:
  explicit Breakers(const config::Config& cfg) { reconfigure(cfg); }
  // A new config: providers keep their breaker (and its state) by name, new ones get a
  // closed breaker, thresholds follow the new config. Breakers of removed providers are
  // kept (unused) so that pointers a shard still holds stay valid.
  void reconfigure(const config::Config& cfg);
  Breaker* find(std::string_view provider) const;
  // Every breaker, under the control-plane lock (the fleet thread's view).
  void for_each(const std::function<void(const std::string&, Breaker&)>& fn) const;

 private:
  mutable std::mutex mu_;  // control plane only: reconfigure and lookups at snapshot time
  std::vector<std::pair<std::string, std::unique_ptr<Breaker>>> all_;
};

}  // namespace sluice::resilience
