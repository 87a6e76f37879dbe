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
#include <random>
#include <string>
#include <thread>

#include "sluice/config/config.h"
#include "sluice/limit/fleet_lease.h"
#include "sluice/limit/registry.h"

struct redisContext;

namespace sluice::fleet {

class Fleet {
 public:
  // Resolves the instance name and the password; throws on a password that cannot
  // be read.
  Fleet(const config::Fleet& cfg, limit::Registry& registry);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  void start();
  // Joins the thread; call it after the shards have stopped: the leases are then
  // reported and returned to Redis.
  void stop();

 private:
  struct Entry {
    std::string key;  // the bucket's hash in Redis
    limit::GlobalBucket* bucket = nullptr;
    limit::FleetLease lease;
    limit::ShareGranter share;
    bool seen = false;  // still live at the last scan
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

  const config::Fleet cfg_;
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
  uint64_t last_round_ns_ = 0;
  uint64_t next_connect_ns_ = 0;
  uint64_t backoff_ns_ = 0;
  bool degraded_ = false;
  bool releasing_ = false;  // the last round trip at stop(): every lease is returned
  std::minstd_rand rng_{std::random_device{}()};  // jitter of the asks after a short grant

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::fleet
