#include "sluice/fleet/fleet.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/fleet/lease_script.h"

namespace sluice::fleet {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kWakeNs = 10 * kMs;  // how often the thread looks at demand (no I/O)
constexpr uint64_t kBackoffMinNs = 100 * kMs;
constexpr uint64_t kBackoffMaxNs = 5000 * kMs;
// Instances with a heartbeat this recent count for the static share.
constexpr uint64_t kSeenWindowMs = 10'000;
// Signals (pauses, breakers) reach the other instances within this plus a round trip.
constexpr uint64_t kSignalPollNs = 500 * kMs;
// How often the fleet view of /admin/limits is read from Redis.
constexpr uint64_t kViewNs = 1000 * kMs;

std::string read_password(const config::Fleet& cfg) {
  if (!cfg.password_env.empty()) {
    const char* v = std::getenv(cfg.password_env.c_str());
    if (v == nullptr || *v == '\0')
      throw std::runtime_error("fleet: environment variable " + cfg.password_env +
                               " (password_env) is not set");
    return v;
  }
  if (!cfg.password_file.empty()) {
    std::ifstream in(cfg.password_file);
    std::string line;
    if (!in || !std::getline(in, line))
      throw std::runtime_error("fleet: cannot read password_file " + cfg.password_file);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
  }
  return {};
}

// A reply that frees itself.
struct Reply {
  redisReply* r = nullptr;
  explicit Reply(void* p) : r(static_cast<redisReply*>(p)) {}
  ~Reply() {
    if (r) freeReplyObject(r);
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  bool error() const { return r == nullptr || r->type == REDIS_REPLY_ERROR; }
  std::string text() const {
    if (r == nullptr) return "no reply";
    if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ||
        r->type == REDIS_REPLY_STRING)
      return std::string(r->str, r->len);
    return {};
  }
};

timeval to_timeval(uint64_t ns) {
  return timeval{static_cast<time_t>(ns / 1'000'000'000),
                 static_cast<suseconds_t>(ns % 1'000'000'000 / 1000)};
}

}  // namespace

std::string instance_name(const config::Fleet& cfg) {
  if (!cfg.instance.empty()) return cfg.instance;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "sluice");
  return std::string(host) + "-" + std::to_string(getpid());
}

Fleet::Fleet(const config::Fleet& cfg, limit::Registry& registry, resilience::Breakers* breakers)
    : cfg_(cfg),
      registry_(registry),
      status_(registry.fleet),
      password_(read_password(cfg)),
      lease_ns_(uint64_t{cfg.lease_ms} * kMs),
      breakers_(breakers) {
  status_.instance = instance_name(cfg);
  holder_ =
      status_.instance + ":" + std::to_string(getpid()) + ":" + std::to_string(core::wall_ms());
}

Fleet::~Fleet() { stop(); }

void Fleet::start() {
  // Before the shards serve: grant what Redis allows now, so the first requests find
  // a lease (a Redis that is down starts the process degraded instead).
  scan();
  if (connect()) {
    renew(core::mono_ns(), true);
  } else {
    degrade(status_.last_error());
  }
  publish();
  thread_ = std::thread([this] { run(); });
}

void Fleet::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    // Called once the shards are joined: report what they admitted and hand every
    // lease back, so the others need not wait for them to expire.
    if (redis_ && !degraded_) {
      releasing_ = true;
      if (renew(core::mono_ns(), true)) SLUICE_LOG_INFO("fleet: leases returned to Redis");
    }
  }
  if (redis_) {
    redisFree(redis_);
    redis_ = nullptr;
  }
}

void Fleet::reconfigure(const config::Fleet& next) {
  {
    std::lock_guard lock(mu_);
    pending_ = next;
  }
  wake_.notify_all();
}

