#include "sluice/server/process.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "sluice/admin/admin_worker.h"
#include "sluice/admin/key_store.h"
#include "sluice/admin/key_watcher.h"
#include "sluice/admin/pg_key_store.h"
#include "sluice/core/clock.h"
#include "sluice/core/event_loop.h"
#include "sluice/core/log.h"
#include "sluice/fleet/fleet.h"
#include "sluice/flow/gateway.h"
#include "sluice/flow/state_publisher.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"
#include "sluice/limit/spend_rebuild.h"
#include "sluice/metrics/metrics_hub.h"
#include "sluice/ops/operations.h"
#include "sluice/relay/access_log.h"
#include "sluice/resilience/breaker.h"
#include "sluice/server/liveness.h"
#include "sluice/server/notify.h"
#include "sluice/server/reload.h"
#include "sluice/server/shard.h"
#include "sluice/telemetry/span_exporter.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::server {
namespace {

const char* signal_name(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal";
  }
}

// The next of `set`'s signals; 0 when `timeout_us` (0: none) passed first.
// A gateway that nobody has a key for serves anyone only when the config says so
// ("allow_anonymous"); otherwise it starts only if keys can still be made (the admin
// API), and refuses data requests until then.
bool open_gateway_allowed(const config::Config& cfg, const flow::GatewayState& state) {
  if (state.keys_required) return true;
  if (cfg.allow_anonymous) {
    SLUICE_LOG_WARN(
        "allow_anonymous: no virtual keys; every request is accepted as project "
        "\"%s\"",
        cfg.projects.empty() ? "default" : cfg.projects.front().name.c_str());
    return true;
  }
  if (!state.admin_key.empty()) {
    SLUICE_LOG_WARN(
        "no virtual keys yet: data requests are refused (401) until one is created "
        "with POST /admin/keys");
    return true;
  }
  SLUICE_LOG_ERROR(
      "no virtual keys are configured and the admin API is off, so nobody could "
      "use this gateway: add keys (see `sluice keygen`), set %s to create them at "
      "run time, or set \"allow_anonymous\": true to serve without keys "
      "(development only)",
      cfg.admin.key_env.c_str());
  return false;
}

