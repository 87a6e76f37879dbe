#include "sluice/ops/readyz.h"

#include "sluice/core/clock.h"
#include "sluice/route/json_string.h"

namespace sluice::ops {

std::string readyz_json(const config::Config& cfg, const relay::ShardResilience& res,
                        const ledger::Ledger* ledger, const limit::FleetStatus* fleet) {
  uint64_t mono_ms = core::mono_ns() / 1000000ull;
  uint64_t wall_ms = core::wall_ms();
  std::string out = "{\"status\":\"";
  out += ledger && ledger->refusing() ? "degraded" : "ready";
  out += '"';
  if (ledger) {
    out += ",\"ledger\":{\"state\":\"";
    const std::string_view state = ledger->state();
    out += state;
    out += "\",\"degraded\":";
    out += state == "ok" ? "false" : "true";
    out += ",\"spool_backlog\":" +
           std::to_string(ledger->stats().spool_backlog.load(std::memory_order_relaxed)) + "}";
  }
  out += ",\"providers\":{";
  for (size_t i = 0; i < cfg.providers.size(); ++i) {
    if (i) out += ',';
    route::append_json_string(out, cfg.providers[i].name);
    out += ":{\"breaker\":\"";
    resilience::Breaker::Snapshot s{resilience::BreakerState::closed, 0, 0};
    if (const resilience::Breaker* b = res.breaker(i)) s = b->snapshot(mono_ms);
    out += resilience::breaker_state_name(s.state);
    uint64_t left = s.open_until_ms > mono_ms ? s.open_until_ms - mono_ms : 0;
    out += "\",\"failures\":" + std::to_string(s.failures);
    out += ",\"cooldown_until_ms\":" + std::to_string(s.open_until_ms ? wall_ms + left : 0);
    out += ",\"cooldown_left_ms\":" + std::to_string(left) + "}";
  }
  out += '}';
  if (fleet && fleet->enabled) {
    // Still ready while degraded (the instance answers), but says so.
    bool degraded = fleet->degraded.load();
    out += ",\"fleet\":{\"state\":\"";
    out += degraded ? "degraded" : "ok";
    out += std::string("\",\"redis_up\":") + (fleet->redis_up.load() ? "true" : "false");
    out += ",\"mode\":\"";
    out += !degraded ? "fleet" : fleet->refusing.load() ? "refuse" : "local_share";
    out += "\",\"instances_seen\":" + std::to_string(fleet->instances_seen.load()) + '}';
  }
  out += '}';
  return out;
}

}  // namespace sluice::ops