void Fleet::apply(const config::Fleet& next) {
  if (next == cfg_) return;
  if (!next.enabled) {
    SLUICE_LOG_WARN("fleet: the reload removes the fleet section; it stays on until a restart");
    return;
  }
  if (next.redis != cfg_.redis || next.password_env != cfg_.password_env ||
      next.password_file != cfg_.password_file || next.instance != cfg_.instance)
    SLUICE_LOG_WARN(
        "fleet: another redis, password or instance takes a restart; "
        "this reload applies lease_ms and on_redis_down only");
  if (next.lease_ms != cfg_.lease_ms) {
    // Leases in hand keep the validity they were granted with; the next asks use this.
    cfg_.lease_ms = next.lease_ms;
    lease_ns_ = uint64_t{next.lease_ms} * kMs;
    SLUICE_LOG_INFO("fleet: lease_ms is now %u", next.lease_ms);
  }
  if (next.on_redis_down != cfg_.on_redis_down) {
    cfg_.on_redis_down = next.on_redis_down;
    const bool refuse = next.on_redis_down == config::OnRedisDown::refuse;
    SLUICE_LOG_INFO("fleet: on_redis_down is now %s", refuse ? "refuse" : "local_share");
    if (degraded_) {
      status_.refusing.store(refuse);
      share_pools();
      if (refuse)
        for (auto& [b, e] : entries_) e.lease.reset(*e.bucket);
    }
  }
}

void Fleet::run() {
  uint64_t next_scan_ns = 0;
  uint64_t generation = registry_.generation();
  for (;;) {
    std::optional<config::Fleet> next;
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, std::chrono::nanoseconds(kWakeNs), [this] { return stop_; })) return;
      next.swap(pending_);
    }
    if (next) apply(*next);
    uint64_t now = core::mono_ns();
    // Limits a reload added (at once: they refuse until their first grant) or removed.
    if (now >= next_scan_ns || registry_.generation() != generation) {
      generation = registry_.generation();
      scan();
      next_scan_ns = now + 200 * kMs;
    }
    if (!redis_ && now >= next_connect_ns_) {
      if (connect()) {
        recover();
        renew(core::mono_ns(), true);
      }
    } else if (redis_) {
      renew(now, false);
    }
    // The view /admin/limits serves, once a second, off the request path.
    if (redis_ && !degraded_ && now >= next_view_ns_) {
      next_view_ns_ = now + kViewNs;
      read_view();
    }
    if (degraded_) {
      grant_locally(core::mono_ns());
    } else {
      // A lease whose renewal did not come back in time is given up, never used past
      // the moment Redis may charge it.
      uint64_t t = core::mono_ns();
      for (auto& [b, e] : entries_)
        if (e.lease.expire_if_stale(*e.bucket, t))
          SLUICE_LOG_WARN("fleet: the lease of %s ran out before its renewal", e.key.c_str());
      for (auto& [k, e] : pools_)
        if (e.valid_until_ns && t >= e.valid_until_ns) {
          e.pool->fleet_set_cap(std::min(e.pool->fleet_cap(), e.pool->leased()));  // freeze
          e.valid_until_ns = 0;
        }
    }
    publish();
  }
}

void Fleet::scan() {
  for (auto& [b, e] : entries_) e.seen = false;
  for (auto& [p, e] : pools_) e.seen = false;
  registry_.for_each_limit([this](limit::Limit& lim) {
    auto add = [&](limit::GlobalBucket& b, const char* kind) {
      if (b.per_minute() == 0) return;
      Entry& e = entries_[&b];
      if (e.bucket == nullptr) {
        e.bucket = &b;
        e.limit = &lim;
        e.key = prefix_ + lim.id + ":" + kind;
        b.fleet_enable();
        if (degraded_)
          e.share.configure(b.per_minute(), static_cast<uint64_t>(b.burst()),
                            1.0 / std::max<uint32_t>(1, status_.instances_seen.load()));
      }
      e.seen = true;
    };
    add(lim.requests, "requests");
    add(lim.tokens, "tokens");
    if (lim.limits_concurrency()) {
      PoolEntry& p = pools_[&lim.concurrent];
      if (p.pool == nullptr) {
        p.pool = &lim.concurrent;
        p.key = prefix_ + lim.id + ":concurrent";
        p.seen_short = lim.concurrent.fleet_short();
        lim.concurrent.fleet_enable();
        if (degraded_) share_pools();
      }
      p.seen = true;
    }
  });
  std::erase_if(pools_, [](const auto& kv) { return !kv.second.seen; });
  // A removed limit: its lease runs out in Redis and is charged there (conservative).
  std::erase_if(entries_, [](const auto& kv) { return !kv.second.seen; });
}

