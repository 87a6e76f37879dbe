#pragma once
// SIGHUP: read the config file again and, when it is valid, hand the new snapshot to
// every shard. What cannot change while the process runs is kept as it is, with a
// warning (docs/OPERATIONS.md "Reload").

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/flow/state_publisher.h"

namespace sluice::server {

// Copies into `next` the settings of `running` that only a restart can change
// (listen, shards, ledger, server.* except drain_ms) and returns one warning per
// setting that differed.
std::vector<std::string> keep_fixed_settings(const config::Config& running, config::Config& next);

struct ReloadResult {
  bool applied = false;               // the new snapshot is on every shard
  std::vector<std::string> errors;    // why it was refused (each logged)
  std::vector<std::string> warnings;  // fixed settings that were kept (each logged)
};

// Loads `running->source`, validates it and, when valid, reconfigures the process-wide
// objects (`reconfigure`) and publishes the new snapshot, waiting (up to `wait_ms`)
// until every shard has it. On success `running` is the new config.
ReloadResult reload_config(std::shared_ptr<const config::Config>& running,
                           flow::StatePublisher& publisher,
                           const std::function<void(const config::Config&)>& reconfigure,
                           uint32_t wait_ms = 10000);

}  // namespace sluice::server
