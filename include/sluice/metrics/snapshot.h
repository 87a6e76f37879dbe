#pragma once
// Every metric of one shard, or of all shards merged, keyed by label values as text so
// that shards (which intern label values each in their own way) merge by name. Built on
// a shard's thread when a scrape asks for it; never touched by the request path.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sluice/metrics/histogram.h"

namespace sluice::metrics {

template <size_t N>
using Key = std::array<std::string, N>;

// Circuit breaker states as the sluice_breaker_state gauge shows them.
enum class BreakerState : int { closed = 0, half_open = 1, open = 2 };

struct Snapshot {
  std::map<Key<4>, uint64_t> requests;              // route, provider, alias, status
  std::map<Key<3>, uint64_t> tokens;                // kind, project, alias
  std::map<Key<2>, int64_t> cost_nusd;              // project, alias; nano-USD
  std::map<Key<2>, Histogram> duration;             // route, provider
  std::map<Key<2>, Histogram> overhead;             // route, provider (proxied requests)
  std::map<Key<3>, Histogram> ttft;                 // provider, alias, stream
  std::map<Key<2>, uint64_t> refusals;              // error_class, project
  std::map<Key<1>, Histogram> queue_wait;           // project
  std::map<Key<1>, int> breaker_state;              // provider; the worst over shards
  std::map<Key<2>, uint64_t> upstream_connections;  // provider, state (idle|active)
  std::map<unsigned, uint64_t> connections;         // shard -> open client connections
  uint64_t connections_refused = 0;  // answered 503 past max_connections or the body budget

  // Adds `other` in: counters and histograms sum, breaker states take the worst.
  void merge(const Snapshot& other);
};

// Process-wide figures the scrape reads beside the shards' snapshots.
struct ProcessFigures {
  bool ledger = false;  // a ledger is configured
  uint64_t ledger_rows_written = 0;
  uint64_t ledger_overflowed = 0;
  uint64_t ledger_dropped = 0;
  std::vector<std::pair<std::string, uint64_t>> ledger_write_errors;  // cause -> failed writes
  uint64_t ledger_spooled = 0;        // rows written to the postgres spool
  uint64_t ledger_replayed = 0;       // spooled rows replayed into postgres
  uint64_t ledger_spool_backlog = 0;  // rows in the spool now
  uint64_t ledger_retention_deleted = 0;
  uint64_t ledger_degraded = 0;     // 0 ok, 1 spooling, 2 failing
  bool access_log = false;          // an access log is written
  uint64_t access_log_dropped = 0;  // its lines lost: queue full or a failed write
  bool otlp = false;                // OTLP trace export is configured
  uint64_t spans_exported = 0;
  uint64_t spans_dropped = 0;
  uint64_t export_failures = 0;
  uint64_t export_retries = 0;
  bool fleet = false;  // a fleet is configured (docs/FLEET.md)
  bool fleet_redis_up = false;
  bool fleet_degraded = false;
  uint64_t fleet_round_trips = 0;
  uint64_t fleet_grants = 0;
  uint64_t fleet_granted_units = 0;
  uint64_t fleet_errors = 0;
  uint64_t fleet_units_held = 0;
};

// The exposition text of a merged snapshot (docs/METRICS.md lists every family).
std::string render(const Snapshot& s, const ProcessFigures& p);

}  // namespace sluice::metrics