bool Fleet::connect() {
  timeval tv = to_timeval(limit::fleet_call_ms(lease_ns_ / kMs) * kMs);
  redisContext* c = cfg_.unix_path.empty()
                        ? redisConnectWithTimeout(cfg_.host.c_str(), cfg_.port, tv)
                        : redisConnectUnixWithTimeout(cfg_.unix_path.c_str(), tv);
  status_.round_trips.fetch_add(1, std::memory_order_relaxed);
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    redis_ = nullptr;
    disconnect("connecting to " + cfg_.redis + ": " + why);
    return false;
  }
  redis_ = c;
  // Every command waits at most a quarter of a lease: a renewal that takes longer is
  // treated as Redis being down, while the leases in hand are still good.
  redisSetTimeout(redis_, tv);
  if (!password_.empty()) {
    Reply r(redisCommand(redis_, "AUTH %b", password_.data(), password_.size()));
    status_.round_trips.fetch_add(1, std::memory_order_relaxed);
    if (r.error()) {
      disconnect("AUTH: " + (r.r ? r.text() : std::string(redis_->errstr)));
      return false;
    }
  }
  if (cfg_.db != 0) {
    Reply r(redisCommand(redis_, "SELECT %u", cfg_.db));
    status_.round_trips.fetch_add(1, std::memory_order_relaxed);
    if (r.error()) {
      disconnect("SELECT: " + (r.r ? r.text() : std::string(redis_->errstr)));
      return false;
    }
  }
  if (!load_script()) return false;
  backoff_ns_ = 0;
  SLUICE_LOG_INFO("fleet: connected to Redis at %s as %s", cfg_.redis.c_str(),
                  status_.instance.c_str());
  return true;
}

bool Fleet::load_script() {
  Reply r(redisCommand(redis_, "SCRIPT LOAD %b", kLeaseScript.data(), kLeaseScript.size()));
  status_.round_trips.fetch_add(1, std::memory_order_relaxed);
  if (r.error() || r.r->type != REDIS_REPLY_STRING) {
    disconnect("SCRIPT LOAD: " + (r.r ? r.text() : std::string(redis_->errstr)));
    return false;
  }
  sha_ = r.text();
  return true;
}

void Fleet::disconnect(const std::string& why) {
  if (redis_) {
    redisFree(redis_);
    redis_ = nullptr;
  }
  status_.errors.fetch_add(1, std::memory_order_relaxed);
  if (status_.redis_up.exchange(false) || status_.last_error() != why)
    SLUICE_LOG_WARN("fleet: Redis unavailable: %s", why.c_str());
  status_.set_last_error(why);
  backoff_ns_ = backoff_ns_ ? std::min(backoff_ns_ * 2, kBackoffMaxNs) : kBackoffMinNs;
  next_connect_ns_ = core::mono_ns() + backoff_ns_;
  if (!degraded_) degrade(why);
}

