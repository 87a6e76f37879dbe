#include "sluice/server/reload.h"

#include <chrono>
#include <future>

#include "sluice/config/loader.h"
#include "sluice/core/log.h"

namespace sluice::server {

std::vector<std::string> keep_fixed_settings(const config::Config& running, config::Config& next) {
  std::vector<std::string> warnings;
  auto keep = [&](auto& field, const auto& old, const char* name) {
    if (field == old) return;
    warnings.push_back(std::string(name) +
                       " changed: it takes effect only after a restart; "
                       "keeping the running value");
    field = old;
  };
  keep(next.listen, running.listen, "listen");
  keep(next.shards, running.shards, "shards");
  keep(next.ledger, running.ledger, "ledger");
  // Connection limits and the access log are set when the shards start; only the
  // drain deadline is read at the time it is used.
  uint32_t drain_ms = next.server.drain_ms;
  next.server.drain_ms = running.server.drain_ms;
  keep(next.server, running.server, "server (except drain_ms)");
  next.server.drain_ms = drain_ms;
  return warnings;
}

ReloadResult reload_config(std::shared_ptr<const config::Config>& running,
                           flow::StatePublisher& publisher,
                           const std::function<void(const config::Config&)>& reconfigure,
                           uint32_t wait_ms) {
  ReloadResult out;
  const std::string path = running->source;  // a copy: `running` changes below
  if (path.empty() || path[0] == '<') {
    out.errors.push_back("no config file to reload (running on the embedded default)");
    SLUICE_LOG_ERROR("reload refused: %s", out.errors.back().c_str());
    return out;
  }
  config::LoadResult loaded = config::load_file(path);
  if (!loaded.errors.empty()) {
    for (const config::ConfigError& e : loaded.errors) {
      out.errors.push_back(e.to_string());
      SLUICE_LOG_ERROR("reload refused: %s", out.errors.back().c_str());
    }
    SLUICE_LOG_WARN("reload refused: keeping the running configuration");
    return out;
  }
  config::Config next = std::move(*loaded.config);
  out.warnings = keep_fixed_settings(*running, next);
  for (const std::string& w : out.warnings) SLUICE_LOG_WARN("reload: %s", w.c_str());
  auto cfg = std::make_shared<const config::Config>(std::move(next));

  auto done = std::make_shared<std::promise<void>>();
  std::future<void> applied = done->get_future();
  std::string err;
  try {
    err = publisher.reload(cfg, reconfigure, [done] { done->set_value(); });
  } catch (const std::exception& e) {
    err = e.what();
  }
  if (!err.empty()) {
    out.errors.push_back(err);
    SLUICE_LOG_ERROR("reload refused: %s; keeping the running configuration", err.c_str());
    return out;
  }
  running = cfg;
  out.applied = true;
  if (applied.wait_for(std::chrono::milliseconds(wait_ms)) != std::future_status::ready)
    SLUICE_LOG_WARN("reload: a shard has not taken the new configuration after %u ms", wait_ms);
  SLUICE_LOG_INFO("reloaded %s", path.c_str());
  return out;
}

}  // namespace sluice::server
