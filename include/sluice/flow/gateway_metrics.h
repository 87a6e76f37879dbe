#pragma once
// The gateway's side of the metrics: turns what a shard's stages learned about a
// request into a RequestSample for its ShardMetrics, answers GET /metrics by gathering
// every shard's snapshot (MetricsHub), and adds the gauges only the shard can read
// (its client connections, its upstream pool, its breaker view).
// With OTLP export on, it also hands one span per counted request to this shard's
// exporter queue.
//
// Gateway overhead, the time sluice itself added to a proxied request, is
//   (request handed to the upstream connection - request arrival)
// + (end of the exchange - loop turn that received its last upstream bytes),
// i.e. routing, authentication, inspection and rewriting before the upstream request
// is sent, plus relaying the last bytes to the client once they came. Waiting for the
// provider (connect, TLS, its think time, its streaming) is not overhead.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sluice/ledger/record.h"
#include "sluice/metrics/metrics_hub.h"
#include "sluice/metrics/shard_metrics.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/relay/request_info.h"
#include "sluice/telemetry/span_exporter.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::flow {

// The relay stage's vocabulary, which every part of the flow speaks.
using relay::ExchangeResult;
using relay::RequestInfo;

struct GatewayState;

class GatewayMetrics {
 public:
  GatewayMetrics(const GatewayState& state, net::IoContext& io, upstream::UpstreamPool& pool,
                 unsigned shard);
  ~GatewayMetrics();
  void set_state(const GatewayState& state);
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // The shard's server (its connection count); set once it exists.
  void set_server(const net::ServerContext* server) { server_ = server; }
  // Where sluice_breaker_state reads a provider's state (by config index) on this shard.
  // Unset: every provider shows closed.
  using BreakerView = std::function<metrics::BreakerState(size_t provider)>;
  void set_breaker_view(BreakerView view) { breaker_view_ = std::move(view); }
  // The counters themselves, for stages that record on their own (queue waits).
  metrics::ShardMetrics& counters() { return metrics_; }

  // A request arrived: what trace export needs from its head (nothing when it is off).
  void on_arrival(RequestInfo& info, const http::RequestHead& head);
  // sluice answered the request itself with a success (model listing, ...).
  void answered(const RequestInfo& info);
  // sluice refused the request (an error class from reject()): a request and a refusal.
  void refused(const RequestInfo& info);
  // A proxied exchange ended; `rec` is its settled usage and cost.
  void exchange_ended(const RequestInfo& info, const ExchangeResult& res, const ledger::Record& rec,
                      uint64_t now_ns);

  // GET /metrics: answers once every shard has reported.
  void scrape(net::Exchange& ex, std::string headers);
  // Stops answering gathers (the shard is stopping).
  void detach();

 private:
  class PendingScrape;
  void learn_names(const config::Config& cfg);
  void collect(metrics::Snapshot& out) const;
  void deliver(uint64_t id, metrics::Snapshot s);
  metrics::ProcessFigures process_figures() const;
  // One span for a finished request; `rec`: its settled usage, when it was proxied.
  void emit_span(const RequestInfo& info, const ledger::Record* rec, uint64_t now_ns);
  uint64_t random64();

  const GatewayState* state_;  // the shard's current snapshot; replaced on reload
  net::IoContext& io_;
  upstream::UpstreamPool& pool_;
  unsigned shard_;
  metrics::ShardMetrics metrics_;
  const net::ServerContext* server_ = nullptr;
  BreakerView breaker_view_;
  bool attached_ = false;
  uint64_t next_scrape_ = 0;
  std::map<uint64_t, std::unique_ptr<PendingScrape>> scrapes_;
  telemetry::SpanExporter* spans_;  // null: trace export off
  uint64_t rng_;                    // span and trace ids (splitmix64)
};

}  // namespace sluice::flow