bool Fleet::renew(uint64_t now_ns, bool all) {
  std::vector<Entry*> due;
  // A provider's remaining count below half of what the bucket holds when full is told
  // to the fleet at once (at most twenty times per lease); any other rides the next one.
  const bool clamp_now = now_ns >= last_round_ns_ + lease_ns_ / 20;
  auto low_clamp = [&](const Entry& e) {
    const int64_t full =
        std::min<int64_t>(e.bucket->burst(), static_cast<int64_t>(e.bucket->per_minute()));
    return clamp_now && e.bucket->fleet_clamp() < full / 2;
  };
  for (auto& [b, e] : entries_)
    if (all || e.lease.due(*e.bucket, now_ns) || low_clamp(e)) due.push_back(&e);
  // One round trip renews every lease that would be due soon, not only the one that is.
  if (!due.empty() && !all)
    for (auto& [b, e] : entries_)
      if (!e.lease.due(*e.bucket, now_ns) && !low_clamp(e) && e.lease.renew_soon(now_ns, lease_ns_))
        due.push_back(&e);
  // A heartbeat at least twice per lease (and every half second) even when nothing is
  // due, so the others count this instance for their static share and it learns of
  // their pauses and breakers; at once when it has one of its own to tell.
  Signals sig = collect_signals(now_ns);
  const bool spend_due = collect_budgets(sig);
  const bool pools_due = plan_pools(now_ns);
  const uint64_t beat = std::min<uint64_t>(lease_ns_ / 2, kSignalPollNs);
  if (due.empty() && sig.reports.empty() && sig.probe_asks.empty() && !spend_due && !pools_due &&
      now_ns < last_round_ns_ + beat)
    return true;
  // Every provider's remaining count not told yet rides this round trip.
  for (auto& [b, e] : entries_)
    if (e.bucket->fleet_clamp() != INT64_MAX && std::find(due.begin(), due.end(), &e) == due.end())
      due.push_back(&e);

  std::vector<std::string> args;
  args.reserve(6 + due.size() * 8);
  args.push_back("EVALSHA");
  args.push_back(sha_);
  args.push_back(std::to_string(due.size() + sig.budgets.size() + pools_.size() + 3));
  args.push_back(prefix_ + "instances");
  args.push_back(prefix_ + "signals");
  args.push_back(prefix_ + "probe:");
  for (Entry* e : due) args.push_back(e->key);
  for (const WindowReport& w : sig.budgets) args.push_back(w.key);
  for (const auto& [p, e] : pools_) args.push_back(e.key);
  args.push_back(holder_ + ":" + std::to_string(epoch_));
  args.push_back(status_.instance);
  args.push_back(std::to_string(cfg_.lease_ms));
  args.push_back(std::to_string(kSeenWindowMs));
  args.push_back(std::to_string(sig.reports.size()));
  for (const auto& [field, ms] : sig.reports) {
    args.push_back(field);
    args.push_back(std::to_string(ms));
  }
  args.push_back(std::to_string(sig.probe_asks.size()));
  for (const std::string& p : sig.probe_asks) args.push_back(p);
  args.push_back(std::to_string(due.size()));
  for (Entry* e : due) {
    limit::FleetAsk a = e->lease.plan(*e->bucket, now_ns, lease_ns_);
    if (releasing_) a.want = 0;  // the shards have stopped: everything goes back
    for (int64_t v : {static_cast<int64_t>(e->bucket->per_minute()), e->bucket->burst(), a.spent,
                      a.refund, a.want})
      args.push_back(std::to_string(v));
    args.push_back(releasing_ ? std::string() : demand_of(*e, now_ns));
    int64_t clamp = e->bucket->take_fleet_clamp();
    args.push_back(std::to_string(clamp == INT64_MAX ? -1 : std::max<int64_t>(0, clamp)));
    args.push_back(std::to_string(e->bucket->provider_per_minute()));
  }
  args.push_back(std::to_string(sig.budgets.size()));
  for (const WindowReport& w : sig.budgets) {
    args.push_back(std::to_string(w.own));
    args.push_back(std::to_string(w.ttl_ms));
  }
  prepare_pools(now_ns);
  args.push_back(std::to_string(pools_.size()));
  for (auto& [p, e] : pools_) {
    args.push_back(std::to_string(p->capacity()));
    args.push_back(std::to_string(releasing_ ? 0 : e.want));
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  const uint64_t sent = core::mono_ns();
  auto call = [&] {
    status_.round_trips.fetch_add(1, std::memory_order_relaxed);
    return redisCommandArgv(redis_, static_cast<int>(argv.size()), argv.data(), lens.data());
  };
  Reply r(call());
  if (r.r && r.r->type == REDIS_REPLY_ERROR && r.text().starts_with("NOSCRIPT")) {
    // Redis restarted or flushed its scripts: load it again and retry once.
    if (!load_script()) return false;
    argv[1] = sha_.data();
    lens[1] = sha_.size();
    Reply again(call());
    std::swap(r.r, again.r);
  }
  if (r.error() || r.r->type != REDIS_REPLY_ARRAY || r.r->elements != 5 + 4 * due.size() ||
      r.r->element[1]->type != REDIS_REPLY_ARRAY || r.r->element[2]->type != REDIS_REPLY_ARRAY ||
      r.r->element[3]->type != REDIS_REPLY_ARRAY ||
      r.r->element[3]->elements != sig.budgets.size() ||
      r.r->element[4]->type != REDIS_REPLY_ARRAY || r.r->element[4]->elements != pools_.size()) {
    disconnect("EVALSHA: " + (r.r ? r.text() : std::string(redis_ ? redis_->errstr : "")));
    return false;
  }
  last_round_ns_ = sent;
  status_.last_round_ms.store(core::wall_ms(), std::memory_order_relaxed);
  status_.last_rtt_us.store((core::mono_ns() - sent) / 1000, std::memory_order_relaxed);
  status_.instances_seen.store(
      static_cast<uint32_t>(std::max<long long>(1, r.r->element[0]->integer)));
  apply_signals(r.r->element[1], r.r->element[2], sig);
  apply_budgets(r.r->element[3], sig);
  size_t pi = 0;
  for (auto& [k, e] : pools_) {
    // The grant covers what was leased when the ask left (the cap was lowered first).
    e.pool->fleet_set_cap(r.r->element[4]->element[pi++]->integer);
    e.valid_until_ns = sent + lease_ns_ - lease_ns_ / 10;
  }
  for (size_t i = 0; i < due.size(); ++i) {
    int64_t units = r.r->element[5 + 4 * i]->integer;
    int64_t retry_ms = r.r->element[6 + 4 * i]->integer;
    // The provider's limit another instance read from its headers paces this one too.
    if (int64_t pl = r.r->element[7 + 4 * i]->integer; pl > 0)
      due[i]->bucket->adopt_provider_limit(static_cast<uint64_t>(pl));
    due[i]->bucket->fleet_set_room(r.r->element[8 + 4 * i]->integer);
    due[i]->lease.granted(*due[i]->bucket, units, sent, lease_ns_,
                          static_cast<uint64_t>(std::max<int64_t>(0, retry_ms)) * kMs,
                          std::uniform_real_distribution<double>(0.0, 1.0)(rng_));
    status_.grants.fetch_add(1, std::memory_order_relaxed);
    status_.granted_units.fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, units)),
                                    std::memory_order_relaxed);
  }
  if (!status_.redis_up.exchange(true)) status_.set_last_error("");
  return true;
}