int wait_signal(const sigset_t& set, uint64_t timeout_us) {
  for (;;) {
    if (timeout_us == 0) {
      int sig = 0;
      if (sigwait(&set, &sig) == 0) return sig;
      continue;
    }
    timespec ts{static_cast<time_t>(timeout_us / 1000000),
                static_cast<long>((timeout_us % 1000000) * 1000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
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

  const config::Config& c = *cfg;
  size_t count = c.shards ? c.shards : affinity_cpus().size();
  for (const config::Model& m : c.models)
    if (!m.price.set)
      SLUICE_LOG_WARN("model %s has no price: its requests are recorded with cost 0",
                      m.alias.c_str());
  std::unique_ptr<ledger::Ledger> ledger;
  // In a fleet, each row names the instance that served it (docs/FLEET.md "Budgets").
  const std::string instance = c.fleet.enabled ? fleet::instance_name(c.fleet) : std::string();
  try {
    ledger::LedgerOptions ledger_options;
    ledger_options.instance = instance;
    ledger =
        std::make_unique<ledger::Ledger>(c.ledger, static_cast<uint32_t>(count), ledger_options);
  } catch (const std::exception& e) {
    SLUICE_LOG_ERROR(
        "ledger %s: %s",
        c.ledger.kind == config::LedgerKind::postgres ? "(postgres)" : c.ledger.path.c_str(),
        e.what());
    return 1;
  }
  // Run-time virtual keys live in the ledger's file (or its PostgreSQL database), on a
  // connection of their own.
  std::unique_ptr<admin::KeyStore> key_store;
  try {
    key_store = admin::open_key_store(c.ledger);
  } catch (const std::exception& e) {
    SLUICE_LOG_ERROR("%s", e.what());
    return 1;
  }
  flow::StatePublisher publisher(count, key_store.get());

  // ---- Process-wide objects -------------------------------------------------------
  // Built once, here, from `c`. A reload never rebuilds them (their state, e.g. limit
  // leases, queues and breakers, carries over): it calls their reconfigure() below.
  // Limits live as long as the shards; budgets start from what the ledger already holds.
  limit::Registry limits(c, static_cast<unsigned>(count));
  if (std::string e =
          limit::rebuild_spend(limits, *ledger, static_cast<int64_t>(core::wall_ms()), instance);
      !e.empty())
    SLUICE_LOG_WARN("budgets start from zero: reading spend from the ledger failed: %s", e.c_str());
  // One breaker per provider account for the whole process, before any shard runs.
  resilience::Breakers breakers(c);
  // Fleet-wide limits: the fleet thread takes its first leases before any shard serves.
  std::unique_ptr<fleet::Fleet> fleet;
  if (c.fleet.enabled) {
    try {
      fleet = std::make_unique<fleet::Fleet>(c.fleet, limits, &breakers);
    } catch (const std::exception& e) {
      SLUICE_LOG_ERROR("%s", e.what());
      return 1;
    }
    fleet->start();
  }
  metrics::MetricsHub metrics_hub(count);
  std::unique_ptr<telemetry::SpanExporter> spans;
  if (!c.telemetry.otlp.endpoint.empty()) {
    try {
      spans =
          std::make_unique<telemetry::SpanExporter>(c.telemetry.otlp, static_cast<uint32_t>(count));
    } catch (const std::exception& e) {
      SLUICE_LOG_ERROR("telemetry.otlp: %s", e.what());
      return 1;
    }
    SLUICE_LOG_INFO("exporting traces to %s/v1/traces", c.telemetry.otlp.endpoint.c_str());
  }
  auto reconfigure_process_wide = [&](const config::Config& next) {
    // Before the shards see the new snapshot.
    limits.reconfigure(next);
    breakers.reconfigure(next);
    if (fleet)
      fleet->reconfigure(next.fleet);
    else if (next.fleet.enabled)
      SLUICE_LOG_WARN("fleet: the reload adds a fleet section; it takes effect at a restart");
  };

  // Declared after the ledger, key store, publisher and the objects above so it is
  // destroyed (joined) before them.
  admin::AdminWorker admin_worker;
  {
    flow::GatewayState base;
    base.ledger = ledger.get();
    base.admin_worker = &admin_worker;
    base.limits = &limits;
    base.breakers = &breakers;
    base.metrics_hub = &metrics_hub;
    base.spans = spans.get();
    std::string err = publisher.start(cfg, std::move(base));
    if (!err.empty()) {
      SLUICE_LOG_ERROR("%s", err.c_str());
      return 1;
    }
    if (!open_gateway_allowed(*cfg, *publisher.current())) return 1;
  }
  // A shared key store: keys another instance creates or revokes are re-read on the
  // admin worker (one re-read queued at a time), then published like a local change.
  // The flag is shared with the queued job, which may outlive this frame's locals.
  auto refresh_queued = std::make_shared<std::atomic<bool>>(false);
  std::unique_ptr<admin::KeyWatcher> key_watcher;
  if (auto* pg = dynamic_cast<admin::PgKeyStore*>(key_store.get())) {
    key_watcher = std::make_unique<admin::KeyWatcher>(pg->url(), [&, refresh_queued] {
      if (refresh_queued->exchange(true)) return;
      admin_worker.submit([&publisher, refresh_queued] {
        refresh_queued->store(false);
        publisher.refresh_keys();
      });
    });
  }

  ShardSpec spec;
  spec.listen = c.listen;
  spec.admin_from = spec.listen.size();
  spec.listen.insert(spec.listen.end(), c.admin.listen.begin(), c.admin.listen.end());
  spec.listen_tls = make_listen_tls(spec.listen);
  spec.limits = server_limits(c.server, count);
  spec.make_handler = [&publisher](net::IoContext& io, unsigned shard) {
    auto gateway = std::make_unique<flow::Gateway>(publisher.current(), io, shard);
    gateway->set_operations(std::make_unique<ops::Operations>(*gateway));
    return gateway;
  };
  std::vector<std::unique_ptr<Shard>> shards = start_shards(spec, count);
  if (!wait_ready(shards)) {
    drain_and_join(shards, 0);
    ledger->stop();
    return 1;
  }
  for (const config::Listen& l : c.listen) {
    SLUICE_LOG_INFO(
        "listening on %s:%u (%zu shards)", l.address.c_str(),
        static_cast<unsigned>(shards[0]->ports()[static_cast<size_t>(&l - &c.listen[0])]), count);
  }
  for (size_t i = 0; i < c.admin.listen.size(); ++i)
    SLUICE_LOG_INFO("admin endpoints (/admin, /ui, /metrics, /readyz) on %s:%u",
                    c.admin.listen[i].address.c_str(),
                    static_cast<unsigned>(shards[0]->ports()[spec.admin_from + i]));
  SLUICE_LOG_INFO("ready");
  notify::ready();

  std::vector<LoopLiveness::Post> loops;
  for (auto& s : shards)
    loops.push_back(
        [shard = s.get()](std::function<void()> fn) { return shard->post(std::move(fn)); });
  LoopLiveness liveness(std::move(loops));
  // Probe three times per watchdog period: one slow probe does not miss a ping.
  uint64_t watchdog_usec = notify::watchdog_usec();
  if (watchdog_usec) {
    SLUICE_LOG_INFO("systemd watchdog: %llu ms",
                    static_cast<unsigned long long>(watchdog_usec / 1000));
    liveness.probe();
  }

  std::shared_ptr<const config::Config> running = cfg;
  uint64_t probe_every_ns = watchdog_usec * 1000 / 3;
  uint64_t next_probe_ns = core::mono_ns() + probe_every_ns;
  for (;;) {
    uint64_t wait_us = 0;  // 0: no watchdog, wait for a signal only
    if (probe_every_ns) {
      uint64_t now = core::mono_ns();
      wait_us = next_probe_ns > now ? (next_probe_ns - now) / 1000 + 1 : 1;
    }
    int sig = wait_signal(set, wait_us);
    if (probe_every_ns && core::mono_ns() >= next_probe_ns) {
      // Ping only while every shard's loop turns (see liveness.h).
      size_t lagging = liveness.lagging();
      if (liveness.probe())
        notify::watchdog();
      else
        SLUICE_LOG_WARN("watchdog: %zu shards did not answer; not pinging systemd", lagging);
      next_probe_ns = core::mono_ns() + probe_every_ns;
    }
    if (sig == 0) continue;
    if (sig == SIGHUP) {
      SLUICE_LOG_INFO("SIGHUP: reloading %s", running->source.c_str());
      notify::reloading();
      // logrotate renames the access log and sends SIGHUP: write on to a new file
      // by the same path. server.access_log is fixed at start, so `running` names it.
      if (std::string e = relay::reopen_access_log(running->server.access_log,
                                                   publisher.current()->access_log_fd);
          !e.empty())
        SLUICE_LOG_ERROR("%s; writing on to the file already open", e.c_str());
      else if (running->server.access_log != "off" && !running->server.access_log.empty())
        SLUICE_LOG_INFO("reopened access log %s", running->server.access_log.c_str());
      reload_config(running, publisher, reconfigure_process_wide);
      notify::ready();  // applied or refused, the gateway serves
      continue;
    }
    uint32_t drain_ms = running->server.drain_ms;
    SLUICE_LOG_INFO("%s: draining (up to %u ms)", signal_name(sig), drain_ms);
    notify::stopping();
    drain_and_join(shards, drain_ms);
    if (fleet) fleet->stop();
    uint64_t abandoned = 0;
    for (auto& s : shards) abandoned += s->abandoned();
    if (abandoned)
      SLUICE_LOG_WARN("drain deadline passed with %llu requests unfinished",
                      static_cast<unsigned long long>(abandoned));
    ledger->stop();            // every record of every finished request is on disk
    if (spans) spans->stop();  // and every span queued is sent
    SLUICE_LOG_INFO("stopped: %llu ledger rows written, %llu dropped",
                    static_cast<unsigned long long>(ledger->rows_written()),
                    static_cast<unsigned long long>(ledger->dropped()));
    return 0;
  }
}

}  // namespace sluice::server
