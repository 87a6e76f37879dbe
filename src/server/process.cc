#include "sluice/server/process.h"

#include <signal.h>

#include <memory>
#include <thread>
#include <vector>

#include "sluice/core/clock.h"
#include "sluice/core/event_loop.h"
#include "sluice/core/log.h"
#include "sluice/relay/gateway.h"
#include "sluice/server/shard.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::server {
namespace {

const char* signal_name(int sig) {
  switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
  }
}

}  // namespace

int run_gateway(const config::Config& cfg) {
  // Signals are taken synchronously by this thread only; shards never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<upstream::Origin> origins(cfg.providers.size());
  for (size_t i = 0; i < cfg.providers.size(); ++i) {
    std::string err = upstream::resolve_origin(cfg.providers[i], origins[i]);
    if (!err.empty()) {
      SLUICE_LOG_ERROR("provider %s: %s", cfg.providers[i].name.c_str(), err.c_str());
      return 1;
    }
  }

  ShardSpec spec;
  spec.listen = cfg.listen;
  spec.limits = server_limits(cfg.server);
  spec.make_handler = [&cfg, &origins](net::IoContext& io) {
    return std::make_unique<relay::Gateway>(cfg, origins, io);
  };
  size_t count = cfg.shards ? cfg.shards : affinity_cpus().size();
  std::vector<std::unique_ptr<Shard>> shards = start_shards(spec, count);
  if (!wait_ready(shards)) {
    drain_and_join(shards, 0);
    return 1;
  }
  for (const config::Listen& l : cfg.listen) {
    SLUICE_LOG_INFO("listening on %s:%u (%zu shards)", l.address.c_str(),
                    static_cast<unsigned>(shards[0]->ports()[&l - &cfg.listen[0]]), count);
  }
  SLUICE_LOG_INFO("ready");

  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      SLUICE_LOG_WARN("SIGHUP: configuration reload is not supported yet; keeping the current one");
      continue;
    }
    SLUICE_LOG_INFO("%s: draining (up to %u ms)", signal_name(sig), cfg.server.drain_ms);
    drain_and_join(shards, cfg.server.drain_ms);
    uint64_t abandoned = 0;
    for (auto& s : shards) abandoned += s->abandoned();
    if (abandoned)
      SLUICE_LOG_WARN("drain deadline passed with %llu requests unfinished",
                      static_cast<unsigned long long>(abandoned));
    SLUICE_LOG_INFO("stopped");
    return 0;
  }
}

}  // namespace sluice::server