void Fleet::degrade(const std::string& why) {
  degraded_ = true;
  double share = 1.0 / std::max<uint32_t>(1, status_.instances_seen.load());
  for (auto& [b, e] : entries_) {
    e.lease.reset(*e.bucket);
    e.share.configure(e.bucket->per_minute(), static_cast<uint64_t>(e.bucket->burst()), share);
  }
  unshare_breakers();
  share_pools();
  status_.refusing.store(cfg_.on_redis_down == config::OnRedisDown::refuse);
  status_.degraded.store(true);
  status_.degraded_since_ms.store(core::wall_ms());
  SLUICE_LOG_WARN("fleet: %s (%s); every limit is now %s", why.c_str(), cfg_.redis.c_str(),
                  cfg_.on_redis_down == config::OnRedisDown::refuse
                      ? "refused (on_redis_down: refuse)"
                      : "enforced on this instance's share alone (on_redis_down: local_share)");
}

void Fleet::recover() {
  if (!degraded_) return;
  degraded_ = false;
  // A fresh holder: whatever lease the old one left in Redis expires and is charged.
  ++epoch_;
  for (auto& [b, e] : entries_) e.lease.reset(*e.bucket);
  status_.refusing.store(false);
  status_.degraded.store(false);
  status_.degraded_since_ms.store(0);
  SLUICE_LOG_INFO("fleet: Redis is back; limits are fleet-wide again");
}

