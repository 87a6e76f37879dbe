#pragma once
// Every live limit and budget of the process, by identity (docs/LIMITS.md). Created by
// the control thread before the shards start; shards reach it by pointer and keep
// their own leases and queues (shard_limiter.h). Nothing here is freed while the
// process runs: a limit dropped by a reload stays allocated (and unused), so a shard
// holding a pointer to it never reads freed memory.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/limit/fleet_status.h"
#include "sluice/limit/global_bucket.h"

namespace sluice::limit {

enum class Level : uint8_t { provider, model, project, project_model, key };
std::string_view level_name(Level level);

// Projects the fair share of one shared limit can tell apart.
inline constexpr size_t kMaxProjects = 256;

// One project on a shared limit (a provider account, a model alias), written by the
// shards' ticks.
struct ProjectShare {
  std::atomic<uint64_t> demand_until_ns{0};  // some shard wants capacity for it until then
  std::atomic<uint64_t> taken{0};            // units leased for it, ever (its usage)
  // Units its new requests asked for and this limit refused, ever: with `taken`, what
  // the project wanted here (the fleet splits its weight between instances by that).
  std::atomic<uint64_t> refused{0};
};

// One live limit.
struct Limit {
  std::string id;  // identity: "provider:openai", "project:prod/model:gpt-4o", ...
  Level level = Level::project;
  int project = -1;       // project it belongs to (project, project_model); -1 otherwise
  bool shared = false;    // provider / model: capacity shared by weight between projects
  GlobalBucket requests;  // unused when requests_per_minute is 0
  GlobalBucket tokens;    // unused when tokens_per_minute is 0
  GlobalPool concurrent;  // unused when concurrent_requests is 0
  std::unique_ptr<ProjectShare[]> shares;             // kMaxProjects entries when shared
  std::unique_ptr<std::atomic<int64_t>[]> reserved;   // per shard: estimated tokens in flight
  std::unique_ptr<std::atomic<int64_t>[]> in_flight;  // per shard: admitted, not yet settled
  int64_t requests_in_flight() const;                 // all shards, as of their last tick
  std::atomic<bool> live{true};                       // false once a reload removed it
  unsigned shard_count = 1;

  bool limits_requests() const { return requests.per_minute() != 0; }
  bool limits_tokens() const { return tokens.per_minute() != 0; }
  bool limits_concurrency() const { return concurrent.capacity() != 0; }
};

// A USD budget over one UTC window.
struct BudgetWindow {
  std::atomic<int64_t> limit_nusd{0};  // nano-USD; 0: none
  std::atomic<int64_t> start_ms{0};    // window start (UTC day or month)
  std::atomic<int64_t> spent_nusd{0};  // settled spend plus reservations in flight
};

struct Budget {
  std::string id;  // "project:prod", "key:bot"
  BudgetWindow day;
  BudgetWindow month;
  std::atomic<bool> live{true};
};

// A project as the fair share sees it.
struct ProjectInfo {
  std::string name;
  std::atomic<uint32_t> weight{1};
  std::atomic<uint32_t> priority{0};
  std::atomic<int64_t> queued{0};  // requests waiting in every shard's queue
  // Requests that left a queue (admitted, refused at their deadline, or gone) and how
  // long they waited: written once per queued request, never on the fast path.
  std::atomic<uint64_t> waits{0};
  std::atomic<uint64_t> wait_ns_total{0};
  std::atomic<uint64_t> wait_ns_max{0};
  void record_wait(uint64_t ns) {
    waits.fetch_add(1, std::memory_order_relaxed);
    wait_ns_total.fetch_add(ns, std::memory_order_relaxed);
    uint64_t max = wait_ns_max.load(std::memory_order_relaxed);
    while (ns > max && !wait_ns_max.compare_exchange_weak(max, ns, std::memory_order_relaxed)) {
    }
  }
};

class Registry {
 public:
  Registry(const config::Config& cfg, unsigned shards);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Applies a new configuration. Limits and budgets keep their state (debt, spend,
  // leases) by identity; new ones start full; removed ones stop applying. Shards see
  // the change at their next request (generation()).
  void reconfigure(const config::Config& cfg);
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // Slow path (a shard resolving a request's limits once per combination).
  Limit* limit(std::string_view id);
  Budget* budget(std::string_view id);
  int project_index(std::string_view name);  // -1: unknown
  ProjectInfo& project(int index) { return *projects_[static_cast<size_t>(index)]; }
  size_t project_count() const { return project_count_.load(std::memory_order_acquire); }
  unsigned shards() const { return shards_; }

  // Spend already in the ledger for the current windows (rebuilt at start).
  void add_spend(std::string_view budget_id, int64_t nusd_day, int64_t nusd_month, int64_t now_ms);

  // Provider feedback for the account `provider:<name>`.
  Limit* provider(std::string_view name) { return limit("provider:" + std::string(name)); }

  // GET /admin/limits.
  std::string json(uint64_t now_ns, int64_t now_ms);

  // The fleet (docs/FLEET.md): set from the config at start (a reload does not turn it
  // on or off); every limit is then fleet-capped from the moment it exists.
  FleetStatus fleet;
  // The fleet thread's view of every live limit (under the registry's lock).
  template <class Fn>
  void for_each_limit(Fn&& fn) {
    std::lock_guard lock(mu_);
    for (auto& [id, lim] : limits_)
      if (lim->live.load(std::memory_order_acquire)) fn(*lim);
  }
  // ... and of every live budget.
  template <class Fn>
  void for_each_budget(Fn&& fn) {
    std::lock_guard lock(mu_);
    for (auto& [id, b] : budgets_)
      if (b->live.load(std::memory_order_acquire)) fn(*b);
  }

 private:
  void apply(const config::Config& cfg);
  Limit* upsert_limit(const std::string& id, Level level, int project, const config::Limits& l);
  void upsert_budget(const std::string& id, const config::Budget& b);
  int upsert_project(const config::Project& p);

  const unsigned shards_;
  std::mutex mu_;  // maps below; never taken on the request path
  std::map<std::string, std::unique_ptr<Limit>, std::less<>> limits_;
  std::map<std::string, std::unique_ptr<Budget>, std::less<>> budgets_;
  std::unique_ptr<std::unique_ptr<ProjectInfo>[]> projects_;
  std::map<std::string, int, std::less<>> project_index_;
  std::atomic<size_t> project_count_{0};
  std::atomic<uint64_t> generation_{1};
};

// Budget windows: the start of the UTC day / month holding `ms`.
int64_t day_start_ms(int64_t ms);
int64_t month_start_ms(int64_t ms);
int64_t next_month_start_ms(int64_t ms);

}  // namespace sluice::limit
