#pragma once
// GET /readyz: ready to serve, with every provider's breaker as the shards see it:
//   {"status":"ready","providers":{"openai":{"breaker":"closed","failures":0,
//     "cooldown_until_ms":0,"cooldown_left_ms":0}, ...}}
// cooldown_until_ms is Unix milliseconds (0 while closed). The status stays "ready"
// (HTTP 200) with a breaker open: the gateway still serves other providers and
// fallbacks; a balancer should not take it out of rotation for one provider's outage.
// With a fleet (docs/FLEET.md) a "fleet" object follows: {"state":"ok"|"degraded",
// "redis_up":true,"mode":"fleet"|"local_share"|"refuse","instances_seen":3}; still 200
// while degraded, since the instance answers.

#include <string>

#include "sluice/config/config.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/fleet_status.h"
#include "sluice/relay/attempt_loop.h"

namespace sluice::ops {

// `ledger` and `fleet` (either may be null): their state is added when configured.
std::string readyz_json(const config::Config& cfg, const relay::ShardResilience& res,
                        const ledger::Ledger* ledger = nullptr,
                        const limit::FleetStatus* fleet = nullptr);

}  // namespace sluice::ops