void Fleet::grant_locally(uint64_t now_ns) {
  if (cfg_.on_redis_down == config::OnRedisDown::refuse) return;
  for (auto& [b, e] : entries_) {
    if (!e.lease.due(*e.bucket, now_ns)) continue;
    limit::FleetAsk a = e.lease.plan(*e.bucket, now_ns, lease_ns_);
    e.lease.granted(*e.bucket, e.share.grant(a, now_ns), now_ns, lease_ns_,
                    60'000'000'000 / std::max<uint64_t>(1, e.share.per_minute()));
  }
}

void Fleet::publish() {
  uint64_t leases = 0, units = 0;
  for (auto& [b, e] : entries_) {
    if (e.lease.units() > 0) ++leases;
    units += static_cast<uint64_t>(std::max<int64_t>(0, e.lease.units()));
  }
  status_.leases_held.store(leases);
  status_.units_held.store(units);
}

Fleet::Signals Fleet::collect_signals(uint64_t now_ns) {
  Signals sig;
  // Pauses this process learned from its provider and the fleet does not know yet.
  for (auto& [b, e] : entries_) {
    uint64_t until = e.bucket->paused_until_ns();
    if (until <= now_ns + kMs || until <= e.pause_known_ns) continue;
    sig.reports.emplace_back("p:" + e.key, static_cast<int64_t>((until - now_ns + kMs - 1) / kMs));
    sig.pauses.emplace_back(&e, until);
  }
  if (!breakers_) return sig;
  const uint64_t now_ms = now_ns / kMs;
  breakers_->for_each([&](const std::string& name, resilience::Breaker& br) {
    BreakerView& v = breaker_views_[name];
    if (v.breaker == nullptr) {
      v.breaker = &br;
      v.seen_opens = br.opens();
    }
    resilience::Breaker::Snapshot s = br.snapshot(now_ms);
    if (br.opens() != v.seen_opens && s.state != resilience::BreakerState::closed) {
      // Opened here (or its probe failed here): the fleet opens it until the same end.
      sig.reports.emplace_back("b:" + name,
                               static_cast<int64_t>(std::max<uint64_t>(
                                   1, s.open_until_ms > now_ms ? s.open_until_ms - now_ms : 1)));
    } else if (v.remote_open && s.state == resilience::BreakerState::closed) {
      // Its probe succeeded here: closed for the whole fleet.
      sig.reports.emplace_back("b:" + name, -1);
    } else if (v.remote_open && s.state == resilience::BreakerState::half_open && !v.holds_probe &&
               br.probe_wanted()) {
      sig.probe_asks.push_back(name);
    }
  });
  return sig;
}

void Fleet::apply_signals(const ::redisReply* signals, const ::redisReply* probes,
                          const Signals& sent) {
  const uint64_t now_ns = core::mono_ns();
  const uint64_t now_ms = now_ns / kMs;
  for (const auto& [e, until] : sent.pauses) e->pause_known_ns = std::max(e->pause_known_ns, until);
  std::map<std::string, int64_t, std::less<>> live;
  for (size_t i = 0; i + 1 < signals->elements; i += 2) {
    const ::redisReply* f = signals->element[i];
    const ::redisReply* ms = signals->element[i + 1];
    if (f->type != REDIS_REPLY_STRING || ms->type != REDIS_REPLY_INTEGER) continue;
    live.emplace(std::string(f->str, f->len), ms->integer);
  }
  // Pauses: every instance waits for the provider as long as the one that was told.
  for (auto& [b, e] : entries_) {
    auto it = live.find("p:" + e.key);
    if (it == live.end() || it->second <= 0) continue;
    uint64_t until = now_ns + static_cast<uint64_t>(it->second) * kMs;
    if (until > e.bucket->paused_until_ns() + 5 * kMs) {
      e.bucket->pause_until(until);
      SLUICE_LOG_INFO("fleet: %s paused by another instance for %lld ms", e.key.c_str(),
                      static_cast<long long>(it->second));
    }
    e.pause_known_ns = std::max(e.pause_known_ns, until);
  }
  if (!breakers_) return;
  std::map<std::string, bool, std::less<>> granted;
  for (size_t i = 0; i + 1 < probes->elements; i += 2) {
    const ::redisReply* p = probes->element[i];
    if (p->type == REDIS_REPLY_STRING)
      granted[std::string(p->str, p->len)] = probes->element[i + 1]->integer == 1;
  }
  for (const auto& [name, ms] : sent.reports)
    if (name.starts_with("b:")) {
      BreakerView& v = breaker_views_[name.substr(2)];
      v.seen_opens = v.breaker ? v.breaker->opens() : 0;
      if (v.holds_probe) {  // the token was deleted with the verdict
        v.holds_probe = false;
        if (v.breaker) v.breaker->permit_probe(false);
      }
    }
  for (auto& [name, v] : breaker_views_) {
    if (v.breaker == nullptr) continue;
    resilience::Breaker& br = *v.breaker;
    auto it = live.find("b:" + name);
    if (it == live.end()) {
      // Closed by another instance's probe (or forgotten a minute after its cooldown).
      if (v.remote_open && br.opens() == v.seen_opens &&
          br.snapshot(now_ms).state != resilience::BreakerState::closed) {
        br.close_by_fleet();
        SLUICE_LOG_INFO("fleet: breaker of %s closed by another instance's probe", name.c_str());
      }
      v.remote_open = false;
      v.holds_probe = false;
      br.fleet_gate(false);
      br.permit_probe(false);
      continue;
    }
    v.remote_open = true;
    br.fleet_gate(true);
    // Only a cooldown still running opens a closed breaker: one past its end may be
    // the trace of a probe that just succeeded here.
    if (it->second > 0) {
      uint64_t until = now_ms + static_cast<uint64_t>(it->second);
      resilience::Breaker::Snapshot s = br.snapshot(now_ms);
      if (s.state == resilience::BreakerState::closed || s.open_until_ms + 5 < until) {
        if (s.state == resilience::BreakerState::closed)
          SLUICE_LOG_WARN("fleet: breaker of %s opened by another instance", name.c_str());
        br.open_by_fleet(until);
      }
    }
    if (auto g = granted.find(name); g != granted.end()) {
      v.holds_probe = g->second;
      br.permit_probe(g->second);
    }
  }
}

void Fleet::unshare_breakers() {
  // Without Redis each process decides on its own, as without a fleet.
  for (auto& [name, v] : breaker_views_) {
    if (v.breaker) {
      v.breaker->fleet_gate(false);
      v.breaker->permit_probe(false);
    }
    v.remote_open = v.holds_probe = false;
  }
}

bool Fleet::collect_budgets(Signals& sig) {
  const auto now_ms = static_cast<int64_t>(core::wall_ms());
  bool due = false;
  registry_.for_each_budget([&](limit::Budget& b) {
    struct W {
      limit::BudgetWindow* w;
      const char* name;
      int64_t start, end;
    } windows[] = {
        {&b.day, "day", limit::day_start_ms(now_ms), limit::day_start_ms(now_ms) + 86'400'000},
        {&b.month, "month", limit::month_start_ms(now_ms), limit::next_month_start_ms(now_ms)},
    };
    for (const W& w : windows) {
      if (w.w->limit_nusd.load(std::memory_order_relaxed) == 0) continue;
      // A new window starts from nothing here as on the shards (whoever rolls first).
      int64_t seen = w.w->start_ms.load(std::memory_order_acquire);
      if (seen != w.start && w.w->start_ms.compare_exchange_strong(seen, w.start))
        w.w->spent_nusd.store(0, std::memory_order_release);
      WindowView& v = window_views_[b.id + ":" + w.name];
      if (v.start_ms != w.start) v = WindowView{w.start, 0};
      const int64_t spent = w.w->spent_nusd.load(std::memory_order_acquire);
      const int64_t own = std::max<int64_t>(0, spent - v.others);
      // Told at once when this instance spent a twentieth of what the fleet has left
      // since its last report (so the reports come faster as the budget runs out),
      // otherwise with the next round trip (at least every half second).
      const int64_t left = std::max<int64_t>(0, w.w->limit_nusd.load() - spent);
      if (own > v.reported && (own - v.reported) * 20 >= left) due = true;
      sig.budgets.push_back(WindowReport{
          w.w, &v, prefix_ + "budget:" + b.id + ":" + w.name + ":" + std::to_string(w.start), own,
          w.end - now_ms + 86'400'000});
    }
  });
  return due;
}

void Fleet::apply_budgets(const ::redisReply* others, const Signals& sent) {
  for (size_t i = 0; i < sent.budgets.size(); ++i) {
    const WindowReport& w = sent.budgets[i];
    if (others->element[i]->type != REDIS_REPLY_INTEGER) continue;
    // The window rolled over since the report: what the others spent was in the old one.
    if (w.window->start_ms.load(std::memory_order_acquire) != w.view->start_ms) continue;
    int64_t now = others->element[i]->integer;
    w.window->spent_nusd.fetch_add(now - w.view->others, std::memory_order_acq_rel);
    w.view->others = now;
    w.view->reported = w.own;
  }
}

std::string Fleet::demand_of(Entry& e, uint64_t now_ns) {
  limit::Limit* l = e.limit;
  if (l == nullptr || !l->shared || !l->shares) return {};
  const size_t n = registry_.project_count();
  e.last_wanted.resize(n, 0);
  e.rate.resize(n, 0.0);
  const double dt = e.demand_ns ? static_cast<double>(now_ns - e.demand_ns) / 1e9 : 0;
  e.demand_ns = now_ns;
  const double keep = dt > 0 ? std::exp(-dt / 2.0) : 1;
  std::string out;
  for (size_t p = 0; p < n; ++p) {
    // What its requests asked for here, admitted or refused: an instance whose requests
    // are all refused still wants its part of the project's share, and says so.
    const uint64_t wanted = l->shares[p].taken.load(std::memory_order_relaxed) +
                            l->shares[p].refused.load(std::memory_order_relaxed);
    if (dt > 0)
      e.rate[p] =
          e.rate[p] * keep + static_cast<double>(wanted - e.last_wanted[p]) / dt * (1 - keep);
    e.last_wanted[p] = wanted;
    const limit::ProjectInfo& info = registry_.project(static_cast<int>(p));
    // Demand: recent asks plus requests waiting in the queues.
    double d = e.rate[p] + static_cast<double>(std::max<int64_t>(0, info.queued.load()));
    const bool active = l->shares[p].demand_until_ns.load(std::memory_order_relaxed) > now_ns;
    if (!active && d < 0.01) continue;
    d = std::max(d, 0.01);
    if (!out.empty()) out += ';';
    for (char c : info.name) out += c == ' ' || c == ';' ? '_' : c;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %u %.6g", info.weight.load(std::memory_order_relaxed), d);
    out += buf;
    // Its tier only while it is active: a demand decaying after the flood ended must not
    // hold back a lower tier that is still asking.
    if (active)
      std::snprintf(buf, sizeof buf, " %u", info.priority.load(std::memory_order_relaxed));
    else
      buf[0] = '\0';
    out += buf;
  }
  return out;
}

bool Fleet::plan_pools(uint64_t now_ns) {
  // Due when a take was refused by its cap since the last ask (not more often than 20
  // times per lease); otherwise the pools ride along with every round trip.
  for (auto& [k, e] : pools_)
    if (e.pool->fleet_short() != e.seen_short && now_ns >= e.asked_ns + lease_ns_ / 20) return true;
  return false;
}

void Fleet::prepare_pools(uint64_t now_ns) {
  for (auto& [k, e] : pools_) {
    limit::GlobalPool* p = e.pool;
    const uint64_t shorts = p->fleet_short();
    // The slots held now, one more when a take was refused since the last ask; the
    // script adds this instance's part of the free slots as headroom.
    int64_t want = std::min<int64_t>(static_cast<int64_t>(p->capacity()),
                                     p->leased() + (shorts != e.seen_short ? 1 : 0));
    e.seen_short = shorts;
    e.asked_ns = now_ns;
    if (want < p->fleet_cap()) {
      // Until the answer the cap is what the ask covers: lowered first, then what is
      // held read again, so the shards never hold more than the lease Redis keeps.
      p->fleet_set_cap(want);
      want = std::max(want, p->leased());
      p->fleet_set_cap(want);
    }
    e.want = want;
  }
}

void Fleet::share_pools() {
  // Redis is away: this instance's share of each concurrency limit, rounded down (at
  // least one slot), as for the request and token limits.
  const uint32_t n = std::max<uint32_t>(1, status_.instances_seen.load());
  for (auto& [k, e] : pools_) {
    e.pool->fleet_set_cap(cfg_.on_redis_down == config::OnRedisDown::refuse
                              ? 0
                              : std::max<int64_t>(1, static_cast<int64_t>(e.pool->capacity()) /
                                                         static_cast<int64_t>(n)));
    e.valid_until_ns = 0;
  }
}

}  // namespace sluice::fleet
