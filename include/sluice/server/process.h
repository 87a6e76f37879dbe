#pragma once
// The control thread: starts the shards, waits for signals, drains on SIGTERM/SIGINT.

#include <memory>

#include "sluice/config/config.h"

namespace sluice::server {

// Runs the gateway until SIGTERM or SIGINT, then drains for up to server.drain_ms.
// Returns the process exit code (0 after a clean drain).
int run_gateway(std::shared_ptr<const config::Config> cfg);

}  // namespace sluice::server
