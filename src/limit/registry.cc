#include "sluice/limit/registry.h"

#include <chrono>
#include <cmath>

#include "sluice/core/log.h"
#include "sluice/core/money.h"

namespace sluice::limit {
namespace {
bool any(const config::Limits& l) {
  return l.requests_per_minute || l.tokens_per_minute || l.concurrent_requests;
}

void append_json_name(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  out += '"';
}
}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::provider:
      return "provider";
    case Level::model:
      return "model";
    case Level::project:
      return "project";
    case Level::project_model:
      return "project_model";
    case Level::key:
      return "key";
  }
  return "unknown";
}

int64_t day_start_ms(int64_t ms) {
  using namespace std::chrono;
  sys_days d = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  return duration_cast<milliseconds>(d.time_since_epoch()).count();
}

int64_t month_start_ms(int64_t ms) {
  using namespace std::chrono;
  year_month_day ymd(floor<days>(sys_time<milliseconds>(milliseconds(ms))));
  sys_days first = ymd.year() / ymd.month() / day(1);
  return duration_cast<milliseconds>(first.time_since_epoch()).count();
}

int64_t next_month_start_ms(int64_t ms) {
  using namespace std::chrono;
  year_month_day ymd(floor<days>(sys_time<milliseconds>(milliseconds(ms))));
  sys_days next = (ymd.year() / ymd.month() / day(1)) + months(1);
  return duration_cast<milliseconds>(next.time_since_epoch()).count();
}

int64_t Limit::requests_in_flight() const {
  int64_t n = 0;
  for (unsigned s = 0; s < shard_count; ++s) n += in_flight[s].load(std::memory_order_relaxed);
  return n;
}

Registry::Registry(const config::Config& cfg, unsigned shards)
    : shards_(shards ? shards : 1),
      projects_(std::make_unique<std::unique_ptr<ProjectInfo>[]>(kMaxProjects)) {
  fleet.enabled = cfg.fleet.enabled;
  fleet.refuse_when_down = cfg.fleet.on_redis_down == config::OnRedisDown::refuse;
  fleet.redis = cfg.fleet.redis;
  apply(cfg);
}

