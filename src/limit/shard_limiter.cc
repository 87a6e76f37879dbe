#include "sluice/limit/shard_limiter.h"

#include <algorithm>
#include <cmath>

namespace sluice::limit {
namespace {
constexpr uint64_t kDemandWindowNs =
    2'000'000'000;                             // a project wanting capacity stays active this long
constexpr uint64_t kUsageStepNs = 50'000'000;  // usage rates are refreshed this often
constexpr double kUsageTauNs = 1e9;            // and decay with this time constant
// A better priority tier weighs this much more than any weight: the lower tier leases
// only what the bucket holds beyond (nearly) all of its burst.
constexpr double kTierWeight = 1e6;
// Requests a project may keep waiting per shard for the fleet's grant, beyond its queue.
constexpr size_t kLeaseWaiters = 1024;

void roll(BudgetWindow& w, int64_t start) {
  int64_t seen = w.start_ms.load(std::memory_order_acquire);
  if (seen == start) return;
  if (w.start_ms.compare_exchange_strong(seen, start, std::memory_order_acq_rel))
    w.spent_nusd.store(0, std::memory_order_release);
}

// The project's share of a shared limit to count units of `b` in (taken or refused):
// its request bucket, or its token bucket when it limits no requests. Null otherwise.
ProjectShare* share_counted(const LeaseSet& s, const GlobalBucket& b) {
  if (!s.limit->shared || s.project < 0) return nullptr;
  if (&b != &s.limit->requests && s.limit->limits_requests()) return nullptr;
  return &s.limit->shares[s.project];
}

Decision refusal(Verdict v, uint64_t retry_ns, const Limit* limit, std::string_view what) {
  Decision d;
  d.verdict = v;
  d.retry_after_ns = retry_ns;
  d.limit = limit;
  d.what = what;
  return d;
}
}  // namespace

ShardLimiter::ShardLimiter(Registry& registry, unsigned shard)
    : registry_(registry), shard_(shard), generation_(registry.generation()) {}

ShardLimiter::~ShardLimiter() {
  // Leases go back so that a shard that stops leaves nothing stranded.
  for (auto& [key, s] : sets_) {
    Limit& l = *s->limit;
    l.requests.spent(s->requests.spent, 0);
    l.requests.give_back(s->requests.units);
    l.tokens.spent(s->tokens.spent, 0);
    l.tokens.give_back(s->tokens.units);
    l.concurrent.give_back(s->concurrent.units);
  }
}

LeaseSet* ShardLimiter::set_for(Limit* limit, int project) {
  auto key = std::make_pair(static_cast<const Limit*>(limit), project);
  auto it = sets_.find(key);
  if (it != sets_.end()) return it->second.get();
  auto s = std::make_unique<LeaseSet>();
  s->limit = limit;
  s->project = project;
  return sets_.emplace(key, std::move(s)).first->second.get();
}

Plan* ShardLimiter::plan(const Who& who, const config::Config& cfg) {
  if (uint64_t g = registry_.generation(); g != generation_) {
    // Tickets in flight keep pointing at the old plans: they stay allocated.
    for (auto& [k, p] : plans_) retired_.push_back(std::move(p));
    plans_.clear();
    generation_ = g;
  }
  // The key is built in a reused buffer: a lookup allocates nothing.
  std::string& key = key_;
  key.clear();
  key.append(who.project).append(1, '\x1f').append(who.key_id).append(1, '\x1f');
  key.append(who.alias).append(1, '\x1f').append(who.provider);
  if (auto it = plans_.find(key); it != plans_.end()) return it->second.get();

  auto p = std::make_unique<Plan>();
  p->project = registry_.project_index(who.project);
  std::string project(who.project), alias(who.alias);
  auto add = [&](const std::string& id) {
    if (Limit* l = registry_.limit(id)) p->sets.push_back(set_for(l, l->shared ? p->project : -1));
  };
  if (!who.provider.empty()) add("provider:" + std::string(who.provider));
  if (!alias.empty()) add("model:" + alias);
  add("project:" + project);
  if (!alias.empty()) add("project:" + project + "/model:" + alias);
  if (!who.key_id.empty()) add("key:" + std::string(who.key_id));
  if (Budget* b = registry_.budget("project:" + project)) p->budgets.push_back(b);
  if (!who.key_id.empty())
    if (Budget* b = registry_.budget("key:" + std::string(who.key_id))) p->budgets.push_back(b);
  if (const config::Project* cp = cfg.project(who.project)) {
    p->queue_max_wait_ms = cp->queue.max_wait_ms;
    p->queue_max_length = cp->queue.max_length;
  }
  return plans_.emplace(key, std::move(p)).first->second.get();
}

double ShardLimiter::norm_usage(const Limit* limit, int project) const {
  auto it = usage_.find(limit);
  if (it == usage_.end() || project < 0 || static_cast<size_t>(project) >= it->second.rate.size())
    return 0;
  uint32_t w = registry_.project(project).weight.load(std::memory_order_relaxed);
  return it->second.rate[static_cast<size_t>(project)] / (w ? w : 1);
}

// Units a project must leave in a shared bucket for the active projects that are
// behind it: those of a better priority tier, and those of its own tier whose usage
// per unit of weight is lower. Zero when nobody else wants capacity (work-conserving).
int64_t ShardLimiter::reserve_for(const LeaseSet& s, const GlobalBucket& b, uint64_t now_ns) const {
  if (!s.limit->shared || s.project < 0) return 0;
  const size_t n = registry_.project_count();
  const ProjectInfo& me = registry_.project(s.project);
  const uint32_t my_prio = me.priority.load(std::memory_order_relaxed);
  const double my_usage = norm_usage(s.limit, s.project);
  double behind = 0;
  for (size_t q = 0; q < n; ++q) {
    if (static_cast<int>(q) == s.project) continue;
    if (s.limit->shares[q].demand_until_ns.load(std::memory_order_relaxed) <= now_ns) continue;
    const ProjectInfo& other = registry_.project(static_cast<int>(q));
    uint32_t prio = other.priority.load(std::memory_order_relaxed);
    double w = other.weight.load(std::memory_order_relaxed);
    if (prio < my_prio)
      behind += w * kTierWeight;
    else if (prio == my_prio && norm_usage(s.limit, static_cast<int>(q)) < my_usage)
      behind += w;
  }
  if (behind == 0) return 0;
  double mine = me.weight.load(std::memory_order_relaxed);
  // What the projects behind may need before the next refill reaches them: their share
  // of two seconds of the rate (or of the burst, if smaller).
  int64_t base =
      std::min<int64_t>(b.burst(), std::max<int64_t>(1, static_cast<int64_t>(b.per_minute() / 30)));
  return static_cast<int64_t>(std::ceil(static_cast<double>(base) * behind / (behind + mine)));
}

bool ShardLimiter::ensure(LeaseSet& s, Lease& lease, GlobalBucket& b, int64_t need,
                          uint64_t now_ns) {
  lease.used = true;
  // The provider paused the account (a 429's retry-after, here or on another instance
  // of the fleet): units already leased wait too.
  if (now_ns < b.paused_until_ns()) return false;
  if (lease.units >= need) return true;  // the fast path: plain arithmetic
  return refill(s, lease, b, need, now_ns);
}

// Out of line, so that ensure()'s fast path saves no registers.
[[gnu::noinline]] bool ShardLimiter::refill(LeaseSet& s, Lease& lease, GlobalBucket& b,
                                            int64_t need, uint64_t now_ns) {
  b.spent(lease.spent, now_ns);
  lease.spent = 0;
  int64_t missing = need - lease.units;
  int64_t reserve = reserve_for(s, b, now_ns);
  // Lease size shrinks as the bucket runs low: at most half of what is left split over
  // the shards, at most a tenth of a second of the rate.
  int64_t free = b.available(now_ns) - reserve;
  int64_t quantum =
      std::min<int64_t>(free / (2 * static_cast<int64_t>(registry_.shards())),
                        std::max<int64_t>(1, static_cast<int64_t>(b.per_minute() / 600)));
  int64_t want = std::max(missing, quantum);
  bool ok = b.take(want, reserve, now_ns);
  if (!ok && want > missing) {
    want = missing;
    ok = b.take(want, reserve, now_ns);
  }
  if (!ok) {
    // Only the fleet's cap said no, and the fleet's bucket had room to spare at the last
    // grant: the units are the fleet's to grant, not yet in this process's lease. Room
    // is a quarter of the burst at least, so a contended fleet (whose free level stays
    // near zero) refuses at once and no instance's waiting skews the fair share.
    lease_short_ = b.fleet_on() && b.fleet_room() >= std::max(missing, (b.burst() + 3) / 4) &&
                   b.available_here(now_ns) - reserve >= missing;
    return false;
  }
  lease.units += want;
  if (ProjectShare* share = share_counted(s, b))
    share->taken.fetch_add(static_cast<uint64_t>(want), std::memory_order_relaxed);
  return true;
}

bool ShardLimiter::ensure_pool(LeaseSet& s, uint64_t) {
  s.concurrent.used = true;
  if (s.concurrent.units >= 1) return true;
  if (!s.limit->concurrent.take(1)) return false;
  s.concurrent.units += 1;
  return true;
}

Decision ShardLimiter::check_budgets(Plan& plan, int64_t cost_nusd, int64_t now_ms) {
  if (plan.budgets.empty()) return {};
  // Calendar arithmetic once per UTC day, not per request.
  if (now_ms < day_start_ || now_ms >= day_start_ + 86'400'000) {
    day_start_ = day_start_ms(now_ms);
    month_start_ = month_start_ms(now_ms);
    month_end_ = next_month_start_ms(now_ms);
  }
  for (Budget* b : plan.budgets) {
    struct W {
      BudgetWindow* w;
      int64_t start, end;
      std::string_view what;
    } windows[] = {
        {&b->day, day_start_, day_start_ + 86'400'000, "daily budget"},
        {&b->month, month_start_, month_end_, "monthly budget"},
    };
    for (const W& w : windows) {
      int64_t limit = w.w->limit_nusd.load(std::memory_order_relaxed);
      if (limit == 0) continue;
      roll(*w.w, w.start);
      int64_t spent = w.w->spent_nusd.load(std::memory_order_acquire);
      if (spent >= limit || spent + cost_nusd > limit) {
        Decision d = refusal(Verdict::budget_exceeded,
                             static_cast<uint64_t>(w.end - now_ms) * 1'000'000ull, nullptr, w.what);
        d.budget = b;
        return d;
      }
    }
  }
  return {};
}

// A refusal by a request or token bucket: marked when the fleet lease alone was short.
// A new request refused by a shared limit counts as its project's demand there (a
// queued one is counted by the queue's length instead).
Decision ShardLimiter::lease_refusal(Decision d, const LeaseSet& s, const GlobalBucket& b,
                                     int64_t units) {
  d.lease_wait = lease_short_;
  lease_short_ = false;
  if (ProjectShare* share = share_counted(s, b); share && !serving_queue_)
    share->refused.fetch_add(static_cast<uint64_t>(units), std::memory_order_relaxed);
  return d;
}

Decision ShardLimiter::admit(Plan& plan, int64_t tokens, int64_t cost_nusd, int64_t now_ms,
                             uint64_t now_ns, Ticket& out) {
  Decision d = check_budgets(plan, cost_nusd, now_ms);
  if (d.verdict != Verdict::admitted) return d;
  for (LeaseSet* s : plan.sets) s->demand = true;
  // Check every limit first (leases may be topped up, which charges nothing), then
  // charge them all: a refusal by one leaves the others untouched.
  for (LeaseSet* s : plan.sets) {
    Limit& l = *s->limit;
    if (l.limits_requests() && !ensure(*s, s->requests, l.requests, 1, now_ns))
      return lease_refusal(
          refusal(Verdict::rate_limited,
                  l.requests.wait_ns(1, reserve_for(*s, l.requests, now_ns), now_ns), &l,
                  "requests per minute"),
          *s, l.requests, 1);
    if (l.limits_tokens()) {
      if (tokens > l.tokens.burst())
        return refusal(Verdict::rate_limited, 60'000'000'000ull, &l,
                       "tokens per minute (the request alone exceeds the burst)");
      if (!ensure(*s, s->tokens, l.tokens, tokens, now_ns))
        return lease_refusal(
            refusal(Verdict::rate_limited,
                    l.tokens.wait_ns(tokens, reserve_for(*s, l.tokens, now_ns), now_ns), &l,
                    "tokens per minute"),
            *s, l.tokens, tokens);
    }
    if (l.limits_concurrency() && !ensure_pool(*s, now_ns))
      return refusal(Verdict::rate_limited, 1'000'000'000ull, &l, "concurrent requests");
  }
  for (LeaseSet* s : plan.sets) {
    Limit& l = *s->limit;
    if (l.limits_requests()) {
      s->requests.units -= 1;
      s->requests.spent += 1;
    }
    if (l.limits_tokens()) {
      s->tokens.units -= tokens;
      s->tokens.spent += tokens;
    }
    if (l.limits_concurrency()) s->concurrent.units -= 1;
    s->reserved_tokens += tokens;
    s->in_flight += 1;
  }
  for (Budget* b : plan.budgets) {
    if (b->day.limit_nusd.load(std::memory_order_relaxed))
      b->day.spent_nusd.fetch_add(cost_nusd, std::memory_order_acq_rel);
    if (b->month.limit_nusd.load(std::memory_order_relaxed))
      b->month.spent_nusd.fetch_add(cost_nusd, std::memory_order_acq_rel);
  }
  out = Ticket{&plan, tokens, cost_nusd, true};
  return {};
}

void ShardLimiter::settle(Ticket& t, int64_t actual_tokens, int64_t actual_cost_nusd,
                          uint64_t now_ns) {
  if (!t.held) return;
  t.held = false;
  int64_t diff = actual_tokens - t.tokens;
  for (LeaseSet* s : t.plan->sets) {
    Limit& l = *s->limit;
    s->reserved_tokens -= t.tokens;
    s->in_flight -= 1;
    if (l.limits_concurrency()) s->concurrent.units += 1;
    if (!l.limits_tokens() || diff == 0) continue;
    Lease& lease = s->tokens;
    if (diff < 0) {
      // Units not yet reported go straight back into the lease; the rest is refunded.
      int64_t back = std::min(-diff, lease.spent);
      lease.spent -= back;
      lease.units += back;
      l.tokens.refund(-diff - back, now_ns);
    } else {
      int64_t from_lease = std::min(diff, std::max<int64_t>(lease.units, 0));
      lease.units -= from_lease;
      lease.spent += from_lease;
      l.tokens.debt(diff - from_lease, now_ns);
    }
  }
  int64_t cost_diff = actual_cost_nusd - t.cost_nusd;
  for (Budget* b : t.plan->budgets) {
    if (b->day.limit_nusd.load(std::memory_order_relaxed))
      b->day.spent_nusd.fetch_add(cost_diff, std::memory_order_acq_rel);
    if (b->month.limit_nusd.load(std::memory_order_relaxed))
      b->month.spent_nusd.fetch_add(cost_diff, std::memory_order_acq_rel);
  }
}

RateView ShardLimiter::view(const Plan& plan, uint64_t now_ns) const {
  RateView v;
  for (const LeaseSet* s : plan.sets) {
    const Limit& l = *s->limit;
    if (l.limits_requests()) {
      int64_t left = std::max<int64_t>(0, l.requests.available(now_ns) + s->requests.units);
      if (!v.has_requests || left < v.remaining_requests) {
        v.has_requests = true;
        v.limit_requests = l.requests.per_minute();
        v.remaining_requests = left;
        v.reset_requests_ns = l.requests.full_in_ns(now_ns);
      }
    }
    if (l.limits_tokens()) {
      int64_t left = std::max<int64_t>(0, l.tokens.available(now_ns) + s->tokens.units);
      if (!v.has_tokens || left < v.remaining_tokens) {
        v.has_tokens = true;
        v.limit_tokens = l.tokens.per_minute();
        v.remaining_tokens = left;
        v.reset_tokens_ns = l.tokens.full_in_ns(now_ns);
      }
    }
  }
  return v;
}

bool ShardLimiter::enqueue(Waiter& w, bool lease_wait) {
  int p = w.plan->project;
  if (p < 0 || (w.plan->queue_max_wait_ms == 0 && !lease_wait)) return false;
  if (queues_.size() <= static_cast<size_t>(p)) queues_.resize(static_cast<size_t>(p) + 1);
  auto& q = queues_[static_cast<size_t>(p)];
  const size_t room = lease_wait ? std::max<size_t>(w.plan->queue_max_length, kLeaseWaiters)
                                 : w.plan->queue_max_length;
  if (q.size() >= room) return false;
  q.push_back(&w);
  w.queued = true;
  registry_.project(p).queued.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ShardLimiter::cancel(Waiter& w) {
  if (!w.queued) return;
  auto& q = queues_[static_cast<size_t>(w.plan->project)];
  q.erase(std::find(q.begin(), q.end(), &w));
  w.queued = false;
  registry_.project(w.plan->project).queued.fetch_sub(1, std::memory_order_relaxed);
}

size_t ShardLimiter::queued() const {
  size_t n = 0;
  for (const auto& q : queues_) n += q.size();
  return n;
}

void ShardLimiter::update_usage(uint64_t now_ns) {
  if (last_usage_ns_ == 0) last_usage_ns_ = now_ns;
  uint64_t dt = now_ns - last_usage_ns_;
  if (dt < kUsageStepNs) return;
  last_usage_ns_ = now_ns;
  const size_t n = registry_.project_count();
  double keep = std::exp(-static_cast<double>(dt) / kUsageTauNs);
  std::vector<const Limit*> shared;
  for (auto& [key, s] : sets_)
    if (s->limit->shared && std::find(shared.begin(), shared.end(), s->limit) == shared.end())
      shared.push_back(s->limit);
  for (const Limit* l : shared) {
    Usage& u = usage_[l];
    u.last_taken.resize(n, 0);
    u.rate.resize(n, 0.0);
    for (size_t p = 0; p < n; ++p) {
      uint64_t taken = l->shares[p].taken.load(std::memory_order_relaxed);
      double per_s = static_cast<double>(taken - u.last_taken[p]) * 1e9 / static_cast<double>(dt);
      u.last_taken[p] = taken;
      u.rate[p] = u.rate[p] * keep + per_s * (1 - keep);
    }
  }
}

void ShardLimiter::serve_queues(uint64_t now_ns, int64_t now_ms) {
  // Projects with waiters, best first: priority tier, then least usage per weight.
  std::vector<std::pair<std::pair<uint32_t, double>, size_t>> order;
  for (size_t p = 0; p < queues_.size(); ++p) {
    if (queues_[p].empty()) continue;
    double usage = 0;
    for (LeaseSet* s : queues_[p].front()->plan->sets)
      if (s->limit->shared) usage = std::max(usage, norm_usage(s->limit, static_cast<int>(p)));
    order.push_back({{registry_.project(static_cast<int>(p)).priority.load(), usage}, p});
  }
  std::sort(order.begin(), order.end());
  for (const auto& [rank, p] : order) {
    auto& q = queues_[p];
    while (!q.empty()) {
      Waiter* w = q.front();
      Ticket t;
      serving_queue_ = true;
      Decision d = admit(*w->plan, w->tokens, w->cost_nusd, now_ms, now_ns, t);
      serving_queue_ = false;
      if (d.verdict != Verdict::admitted && now_ns < w->deadline_ns) break;
      q.pop_front();
      w->queued = false;
      registry_.project(static_cast<int>(p)).queued.fetch_sub(1, std::memory_order_relaxed);
      if (d.verdict == Verdict::admitted)
        w->admitted(t);
      else
        w->refused(d);
    }
  }
}

void ShardLimiter::tick(uint64_t now_ns, int64_t now_ms) {
  update_usage(now_ns);
  // Waiting requests keep their project's demand visible to the other shards.
  for (size_t p = 0; p < queues_.size(); ++p)
    if (!queues_[p].empty())
      for (LeaseSet* s : queues_[p].front()->plan->sets) s->demand = true;
  // Reserved tokens and requests in flight per limit, summed over its lease sets: a
  // vector kept across ticks (a handful of limits), so a tick allocates nothing.
  published_.clear();
  auto publish = [this](Limit* l) -> Published& {
    for (Published& p : published_)
      if (p.limit == l) return p;
    return published_.emplace_back(Published{l, 0, 0});
  };
  for (auto& [key, sp] : sets_) {
    LeaseSet& s = *sp;
    Limit& l = *s.limit;
    l.requests.spent(s.requests.spent, now_ns);
    s.requests.spent = 0;
    l.tokens.spent(s.tokens.spent, now_ns);
    s.tokens.spent = 0;
    if (!s.requests.used && s.requests.units > 0) {
      l.requests.give_back(s.requests.units);
      s.requests.units = 0;
    }
    if (!s.tokens.used && s.tokens.units > 0) {
      l.tokens.give_back(s.tokens.units);
      s.tokens.units = 0;
    }
    if (!s.concurrent.used && s.concurrent.units > 0) {
      l.concurrent.give_back(s.concurrent.units);
      s.concurrent.units = 0;
    }
    s.requests.used = s.tokens.used = s.concurrent.used = false;
    Published& p = publish(&l);
    p.reserved_tokens += s.reserved_tokens;
    p.in_flight += s.in_flight;
    if (s.demand && l.shared && s.project >= 0)
      l.shares[s.project].demand_until_ns.store(now_ns + kDemandWindowNs,
                                                std::memory_order_relaxed);
    s.demand = false;
  }
  for (const Published& p : published_) {
    p.limit->reserved[shard_].store(p.reserved_tokens, std::memory_order_relaxed);
    p.limit->in_flight[shard_].store(p.in_flight, std::memory_order_relaxed);
  }
  serve_queues(now_ns, now_ms);
}

}  // namespace sluice::limit
