#include "sluice/relay/attempt_loop.h"

#include <algorithm>

#include "sluice/core/clock.h"

namespace sluice::relay {

ShardResilience::ShardResilience(const config::Config& cfg, const resilience::Breakers* breakers,
                                 uint64_t seed)
    : jitter_(seed) {
  reconfigure(cfg, breakers);
}

void ShardResilience::reconfigure(const config::Config& cfg,
                                  const resilience::Breakers* breakers) {
  std::vector<resilience::Breaker*> next_breakers;
  std::vector<resilience::RetryBudget> next_budgets;
  std::vector<std::string> next_names;
  for (const config::Provider& p : cfg.providers) {
    next_breakers.push_back(breakers ? breakers->find(p.name) : nullptr);
    resilience::RetryBudget::Settings settings{p.retry.budget_ratio, p.retry.budget_min,
                                               p.retry.budget_window_ms};
    auto old = std::find(names_.begin(), names_.end(), p.name);
    if (old != names_.end()) {
      next_budgets.push_back(budgets_[static_cast<size_t>(old - names_.begin())]);
      next_budgets.back().set(settings);
    } else {
      next_budgets.emplace_back(settings);
    }
    next_names.push_back(p.name);
  }
  breakers_ = std::move(next_breakers);
  budgets_ = std::move(next_budgets);
  names_ = std::move(next_names);
  marker_ = cfg.server.degraded_marker;
  target_providers_.clear();
  for (const config::Model& m : cfg.models) {
    std::vector<size_t>& providers = target_providers_.emplace_back();
    for (const config::Target& t : m.targets) {
      const config::Provider* p = cfg.provider(t.provider);
      providers.push_back(p ? static_cast<size_t>(p - cfg.providers.data()) : SIZE_MAX);
    }
  }
}

uint64_t ShardResilience::eligible_targets(const config::Config& cfg,
                                           const config::Model* model) const {
  if (model == nullptr) return ~uint64_t{0};
  const std::vector<size_t>& providers =
      target_providers_[static_cast<size_t>(model - cfg.models.data())];
  uint64_t now_ms = core::mono_ns() / 1000000ull;
  uint64_t mask = 0;
  for (size_t i = 0; i < providers.size() && i < 64; ++i) {
    const resilience::Breaker* b =
        providers[i] < breakers_.size() ? breakers_[providers[i]] : nullptr;
    if (!b || !b->cooling_down(now_ms)) mask |= uint64_t{1} << i;
  }
  return mask ? mask : ~uint64_t{0};
}

NextStep decide_next(const FailedTry& f, const config::Retry& retry,
                     resilience::RetryBudget& budget, resilience::Jitter& jitter, uint64_t now_ms) {
  resilience::FailurePolicy policy = resilience::policy_of(f.failure);
  const NextStep fallback{
      f.fallback_left && policy.fallback ? NextStep::Kind::fallback : NextStep::Kind::give_up, 0};
  if (!policy.retry || !f.should_retry || f.tries_on_target >= retry.attempts) return fallback;
  uint64_t delay = f.wait_hint_ms ? *f.wait_hint_ms
                                  : resilience::full_jitter_ms(f.tries_on_target - 1, retry.base_ms,
                                                               retry.cap_ms, jitter);
  // A wait longer than allowed (or than the request has left) is better spent elsewhere.
  if (delay > retry.max_wait_ms || delay >= f.ms_left) return fallback;
  // The budget is taken last: only a retry that would really happen spends it.
  if (!budget.try_retry(now_ms)) return fallback;
  return {NextStep::Kind::retry, delay};
}

std::string with_marker(std::string_view marker, std::string_view message) {
  std::string m(marker);
  if (!m.empty()) m += ' ';
  m += message;
  return m;
}

std::string degraded_message(std::string_view marker, std::string_view provider,
                             uint64_t retry_after_s) {
  return with_marker(marker, "provider " + std::string(provider) +
                                 " is degraded (circuit breaker open); retry after " +
                                 std::to_string(retry_after_s) + " s");
}

}  // namespace sluice::relay
