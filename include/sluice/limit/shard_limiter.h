#pragma once
// One shard's side of every limit (docs/LIMITS.md): local leases it admits from with
// plain arithmetic, its share of the demand it publishes, and its queue of waiting
// requests. Only the owning shard's thread calls it.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/limit/registry.h"

namespace sluice::limit {

// Units on loan to this shard from one GlobalBucket or GlobalPool.
struct Lease {
  int64_t units = 0;  // may be admitted from without asking anyone
  int64_t spent = 0;  // admitted since the last report to the global bucket
  bool used = false;  // touched since the last tick (idle leases go back)
};

// The shard's leases on one limit (for a shared limit: one set per project, so one
// project's lease can never be spent by another).
struct LeaseSet {
  Limit* limit = nullptr;
  int project = -1;  // the project this set serves on a shared limit; -1 otherwise
  Lease requests, tokens, concurrent;
  int64_t reserved_tokens = 0;  // estimates of admitted requests not yet settled
  int64_t in_flight = 0;        // admitted requests not yet settled
  bool demand = false;          // the project wanted capacity here since the last tick
};

// Every limit and budget one kind of request meets, resolved once and cached.
struct Plan {
  std::vector<LeaseSet*> sets;
  std::vector<Budget*> budgets;
  int project = -1;
  uint32_t queue_max_wait_ms = 0;
  uint32_t queue_max_length = 0;
};

// Who a request is, for resolving its plan.
struct Who {
  std::string_view project;
  std::string_view key_id;
  std::string_view alias;     // model alias (empty: none)
  std::string_view provider;  // provider name
};

enum class Verdict : uint8_t { admitted, rate_limited, budget_exceeded };

struct Decision {
  Verdict verdict = Verdict::admitted;
  uint64_t retry_after_ns = 0;   // refused: until the request could be admitted
  const Limit* limit = nullptr;  // refused by (rate_limited)
  const Budget* budget = nullptr;
  std::string_view what;  // "requests", "tokens", "concurrent requests", "daily budget", ...
  // Refused only because this instance's fleet lease is spent while the fleet's bucket
  // had room at its last grant: the fleet thread is asking Redis for more, so the
  // request may wait for that grant instead of a 429 (docs/FLEET.md).
  bool lease_wait = false;
};

// What an admitted request holds until it settles.
struct Ticket {
  Plan* plan = nullptr;
  int64_t tokens = 0;     // reserved estimate
  int64_t cost_nusd = 0;  // reserved estimate, nano-USD
  bool held = false;
};

// x-ratelimit-* values of the tightest limit.
struct RateView {
  bool has_requests = false, has_tokens = false;
  uint64_t limit_requests = 0, limit_tokens = 0;
  int64_t remaining_requests = 0, remaining_tokens = 0;
  uint64_t reset_requests_ns = 0, reset_tokens_ns = 0;
};

// A request waiting in the queue. The limiter calls exactly one of admitted() and
// refused(), unless the owner cancels first.
class Waiter {
 public:
  virtual void admitted(Ticket ticket) = 0;
  virtual void refused(const Decision& d) = 0;

  Plan* plan = nullptr;
  int64_t tokens = 0;
  int64_t cost_nusd = 0;
  uint64_t deadline_ns = 0;
  bool queued = false;

 protected:
  ~Waiter() = default;
};

class ShardLimiter {
 public:
  ShardLimiter(Registry& registry, unsigned shard);
  ~ShardLimiter();

  // The plan of a request (cached; re-resolved after a reload).
  Plan* plan(const Who& who, const config::Config& cfg);
  // Admission: every limit of the plan must admit, or none is charged.
  Decision admit(Plan& plan, int64_t tokens, int64_t cost_nusd, int64_t now_ms, uint64_t now_ns,
                 Ticket& out);
  // Replaces the reservation by what the request really used.
  void settle(Ticket& t, int64_t actual_tokens, int64_t actual_cost_nusd, uint64_t now_ns);
  RateView view(const Plan& plan, uint64_t now_ns) const;

  // Queue: false when the project's queue here is full.
  // `lease_wait` (a Decision's): the request may wait for the fleet's grant even where
  // its project has no queue.
  bool enqueue(Waiter& w, bool lease_wait = false);
  void cancel(Waiter& w);  // a client that hung up leaves at once
  size_t queued() const;

  // Every tick_ms: reports spending, returns idle leases, publishes demand, serves the
  // queues and expires waiters past their deadline.
  void tick(uint64_t now_ns, int64_t now_ms);

 private:
  LeaseSet* set_for(Limit* limit, int project);
  bool ensure(LeaseSet& s, Lease& lease, GlobalBucket& b, int64_t need, uint64_t now_ns);
  bool refill(LeaseSet& s, Lease& lease, GlobalBucket& b, int64_t need, uint64_t now_ns);
  bool ensure_pool(LeaseSet& s, uint64_t now_ns);
  int64_t reserve_for(const LeaseSet& s, const GlobalBucket& b, uint64_t now_ns) const;
  double norm_usage(const Limit* limit, int project) const;
  Decision check_budgets(Plan& plan, int64_t cost_nusd, int64_t now_ms);
  Decision lease_refusal(Decision d, const LeaseSet& s, const GlobalBucket& b, int64_t units);
  void release(Ticket& t);
  void serve_queues(uint64_t now_ns, int64_t now_ms);
  void update_usage(uint64_t now_ns);

  Registry& registry_;
  const unsigned shard_;
  uint64_t generation_ = 0;
  std::map<std::string, std::unique_ptr<Plan>, std::less<>> plans_;
  std::vector<std::unique_ptr<Plan>> retired_;  // plans of before a reload: tickets may hold them
  std::string key_;                             // plan lookup key, reused
  int64_t day_start_ = 0, month_start_ = 0, month_end_ = 0;  // current UTC windows
  std::map<std::pair<const Limit*, int>, std::unique_ptr<LeaseSet>> sets_;
  // Fair share: this shard's view of each project's recent usage per shared limit,
  // units per second (decayed), from the global `taken` counters.
  struct Usage {
    std::vector<uint64_t> last_taken;
    std::vector<double> rate;
  };
  std::unordered_map<const Limit*, Usage> usage_;
  uint64_t last_usage_ns_ = 0;
  std::vector<std::deque<Waiter*>> queues_;  // per project index
  bool lease_short_ = false;    // the last failed refill was short of the fleet lease only
  bool serving_queue_ = false;  // admit() is retrying a queued request, not a new one
  struct Published {
    Limit* limit;
    int64_t reserved_tokens;
    int64_t in_flight;
  };
  std::vector<Published> published_;  // tick()'s sums, kept for its capacity
};

}  // namespace sluice::limit
