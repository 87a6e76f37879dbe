#include "sluice/metrics/snapshot.h"

#include <algorithm>

#include "sluice/metrics/exposition.h"

namespace sluice::metrics {
namespace {
template <class Map>
void add_counts(Map& into, const Map& from) {
  for (const auto& [k, n] : from) into[k] += n;
}
template <class Map>
void add_histograms(Map& into, const Map& from) {
  for (const auto& [k, h] : from) into[k].merge(h);
}

// Labels of one series: names paired with the values of a key.
template <size_t N>
std::array<Label, N> labels(const std::array<std::string_view, N>& names, const Key<N>& key) {
  std::array<Label, N> out;
  for (size_t i = 0; i < N; ++i) out[i] = {names[i], key[i]};
  return out;
}

template <size_t N, class Map>
void counters(ExpositionWriter& w, std::string_view name, std::string_view help,
              const std::array<std::string_view, N>& names, const Map& values) {
  w.family(name, "counter", help);
  for (const auto& [k, v] : values) w.sample(name, labels(names, k), v);
}

template <size_t N>
void histograms(ExpositionWriter& w, std::string_view name, std::string_view help,
                const std::array<std::string_view, N>& names,
                const std::map<Key<N>, Histogram>& values, const Buckets& buckets) {
  w.family(name, "histogram", help);
  for (const auto& [k, h] : values) w.histogram(name, labels(names, k), buckets, h);
}

void process_counter(ExpositionWriter& w, std::string_view name, std::string_view help,
                     uint64_t value) {
  w.family(name, "counter", help);
  w.sample(name, {}, value);
}
}  // namespace

void Snapshot::merge(const Snapshot& o) {
  add_counts(requests, o.requests);
  add_counts(tokens, o.tokens);
  add_counts(cost_nusd, o.cost_nusd);
  add_histograms(duration, o.duration);
  add_histograms(overhead, o.overhead);
  add_histograms(ttft, o.ttft);
  add_counts(refusals, o.refusals);
  add_histograms(queue_wait, o.queue_wait);
  for (const auto& [k, s] : o.breaker_state) {
    auto [it, fresh] = breaker_state.emplace(k, s);
    if (!fresh) it->second = std::max(it->second, s);
  }
  add_counts(upstream_connections, o.upstream_connections);
  add_counts(connections, o.connections);
  connections_refused += o.connections_refused;
}

std::string render(const Snapshot& s, const ProcessFigures& p) {
  ExpositionWriter w;
  w.family("sluice_build_info", "gauge", "Always 1; the version label names the running build.");
  w.sample("sluice_build_info", {{"version", SLUICE_VERSION}}, uint64_t{1});

  counters<4>(w, "sluice_requests_total",
              "Requests answered, by route, provider, model alias and HTTP status.",
              {"route", "provider", "alias", "status"}, s.requests);
  counters<3>(w, "sluice_tokens_total", "Tokens used, by kind, project and model alias.",
              {"kind", "project", "alias"}, s.tokens);
  // Dollars printed from the integer sum: exact, however many requests it adds up.
  w.family("sluice_cost_usd_total", "counter", "Cost in US dollars by the price table.");
  for (const auto& [k, nusd] : s.cost_nusd)
    w.sample_nano("sluice_cost_usd_total", labels<2>({"project", "alias"}, k), nusd);
  histograms<2>(w, "sluice_request_duration_seconds",
                "Arrival of the request to the end of the response.", {"route", "provider"},
                s.duration, kLatencyBuckets);
  histograms<3>(w, "sluice_time_to_first_token_seconds",
                "Arrival of the request to the first response body byte relayed.",
                {"provider", "alias", "stream"}, s.ttft, kLatencyBuckets);
  histograms<2>(w, "sluice_gateway_overhead_seconds",
                "Time sluice itself added to a proxied request (docs/METRICS.md).",
                {"route", "provider"}, s.overhead, kOverheadBuckets);
  counters<2>(w, "sluice_refusals_total",
              "Requests sluice refused itself, by error class and project.",
              {"error_class", "project"}, s.refusals);
  histograms<1>(w, "sluice_queue_wait_seconds", "Time an admitted request waited in a queue.",
                {"project"}, s.queue_wait, kLatencyBuckets);

  w.family("sluice_breaker_state", "gauge",
           "Circuit breaker per provider: 0 closed, 1 half-open, 2 open.");
  for (const auto& [k, v] : s.breaker_state)
    w.sample("sluice_breaker_state", {{"provider", k[0]}}, static_cast<uint64_t>(v));
  w.family("sluice_upstream_connections", "gauge",
           "Pooled connections to providers: idle (pooled) or active (serving a request).");
  for (const auto& [k, v] : s.upstream_connections)
    w.sample("sluice_upstream_connections", {{"provider", k[0]}, {"state", k[1]}}, v);
  w.family("sluice_connections", "gauge", "Open client connections per shard.");
  for (const auto& [shard, v] : s.connections) {
    std::string index = std::to_string(shard);
    w.sample("sluice_connections", {{"shard", index}}, v);
  }
  w.family("sluice_connections_refused_total", "counter",
           "Client connections answered 503 and closed: past server.max_connections or "
           "server.max_buffered_body_bytes.");
  w.sample("sluice_connections_refused_total", {}, s.connections_refused);

  if (p.ledger) {
    process_counter(w, "sluice_ledger_rows_written_total",
                    "Ledger rows the writer put away (the database, or the postgres spool).",
                    p.ledger_rows_written);
    w.family("sluice_ledger_write_errors_total", "counter",
             "Failed ledger writes by cause (connect, write, disk_full, read_only, locked, io, "
             "other); the rows stay pending or go to the spool.");
    for (const auto& [cause, n] : p.ledger_write_errors)
      w.sample("sluice_ledger_write_errors_total", {{"cause", cause}}, n);
    process_counter(w, "sluice_ledger_spooled_rows_total",
                    "Ledger rows written to the local spool while PostgreSQL was unreachable.",
                    p.ledger_spooled);
    process_counter(w, "sluice_ledger_spool_replayed_rows_total",
                    "Spooled ledger rows replayed into PostgreSQL.", p.ledger_replayed);
    w.family("sluice_ledger_spool_backlog_rows", "gauge",
             "Ledger rows waiting in the local spool for PostgreSQL.");
    w.sample("sluice_ledger_spool_backlog_rows", {}, p.ledger_spool_backlog);
    process_counter(w, "sluice_ledger_retention_deleted_rows_total",
                    "Ledger rows deleted by ledger.retention_days.", p.ledger_retention_deleted);
    w.family("sluice_ledger_degraded", "gauge",
             "Ledger state: 0 writing, 1 spooling (PostgreSQL unreachable), 2 failing "
             "(nowhere to write).");
    w.sample("sluice_ledger_degraded", {}, p.ledger_degraded);
    process_counter(w, "sluice_ledger_overflowed_total",
                    "Ledger records that went through the shared overflow list.",
                    p.ledger_overflowed);
    process_counter(w, "sluice_ledger_dropped_total", "Ledger records lost (queues full).",
                    p.ledger_dropped);
  }
  if (p.access_log)
    process_counter(w, "sluice_access_log_dropped_total",
                    "Access log lines lost: a shard's queue to the writer was full, or a "
                    "write failed.",
                    p.access_log_dropped);
  if (p.otlp) {
    process_counter(w, "sluice_otlp_spans_exported_total", "Spans the OTLP collector accepted.",
                    p.spans_exported);
    process_counter(w, "sluice_otlp_spans_dropped_total",
                    "Spans dropped: queue full, or the collector failed.", p.spans_dropped);
    process_counter(w, "sluice_otlp_export_failures_total", "Export POSTs that failed.",
                    p.export_failures);
    process_counter(w, "sluice_otlp_export_retries_total",
                    "Export POSTs that tried a failed batch again.", p.export_retries);
  }
  if (p.fleet) {
    w.family("sluice_fleet_redis_up", "gauge",
             "1 while the fleet's Redis answers; 0 while limits run on the fallback.");
    w.sample("sluice_fleet_redis_up", {}, uint64_t{p.fleet_redis_up ? 1u : 0u});
    w.family("sluice_fleet_degraded", "gauge",
             "1 while limits are enforced by the on_redis_down mode instead of the fleet.");
    w.sample("sluice_fleet_degraded", {}, uint64_t{p.fleet_degraded ? 1u : 0u});
    process_counter(w, "sluice_fleet_round_trips_total", "Commands sent to Redis.",
                    p.fleet_round_trips);
    process_counter(w, "sluice_fleet_lease_grants_total",
                    "Lease renewals Redis answered, one per limit.", p.fleet_grants);
    process_counter(w, "sluice_fleet_granted_units_total",
                    "Units (requests or tokens) held in leases after each renewal, summed.",
                    p.fleet_granted_units);
    process_counter(w, "sluice_fleet_errors_total", "Redis connections or commands that failed.",
                    p.fleet_errors);
    w.family("sluice_fleet_units_held", "gauge", "Units this instance holds in fleet leases.");
    w.sample("sluice_fleet_units_held", {}, p.fleet_units_held);
  }
  return w.take();
}

}  // namespace sluice::metrics
