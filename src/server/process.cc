#include "sluice/server/process.h"

#include <signal.h>

#include <memory>
#include <thread>
#include <vector>

#include "sluice/admin/admin_worker.h"
#include "sluice/core/clock.h"
#include "sluice/core/event_loop.h"
#include "sluice/core/log.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"
#include "sluice/limit/spend_rebuild.h"
#include "sluice/metrics/metrics_hub.h"
#include "sluice/telemetry/span_exporter.h"
#include "sluice/relay/gateway.h"
#include "sluice/resilience/breaker.h"
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

int run_gateway(std::shared_ptr<const config::Config> cfg) {
  // Signals are taken synchronously by this thread only; shards never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  relay::GatewayState state;
  std::string err = relay::build_gateway_state(cfg, state);
  if (!err.empty()) {
    SLUICE_LOG_ERROR("%s", err.c_str());
    return 1;
  }
  const config::Config& c = *cfg;
  size_t count = c.shards ? c.shards : affinity_cpus().size();
  for (const config::Model& m : c.models)
    if (!m.price.set)
      SLUICE_LOG_WARN("model %s has no price: its requests are recorded with cost 0",
                      m.alias.c_str());
  std::unique_ptr<ledger::Ledger> ledger;
  try {
    ledger = std::make_unique<ledger::Ledger>(c.ledger, static_cast<uint32_t>(count));
  } catch (const std::exception& e) {
    SLUICE_LOG_ERROR("ledger %s: %s", c.ledger.path.c_str(), e.what());
    return 1;
  }
  state.ledger = ledger.get();
  // Limits live as long as the shards; budgets start from what the ledger already holds.
  limit::Registry limits(c, static_cast<unsigned>(count));
  if (std::string e = limit::rebuild_spend(limits, *ledger, static_cast<int64_t>(core::wall_ms()));
      !e.empty())
    SLUICE_LOG_WARN("budgets start from zero: reading spend from the ledger failed: %s", e.c_str());
  state.limits = &limits;
  // Declared after the ledger so it is destroyed (joined) before it.
  admin::AdminWorker admin_worker;
  state.admin_worker = &admin_worker;
  // One breaker per provider account for the whole process, before any shard runs.
  resilience::Breakers breakers(c);
  state.breakers = &breakers;
  metrics::MetricsHub metrics_hub(count);
  state.metrics_hub = &metrics_hub;
  std::unique_ptr<telemetry::SpanExporter> spans;
  if (!c.telemetry.otlp.endpoint.empty()) {
    spans = std::make_unique<telemetry::SpanExporter>(c.telemetry.otlp, static_cast<uint32_t>(count));
    state.spans = spans.get();
    SLUICE_LOG_INFO("exporting traces to %s/v1/traces", c.telemetry.otlp.endpoint.c_str());
  }

  ShardSpec spec;
  spec.listen = c.listen;
  spec.listen_tls = make_listen_tls(c.listen);
  spec.limits = server_limits(c.server);
  spec.make_handler = [&state](net::IoContext& io, unsigned shard) {
    return std::make_unique<relay::Gateway>(state, io, shard);
  };
  std::vector<std::unique_ptr<Shard>> shards = start_shards(spec, count);
  if (!wait_ready(shards)) {
    drain_and_join(shards, 0);
    ledger->stop();
    return 1;
  }
  for (const config::Listen& l : c.listen) {
    SLUICE_LOG_INFO("listening on %s:%u (%zu shards)", l.address.c_str(),
                    static_cast<unsigned>(shards[0]->ports()[static_cast<size_t>(&l - &c.listen[0])]), count);
  }
  SLUICE_LOG_INFO("ready");

  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      SLUICE_LOG_WARN("SIGHUP: configuration reload is not supported yet; keeping the current one");
      continue;
    }
    SLUICE_LOG_INFO("%s: draining (up to %u ms)", signal_name(sig), c.server.drain_ms);
    drain_and_join(shards, c.server.drain_ms);
    uint64_t abandoned = 0;
    for (auto& s : shards) abandoned += s->abandoned();
    if (abandoned)
      SLUICE_LOG_WARN("drain deadline passed with %llu requests unfinished",
                      static_cast<unsigned long long>(abandoned));
    ledger->stop();  // every record of every finished request is on disk
    if (spans) spans->stop();  // and every span queued is sent
    SLUICE_LOG_INFO("stopped: %llu ledger rows written, %llu dropped",
                    static_cast<unsigned long long>(ledger->rows_written()),
                    static_cast<unsigned long long>(ledger->dropped()));
    return 0;
  }
}

}  // namespace sluice::server
