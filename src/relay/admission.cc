#include "sluice/relay/admission.h"

#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/ledger/price.h"
#include "sluice/limit/fleet_lease.h"
#include "sluice/limit/rate_headers.h"
#include "sluice/relay/settle.h"
#include "sluice/resilience/retry_after.h"

namespace sluice::relay {
namespace {
// The longest a provider's own reset or retry hint pauses its account.
constexpr uint64_t kHourMs = 3600ull * 1000ull;
constexpr uint64_t kHourNs = kHourMs * 1000000ull;

// A request waiting for capacity. Owned by itself: it ends by being admitted, refused
// at its deadline, or by its client hanging up; each hands it back to the flow.
class QueuedRequest final : public limit::Waiter, public net::ExchangeObserver {
 public:
  QueuedRequest(Admission& a, net::Exchange& ex, UpstreamRequest&& req, core::EventLoop& loop)
      : a_(a), ex_(&ex), req_(std::move(req)), loop_(loop), queued_ns_(core::mono_ns()) {}

  void admitted(limit::Ticket t) override {
    waited();
    req_.info.ticket = t;
    a_.exit().admitted_from_queue(*ex_, std::move(req_));
    gone();
  }
  void refused(const limit::Decision& d) override {
    ex_->set_observer(nullptr);  // answered now; nothing may reach this object again
    waited();
    a_.exit().refused_from_queue(*ex_, req_, d);
    gone();
  }
  UpstreamRequest& request() { return req_; }
  void on_client_gone() override {
    a_.limiter().cancel(*this);
    waited();
    a_.exit().left_queue(req_);
    gone();
  }

