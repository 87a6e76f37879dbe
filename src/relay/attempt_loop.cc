#include "sluice/relay/attempt_loop.h"

#include <algorithm>

namespace sluice::relay {

ShardResilience::ShardResilience(const config::Config& cfg, const resilience::Breakers* breakers,
                                 uint64_t seed)
    : jitter_(seed), marker_(cfg.server.degraded_marker) {
  for (const config::Provider& p : cfg.providers) {
    breakers_.push_back(breakers ? breakers->find(p.name) : nullptr);
    budgets_.emplace_back(resilience::RetryBudget::Settings{
        p.retry.budget_ratio, p.retry.budget_min, p.retry.budget_window_ms});
  }
}

NextStep decide_next(const FailedTry& f, const config::Retry& retry,
                     resilience::RetryBudget& budget, resilience::Jitter& jitter, uint64_t now_ms) {
  resilience::FailurePolicy policy = resilience::policy_of(f.failure);
  const NextStep fallback{f.fallback_left && policy.fallback ? NextStep::Kind::fallback
                                                             : NextStep::Kind::give_up,
                          0};
  if (!policy.retry || !f.should_retry || f.tries_on_target >= retry.attempts) return fallback;
  uint64_t delay = f.wait_hint_ms
                       ? *f.wait_hint_ms
                       : resilience::full_jitter_ms(f.tries_on_target - 1, retry.base_ms,
                                                    retry.cap_ms, jitter);
  // A wait longer than allowed (or than the request has left) is better spent elsewhere.
  if (delay > retry.max_wait_ms || delay >= f.ms_left) return fallback;
  // The budget is taken last: only a retry that would really happen spends it.
  if (!budget.try_retry(now_ms)) return fallback;
  return {NextStep::Kind::retry, delay};
}

std::string degraded_message(std::string_view marker, std::string_view provider,
                             uint64_t retry_after_s) {
  std::string m(marker);
  if (!m.empty()) m += ' ';
  m += "provider ";
  m += provider;
  m += " is degraded (circuit breaker open); retry after ";
  m += std::to_string(retry_after_s);
  m += " s";
  return m;
}

}  // namespace sluice::relay