void Registry::reconfigure(const config::Config& cfg) {
  apply(cfg);
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

int Registry::upsert_project(const config::Project& p) {
  auto it = project_index_.find(p.name);
  int index;
  if (it != project_index_.end()) {
    index = it->second;
  } else {
    size_t n = project_count_.load(std::memory_order_relaxed);
    if (n == kMaxProjects) {
      SLUICE_LOG_WARN(
          "project %s: more than %zu projects; it shares the fair-share slot of the "
          "last one",
          p.name.c_str(), kMaxProjects);
      return static_cast<int>(kMaxProjects - 1);
    }
    projects_[n] = std::make_unique<ProjectInfo>();
    projects_[n]->name = p.name;
    index = static_cast<int>(n);
    project_index_.emplace(p.name, index);
    project_count_.store(n + 1, std::memory_order_release);
  }
  ProjectInfo& info = *projects_[static_cast<size_t>(index)];
  info.weight.store(p.weight ? p.weight : 1, std::memory_order_relaxed);
  info.priority.store(p.priority, std::memory_order_relaxed);
  return index;
}

Limit* Registry::upsert_limit(const std::string& id, Level level, int project,
                              const config::Limits& l) {
  auto it = limits_.find(id);
  if (it == limits_.end()) {
    auto fresh = std::make_unique<Limit>();
    fresh->id = id;
    fresh->level = level;
    fresh->shared = level == Level::provider || level == Level::model;
    if (fresh->shared) fresh->shares = std::make_unique<ProjectShare[]>(kMaxProjects);
    fresh->reserved = std::make_unique<std::atomic<int64_t>[]>(shards_);
    fresh->in_flight = std::make_unique<std::atomic<int64_t>[]>(shards_);
    fresh->shard_count = shards_;
    it = limits_.emplace(id, std::move(fresh)).first;
  }
  Limit& lim = *it->second;
  lim.project = project;
  lim.requests.configure(l.requests_per_minute, l.burst_requests);
  lim.tokens.configure(l.tokens_per_minute, l.burst_tokens);
  lim.concurrent.configure(l.concurrent_requests);
  if (fleet.enabled) {
    // Before any shard can see it: nothing is admitted until the fleet grants.
    lim.requests.fleet_enable();
    lim.tokens.fleet_enable();
  }
  lim.live.store(true, std::memory_order_release);
  return &lim;
}

void Registry::upsert_budget(const std::string& id, const config::Budget& b) {
  auto it = budgets_.find(id);
  if (it == budgets_.end()) {
    auto fresh = std::make_unique<Budget>();
    fresh->id = id;
    it = budgets_.emplace(id, std::move(fresh)).first;
  }
  it->second->day.limit_nusd.store(b.nusd_per_day, std::memory_order_relaxed);
  it->second->month.limit_nusd.store(b.nusd_per_month, std::memory_order_relaxed);
  it->second->live.store(true, std::memory_order_release);
}

void Registry::apply(const config::Config& cfg) {
  std::lock_guard lock(mu_);
  for (auto& [id, lim] : limits_) lim->live.store(false, std::memory_order_release);
  for (auto& [id, b] : budgets_) b->live.store(false, std::memory_order_release);
  for (const config::Project& p : cfg.projects) upsert_project(p);
  for (const config::Provider& p : cfg.providers)
    if (any(p.limits)) upsert_limit("provider:" + p.name, Level::provider, -1, p.limits);
  for (const config::Model& m : cfg.models)
    if (any(m.limits)) upsert_limit("model:" + m.alias, Level::model, -1, m.limits);
  for (const config::Project& p : cfg.projects) {
    int index = project_index_.at(p.name);
    if (any(p.limits)) upsert_limit("project:" + p.name, Level::project, index, p.limits);
    for (const auto& [alias, l] : p.model_limits)
      if (any(l))
        upsert_limit("project:" + p.name + "/model:" + alias, Level::project_model, index, l);
    if (p.budget.nusd_per_day > 0 || p.budget.nusd_per_month > 0)
      upsert_budget("project:" + p.name, p.budget);
  }
  for (const config::Key& k : cfg.keys) {
    auto pi = project_index_.find(k.project);
    int index = pi == project_index_.end() ? -1 : pi->second;
    if (any(k.limits)) upsert_limit("key:" + k.id, Level::key, index, k.limits);
    if (k.budget.nusd_per_day > 0 || k.budget.nusd_per_month > 0)
      upsert_budget("key:" + k.id, k.budget);
  }
}

Limit* Registry::limit(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = limits_.find(id);
  if (it == limits_.end() || !it->second->live.load(std::memory_order_acquire)) return nullptr;
  return it->second.get();
}

Budget* Registry::budget(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = budgets_.find(id);
  if (it == budgets_.end() || !it->second->live.load(std::memory_order_acquire)) return nullptr;
  return it->second.get();
}

int Registry::project_index(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = project_index_.find(name);
  return it == project_index_.end() ? -1 : it->second;
}

void Registry::add_spend(std::string_view budget_id, int64_t nusd_day, int64_t nusd_month,
                         int64_t now_ms) {
  Budget* b = budget(budget_id);
  if (!b) return;
  b->day.start_ms.store(day_start_ms(now_ms));
  b->day.spent_nusd.fetch_add(nusd_day);
  b->month.start_ms.store(month_start_ms(now_ms));
  b->month.spent_nusd.fetch_add(nusd_month);
}

std::string Registry::json(uint64_t now_ns, int64_t now_ms) {
  std::lock_guard lock(mu_);
  size_t nproj = project_count_.load(std::memory_order_acquire);
  std::string out = "{\"limits\":[";
  bool first = true;
  for (const auto& [id, lim] : limits_) {
    if (!lim->live.load(std::memory_order_acquire)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    append_json_name(out, id);
    out += ",\"level\":\"";
    out += level_name(lim->level);
    out += '"';
    auto bucket = [&](const char* name, const GlobalBucket& b) {
      if (b.per_minute() == 0) return;
      out += ",\"";
      out += name;
      out += "\":{\"per_minute\":" + std::to_string(b.per_minute()) +
             ",\"burst\":" + std::to_string(b.burst()) +
             ",\"remaining\":" + std::to_string(std::max<int64_t>(0, b.available(now_ns))) +
             ",\"leased\":" + std::to_string(b.outstanding());
      // A provider's pause (a 429's retry-after, here or on another fleet instance).
      if (uint64_t until = b.paused_until_ns(); until > now_ns)
        out += ",\"paused_ms\":" + std::to_string((until - now_ns) / 1'000'000);
      if (b.fleet_on()) {
        // What the fleet's grant still allows this process to lease to its shards.
        GlobalBucket::FleetCounters c = b.fleet_counters();
        out += ",\"fleet_allowance\":" + std::to_string(std::max<int64_t>(0, c.cap - c.taken));
      }
      out += '}';
    };
    bucket("requests", lim->requests);
    bucket("tokens", lim->tokens);
    if (lim->limits_concurrency())
      out += ",\"concurrent\":{\"limit\":" + std::to_string(lim->concurrent.capacity()) +
             ",\"leased\":" + std::to_string(lim->concurrent.leased()) + "}";
    int64_t reserved = 0;
    for (unsigned s = 0; s < shards_; ++s) reserved += lim->reserved[s].load();
    out += ",\"reserved_tokens\":" + std::to_string(reserved);
    out += ",\"in_flight\":" + std::to_string(lim->requests_in_flight());
    out += ",\"queued\":{";
    bool qfirst = true;
    for (size_t p = 0; p < nproj; ++p) {
      if (!lim->shared && lim->project != static_cast<int>(p)) continue;
      if (!qfirst) out += ',';
      qfirst = false;
      append_json_name(out, projects_[p]->name);
      out += ':' + std::to_string(projects_[p]->queued.load());
    }
    out += "}}";
  }
  out += "],\"budgets\":[";
  first = true;
  for (const auto& [id, b] : budgets_) {
    if (!b->live.load(std::memory_order_acquire)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    append_json_name(out, id);
    auto window = [&](const char* name, const BudgetWindow& w, int64_t start) {
      // Exact decimals printed from the integers, and the integers themselves.
      const int64_t limit = w.limit_nusd.load();
      const int64_t spent = w.start_ms.load() == start ? w.spent_nusd.load() : 0;
      out += ",\"";
      out += name;
      out += "\":{\"limit_usd\":";
      money::append_nano(out, limit);
      out += ",\"spent_usd\":";
      money::append_nano(out, spent);
      out += ",\"limit_nusd\":" + std::to_string(limit) +
             ",\"spent_nusd\":" + std::to_string(spent) + '}';
    };
    window("day", b->day, day_start_ms(now_ms));
    window("month", b->month, month_start_ms(now_ms));
    out += '}';
  }
  out += "],\"queues\":{";
  for (size_t p = 0; p < nproj; ++p) {
    if (p) out += ',';
    append_json_name(out, projects_[p]->name);
    out += ':' + std::to_string(projects_[p]->queued.load());
  }
  out += "},\"queue_waits\":{";
  for (size_t p = 0; p < nproj; ++p) {
    if (p) out += ',';
    const ProjectInfo& info = *projects_[p];
    append_json_name(out, info.name);
    char buf[128];
    snprintf(buf, sizeof buf, ":{\"waited\":%llu,\"total_ms\":%.3f,\"max_ms\":%.3f}",
             static_cast<unsigned long long>(info.waits.load()),
             static_cast<double>(info.wait_ns_total.load()) / 1e6,
             static_cast<double>(info.wait_ns_max.load()) / 1e6);
    out += buf;
  }
  out += '}';
  if (fleet.enabled) {
    out += ",\"fleet\":{\"instance\":";
    append_json_name(out, fleet.instance);
    out += ",\"redis\":";
    append_json_name(out, fleet.redis);
    out += std::string(",\"redis_up\":") + (fleet.redis_up.load() ? "true" : "false");
    out += ",\"mode\":\"";
    out += !fleet.degraded.load() ? "fleet" : fleet.refusing.load() ? "refuse" : "local_share";
    out += "\",\"instances_seen\":" + std::to_string(fleet.instances_seen.load());
    out += ",\"leases_held\":" + std::to_string(fleet.leases_held.load());
    out += ",\"units_held\":" + std::to_string(fleet.units_held.load());
    out += ",\"round_trips\":" + std::to_string(fleet.round_trips.load());
    out += ",\"grants\":" + std::to_string(fleet.grants.load());
    out += ",\"last_error\":";
    append_json_name(out, fleet.last_error());
    out += ",\"last_round_trip_ms\":" + std::to_string(fleet.last_round_ms.load());
    out += ",\"last_rtt_us\":" + std::to_string(fleet.last_rtt_us.load());
    out += ",\"view\":" + fleet.view();
    out += '}';
  }
  out += '}';
  return out;
}

}  // namespace sluice::limit