 private:
  void waited() { a_.queue_waited(*plan, req_.info, core::mono_ns() - queued_ns_); }
  void gone() {
    ex_ = nullptr;
    loop_.defer([this] { delete this; });
  }
  Admission& a_;
  net::Exchange* ex_;
  UpstreamRequest req_;
  core::EventLoop& loop_;
  uint64_t queued_ns_;
};

void append_line(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void append_line(std::string& out, std::string_view name, int64_t value) {
  out.append(name).append(": ");
  if (value < 0) out += '-';
  core::append_uint(out,
                    value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value));
  out.append("\r\n");
}
}  // namespace

Admission::Admission(limit::Registry* registry, const config::Config& cfg, net::IoContext& io,
                     unsigned shard, QueueExit& exit)
    : registry_(registry), cfg_(&cfg), io_(io), exit_(exit) {
  if (!registry_) return;
  limiter_ = std::make_unique<limit::ShardLimiter>(*registry_, shard);
  tick_.arm(io_.loop.timers(), core::mono_ns() + core::ms_to_ns(cfg_->admission.tick_ms), this, 0);
}

Admission::~Admission() = default;

void Admission::on_timer(int) {
  uint64_t now = core::mono_ns();
  limiter_->tick(now, static_cast<int64_t>(core::wall_ms()));
  tick_.arm(io_.loop.timers(), now + core::ms_to_ns(cfg_->admission.tick_ms), this, 0);
}

// What a request reserves: input tokens estimated from its characters at the
// provider's characters per token, plus its output allowance; cost the same way.
Admission::Estimate Admission::estimate(const RequestInfo& info,
                                        const config::Provider* provider) const {
  auto input = static_cast<int64_t>(
      std::min<uint64_t>(estimate_tokens(info.input_chars, provider), 1ull << 40));
  int64_t output =
      info.max_output_tokens
          ? static_cast<int64_t>(std::min<uint64_t>(info.max_output_tokens, 1ull << 40))
          : cfg_->admission.default_max_output_tokens;
  Estimate e{input + output, 0};
  if (const auto* price = static_cast<const config::Price*>(info.price))
    e.cost_nusd = ledger::cost_nusd(
        *price, ledger::TokenCounts{static_cast<uint64_t>(input), static_cast<uint64_t>(output)});
  return e;
}

// A fallback moves the request to another alias and provider account: it must be
// admitted there too (no queueing: the client is already waiting), and the first
// reservation is given back, so each account is charged for what it served.
bool Admission::readmit(RequestInfo& info, const std::string& alias, const std::string& provider) {
  if (!limiter_) return true;
  limit::Plan* plan = limiter_->plan({info.project, info.key_id, alias, provider}, *cfg_);
  limit::Ticket ticket;
  if (!plan->sets.empty() || !plan->budgets.empty()) {
    Estimate e = estimate(info, cfg_->provider(provider));
    limit::Decision d =
        limiter_->admit(*plan, e.tokens, e.cost_nusd, static_cast<int64_t>(core::wall_ms()),
                        core::mono_ns(), ticket);
    if (d.verdict != limit::Verdict::admitted) return false;
  }
  if (info.ticket.held) limiter_->settle(info.ticket, 0, 0, core::mono_ns());
  info.ticket = ticket;
  return true;
}

AdmitVerdict Admission::admit(RequestInfo& info) {
  using Kind = AdmitVerdict::Kind;
  if (!limiter_) return {};
  limit::Plan* plan = limiter_->plan({info.project, info.key_id, info.alias, info.provider}, *cfg_);
  if (plan->sets.empty() && plan->budgets.empty()) return {};
  AdmitVerdict v;
  if (registry_->fleet.refusing.load(std::memory_order_relaxed) && !plan->sets.empty()) {
    v.kind = Kind::fleet_down;
    return v;
  }
  Estimate e = estimate(info, cfg_->provider(info.provider));
  limit::Ticket ticket;
  v.decision = limiter_->admit(*plan, e.tokens, e.cost_nusd, static_cast<int64_t>(core::wall_ms()),
                               core::mono_ns(), ticket);
  const limit::Decision& d = v.decision;
  if (d.verdict == limit::Verdict::admitted) {
    info.ticket = ticket;
    return v;
  }
  // Short only of this instance's fleet lease while Redis answers and the fleet's bucket
  // has room: the units are the fleet's to grant, so the request waits for the renewal
  // (as long as a renewal may take) rather than a 429 for a limit that is not reached.
  v.lease_wait = d.lease_wait && !registry_->fleet.degraded.load(std::memory_order_relaxed);
  if (d.verdict != limit::Verdict::rate_limited ||
      (plan->queue_max_wait_ms == 0 && !v.lease_wait)) {
    v.kind = Kind::refused;
    return v;
  }
  v.kind = Kind::queue;
  v.plan = plan;
  v.tokens = e.tokens;
  v.cost_nusd = e.cost_nusd;
  v.wait_ms = plan->queue_max_wait_ms;
  if (v.lease_wait) v.wait_ms = std::max(v.wait_ms, limit::fleet_call_ms(cfg_->fleet.lease_ms));
  return v;
}

bool Admission::enqueue(net::Exchange& ex, UpstreamRequest&& req, AdmitVerdict& v) {
  auto* w = new QueuedRequest(*this, ex, std::move(req), io_.loop);
  w->plan = v.plan;
  w->tokens = v.tokens;
  w->cost_nusd = v.cost_nusd;
  w->deadline_ns = core::mono_ns() + core::ms_to_ns(v.wait_ms);
  if (limiter_->enqueue(*w, v.lease_wait)) {
    ex.set_observer(w);
    return true;
  }
  // The queue is full: overflow is a 429 (a plain one where only the lease made it wait).
  req = std::move(w->request());
  delete w;
  v.kind = AdmitVerdict::Kind::refused;
  v.queue_full = v.plan->queue_max_wait_ms > 0;
  return false;
}

void Admission::queue_waited(const limit::Plan& plan, const RequestInfo& info, uint64_t ns) {
  if (registry_ && plan.project >= 0) registry_->project(plan.project).record_wait(ns);
  exit_.queue_waited(info, ns);
}

void Admission::add_rate_headers(const RequestInfo& info, std::string& out) {
  if (limiter_ && info.ticket.held) append_rate_headers(out, *info.ticket.plan);
}

void Admission::append_rate_headers(std::string& out, const limit::Plan& plan) const {
  limit::RateView v = limiter_->view(plan, core::mono_ns());
  if (v.has_requests) {
    append_line(out, "x-ratelimit-limit-requests", static_cast<int64_t>(v.limit_requests));
    append_line(out, "x-ratelimit-remaining-requests", v.remaining_requests);
    append_line(out, "x-ratelimit-reset-requests", limit::format_duration(v.reset_requests_ns));
  }
  if (v.has_tokens) {
    append_line(out, "x-ratelimit-limit-tokens", static_cast<int64_t>(v.limit_tokens));
    append_line(out, "x-ratelimit-remaining-tokens", v.remaining_tokens);
    append_line(out, "x-ratelimit-reset-tokens", limit::format_duration(v.reset_tokens_ns));
  }
}

AdmitRefusal Admission::refusal(const AdmitVerdict& v, const RequestInfo& info) {
  AdmitRefusal out;
  if (v.kind == AdmitVerdict::Kind::fleet_down) {
    // `fleet.on_redis_down: refuse`: the fleet-wide budget cannot be read, so no limited
    // request is admitted; a 503 in the client's format says why (docs/FLEET.md).
    out.status = 503;
    out.error = route::ErrorClass::provider_degraded;
    out.message =
        "fleet limits unavailable: Redis cannot be reached and fleet.on_redis_down is "
        "\"refuse\"; retry shortly";
    append_line(out.headers, "retry-after", "1");
    return out;
  }
  const limit::Decision& d = v.decision;
  bool budget = d.verdict == limit::Verdict::budget_exceeded;
  out.error = budget ? route::ErrorClass::budget_exceeded : route::ErrorClass::rate_limited;
  uint64_t wait_ms = std::max<uint64_t>(1, (d.retry_after_ns + 999999) / 1000000);
  if (budget) {
    out.message = "budget exceeded: " + (d.budget ? d.budget->id : std::string("budget")) + " " +
                  std::string(d.what) + " is spent";
  } else {
    out.message = "rate limit reached: " + (d.limit ? d.limit->id : std::string("limit")) + " " +
                  std::string(d.what) + (v.queue_full ? " (queue full)" : "");
  }
  out.message += "; retry in ";  // seconds with three decimals, "1.250s"
  core::append_thousandths(out.message, wait_ms);
  out.message += 's';
  append_line(out.headers, "retry-after", static_cast<int64_t>((wait_ms + 999) / 1000));
  append_line(out.headers, "retry-after-ms", static_cast<int64_t>(wait_ms));
  if (const limit::Plan* plan =
          limiter_->plan({info.project, info.key_id, info.alias, info.provider}, *cfg_))
    append_rate_headers(out.headers, *plan);
  return out;
}

void Admission::settle(RequestInfo& info, const ledger::Record& record) {
  if (!limiter_ || !info.ticket.held) return;
  int64_t tokens = static_cast<int64_t>(record.input_tokens) + record.output_tokens;
  limiter_->settle(info.ticket, tokens, record.cost_nusd, core::mono_ns());
}

limit::Limit* Admission::account(const std::string& provider) {
  if (registry_->generation() != accounts_generation_) {
    accounts_.clear();
    accounts_generation_ = registry_->generation();
  }
  auto it = accounts_.find(provider);
  if (it == accounts_.end()) it = accounts_.emplace(provider, registry_->provider(provider)).first;
  return it->second;
}

void Admission::feedback(const RequestInfo& info, const http::ResponseHead& head) {
  if (!limiter_) return;
  limit::Limit* acct = account(info.provider);
  if (!acct) return;
  uint64_t now = core::mono_ns();
  int64_t now_ms = static_cast<int64_t>(core::wall_ms());
  struct Family {
    std::string_view limit, remaining, reset;
    bool rfc3339;
    limit::GlobalBucket* bucket;
  } families[] = {
      {"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
       false, &acct->requests},
      {"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
       false, &acct->tokens},
      {"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
       "anthropic-ratelimit-requests-reset", true, &acct->requests},
      {"anthropic-ratelimit-tokens-limit", "anthropic-ratelimit-tokens-remaining",
       "anthropic-ratelimit-tokens-reset", true, &acct->tokens},
  };
  // Requests admitted but not yet answered may not have reached the provider's count:
  // leave room for them too.
  int64_t unseen = acct->requests_in_flight();
  for (const Family& f : families) {
    if (f.bucket->per_minute() == 0) continue;
    std::optional<uint64_t> remaining = limit::parse_count(head.header(f.remaining));
    if (!remaining) continue;
    std::optional<uint64_t> lim = limit::parse_count(head.header(f.limit));
    if (lim) f.bucket->adopt_provider_limit(*lim);
    int64_t left = static_cast<int64_t>(std::min<uint64_t>(*remaining, INT64_MAX / 2));
    if (f.bucket == &acct->requests) left -= unseen;
    f.bucket->clamp_level(left, now);
    if (*remaining > 0 || !lim || *lim == 0) continue;
    // Nothing left at the provider: wait for its next unit (its bucket refills to full
    // by the reset time, linearly).
    std::optional<uint64_t> reset_ns;
    if (f.rfc3339) {
      if (auto at = limit::parse_rfc3339_ms(head.header(f.reset)); at && *at > now_ms)
        reset_ns = std::min<uint64_t>(static_cast<uint64_t>(*at - now_ms), kHourMs) * 1000000ull;
    } else {
      reset_ns = limit::parse_duration_ns(head.header(f.reset));
    }
    // Capped at an hour, like a retry-after: a far-off or absurd reset must neither wrap
    // the clock nor shut the account for good.
    if (reset_ns) f.bucket->pause_until(now + std::min(*reset_ns / *lim, kHourNs));
  }
  if (head.status == 429) {
    // The same reading of the hint as the attempt loop's: delta-seconds, an HTTP-date,
    // or retry-after-ms.
    std::optional<uint64_t> ra_ms =
        resilience::wait_hint_ms(head.header("retry-after"), head.header("retry-after-ms"), now_ms);
    if (ra_ms) {
      uint64_t until = now + std::min<uint64_t>(*ra_ms, kHourMs) * 1000000ull;
      if (acct->limits_requests()) acct->requests.pause_until(until);
      if (acct->limits_tokens()) acct->tokens.pause_until(until);
    }
  }
}

}  // namespace sluice::relay
