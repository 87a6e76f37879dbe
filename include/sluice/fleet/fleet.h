#pragma once
// The fleet thread (docs/FLEET.md): one per process, beside the shards. It keeps a
// lease of every request and token limit's fleet-wide bucket in Redis and moves each
// GlobalBucket's fleet cap to match (fleet_lease.h). Requests never wait on Redis: a
// shard only reads the cap. When Redis cannot be reached, it switches every bucket to
// the `on_redis_down` mode and back once Redis answers again.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/limit/fleet_lease.h"
#include "sluice/limit/registry.h"
#include "sluice/resilience/breaker.h"

struct redisContext;
struct redisReply;

namespace sluice::fleet {

// This process's name in the fleet: `fleet.instance`, or "<hostname>-<pid>" when unset
// (which changes at each restart: docs/FLEET.md "Budgets"). The ledger writes it on
// every row; the budgets are rebuilt from the rows under it.
std::string instance_name(const config::Fleet& cfg);

class Fleet {
 public:
  // Resolves the instance name and the password; throws on a password that cannot
  // be read. With `breakers`, they are shared with the fleet too (docs/FLEET.md).
  Fleet(const config::Fleet& cfg, limit::Registry& registry,
        resilience::Breakers* breakers = nullptr);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  void start();
  // A reload (control thread): `lease_ms` and `on_redis_down` take effect at the fleet
  // thread's next turn. Another Redis, password or instance name needs a restart: said
  // in the log, the running values are kept.
  void reconfigure(const config::Fleet& next);
  // Joins the thread; call it after the shards have stopped: the leases are then
  // reported and returned to Redis.
  void stop();

 private:
  struct Entry {
    std::string key;  // the bucket's hash in Redis
    limit::GlobalBucket* bucket = nullptr;
    limit::FleetLease lease;
    limit::ShareGranter share;
    bool seen = false;                  // still live at the last scan
    uint64_t pause_known_ns = 0;        // the latest pause the fleet knows of (mono ns)
    limit::Limit* limit = nullptr;      // the bucket's limit: shared between projects?
    std::vector<uint64_t> last_wanted;  // per project: taken + refused at the last ask
    std::vector<double> rate;           // per project: units per second wanted, smoothed
    uint64_t demand_ns = 0;             // when `rate` was last brought up to date
  };
  // One provider's breaker as the fleet sees it.
  struct BreakerView {
    resilience::Breaker* breaker = nullptr;
    uint64_t seen_opens = 0;   // its opens() when last published
    bool remote_open = false;  // open in Redis at the last round trip
    bool holds_probe = false;  // this process holds the fleet's probe token
  };
  // One concurrency limit's lease of slots.
  struct PoolEntry {
    std::string key;
    limit::GlobalPool* pool = nullptr;
    uint64_t seen_short = 0;      // its fleet_short() at the last ask
    uint64_t asked_ns = 0;        // when the last ask left
    uint64_t valid_until_ns = 0;  // the lease is good until then (0.9 lease after the ask)
    int64_t want = 0;             // slots asked for in the round trip under way
    bool seen = false;
  };
  // One budget window as the fleet sees it: the other instances' spend it added.
  struct WindowView {
    int64_t start_ms = 0;  // the window it was added in
    int64_t others = 0;    // nano-USD of the others, inside the window's spent_nusd
    int64_t reported = 0;  // this instance's own spend as of the last report
  };
  struct WindowReport {
    limit::BudgetWindow* window;
    WindowView* view;
    std::string key;
    int64_t own;
    int64_t ttl_ms;
  };
  // What one round trip tells Redis besides the leases.
  struct Signals {
    std::vector<std::pair<std::string, int64_t>> reports;  // field, ms (-1: closed)
    std::vector<std::string> probe_asks;                   // providers
    std::vector<std::pair<Entry*, uint64_t>> pauses;       // published pause ends
    std::vector<WindowReport> budgets;                     // every budget window
  };

  void run();
  void scan();
  bool connect();
  void disconnect(const std::string& why);
  bool load_script();
  bool renew(uint64_t now_ns, bool all);
  void degrade(const std::string& why);
  void recover();
  void grant_locally(uint64_t now_ns);
  void publish();
  void apply(const config::Fleet& next);
  Signals collect_signals(uint64_t now_ns);
  void apply_signals(const ::redisReply* signals, const ::redisReply* probes, const Signals& sent);
  void unshare_breakers();
  // The demand of each project with demand here, for the fleet's fair share.
  std::string demand_of(Entry& e, uint64_t now_ns);
  // Every budget window, and whether one spent enough since its report to tell now.
  bool collect_budgets(Signals& sig);
  // True when a pool's take was refused by its cap since its last ask.
  bool plan_pools(uint64_t now_ns);
  // Each pool's ask for the round trip about to leave.
  void prepare_pools(uint64_t now_ns);
  void share_pools();
  void apply_budgets(const ::redisReply* others, const Signals& sent);
  // Reads every shared limit's hash and the instances from Redis into
  // FleetStatus::view (fleet_view.cc); false when Redis did not answer.
  bool read_view();

  config::Fleet cfg_;  // the fleet thread's (after start)
  limit::Registry& registry_;
  limit::FleetStatus& status_;
  std::string password_;
  std::string holder_;  // instance, pid, start time and epoch: unique to this process
  std::string prefix_ = "sluice:fleet:";
  uint64_t epoch_ = 0;
  uint64_t lease_ns_;
  redisContext* redis_ = nullptr;
  std::string sha_;
  std::map<const limit::GlobalBucket*, Entry> entries_;
  resilience::Breakers* breakers_ = nullptr;
  std::map<std::string, BreakerView> breaker_views_;
  std::map<std::string, WindowView> window_views_;
  std::map<const limit::GlobalPool*, PoolEntry> pools_;  // by budget id and "day"/"month"
  uint64_t last_round_ns_ = 0;
  uint64_t next_view_ns_ = 0;  // when read_view() runs next
  uint64_t next_connect_ns_ = 0;
  uint64_t backoff_ns_ = 0;
  bool degraded_ = false;
  bool releasing_ = false;  // the last round trip at stop(): every lease is returned
  std::minstd_rand rng_{std::random_device{}()};  // jitter of the asks after a short grant

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<config::Fleet> pending_;  // a reload's fleet section, not yet applied
  std::thread thread_;
};

}  // namespace sluice::fleet
