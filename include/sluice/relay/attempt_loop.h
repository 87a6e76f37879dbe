#pragma once
// The attempt loop of one proxied request (docs/RESILIENCE.md): after a failed upstream
// try, and only while nothing has reached the client, either retry the same provider
// after a backoff, go on to the next fallback alias, or give up. The decision is here;
// ProxyExchange carries it out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/resilience/backoff.h"
#include "sluice/resilience/breaker.h"
#include "sluice/resilience/failure_class.h"
#include "sluice/resilience/retry_budget.h"

namespace sluice::net {
class Exchange;
}

namespace sluice::relay {

struct UpstreamRequest;

// Builds the upstream request of a fallback alias into `req` (origin, bytes, provider,
// model). False when the alias cannot serve this client (another API format, a key that
// may not use it, no target).
class FallbackBuilder {
 public:
  virtual bool build_fallback(std::string_view alias, const net::Exchange& ex,
                              UpstreamRequest& req) = 0;

 protected:
  ~FallbackBuilder() = default;
};

// One shard's view of resilience: the process-wide breakers (by config provider index)
// and this shard's retry budgets and random source.
class ShardResilience {
 public:
  ShardResilience(const config::Config& cfg, const resilience::Breakers* breakers, uint64_t seed);

  // A reload: provider indexes follow `cfg`; each provider keeps its retry budget by
  // name (the breakers themselves were reconfigured process-wide first).
  void reconfigure(const config::Config& cfg, const resilience::Breakers* breakers);

  // Null when the process has no breakers (never on a running gateway), or for an index
  // that a reload removed while a request still held it.
  resilience::Breaker* breaker(size_t provider) const {
    return provider < breakers_.size() ? breakers_[provider] : nullptr;
  }
  resilience::RetryBudget& budget(size_t provider) {
    return provider < budgets_.size() ? budgets_[provider] : spare_budget_;
  }
  resilience::Jitter& jitter() { return jitter_; }
  const std::string& degraded_marker() const { return marker_; }
  // Targets of `model` (bit i: targets[i]) whose breaker would let a request through now;
  // all of them when none would, so the attempt loop fails fast or falls back itself.
  uint64_t eligible_targets(const config::Config& cfg, const config::Model* model) const;

  FallbackBuilder* fallbacks = nullptr;  // the shard's gateway

 private:
  std::vector<resilience::Breaker*> breakers_;
  std::vector<resilience::RetryBudget> budgets_;
  std::vector<std::string> names_;  // provider names, in config order
  resilience::RetryBudget spare_budget_{resilience::RetryBudget::Settings{}};
  std::vector<std::vector<size_t>> target_providers_;  // per model, per target: provider index
  resilience::Jitter jitter_;
  std::string marker_;
};

// What to do after a failed try.
struct NextStep {
  enum class Kind : uint8_t { retry, fallback, give_up } kind = Kind::give_up;
  uint64_t delay_ms = 0;  // retry: wait this long first
};

// The facts about a failed try that the decision needs.
struct FailedTry {
  resilience::FailureClass failure = resilience::FailureClass::none;
  std::optional<uint64_t> wait_hint_ms;  // retry-after / retry-after-ms
  bool should_retry = true;              // false: the provider said x-should-retry: false
  uint32_t tries_on_target = 1;          // tries of this provider in this request so far
  bool fallback_left = false;            // an untried fallback alias remains
  uint64_t ms_left = UINT64_MAX;         // before the request's total deadline
};

NextStep decide_next(const FailedTry& f, const config::Retry& retry,
                     resilience::RetryBudget& budget, resilience::Jitter& jitter, uint64_t now_ms);

// The message of a fail-fast answer: the marker first, so it shows in any SDK's
// exception text.
std::string degraded_message(std::string_view marker, std::string_view provider,
                             uint64_t retry_after_s);
// `marker` and `message` joined by a space (just `message` without a marker).
std::string with_marker(std::string_view marker, std::string_view message);

}  // namespace sluice::relay
