#pragma once
// The request path of one shard, stage by stage (DESIGN.md): route, authenticate,
// inspect, dispatch; the relay streams the answer and settle runs when it ends.
// Stages that refuse answer in the client's API envelope.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/admin/admin_worker.h"
#include "sluice/auth/virtual_keys.h"
#include "sluice/config/config.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"
#include "sluice/metrics/metrics_hub.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/access_log.h"
#include "sluice/relay/admission.h"
#include "sluice/relay/attempt_loop.h"
#include "sluice/relay/gateway_metrics.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/relay/request_id.h"
#include "sluice/route/inspect.h"
#include "sluice/route/model_router.h"
#include "sluice/route/route.h"
#include "sluice/telemetry/span_exporter.h"
#include "sluice/upstream/origin_registry.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::relay {

class StatePublisher;

// Everything the shards share, immutable once built by the control thread. A reload
// or a key change builds a new one; each shard swaps to it at a safe point
// (Gateway::set_state, see state_publisher.h).
struct GatewayState {
  std::shared_ptr<const config::Config> config;
  // Per config provider; owned by the OriginRegistry, the same object across reloads
  // while the provider's address is unchanged (pooled connections key on it).
  std::vector<std::shared_ptr<const upstream::Origin>> origins;
  std::vector<std::string> auth_lines;            // per provider: the secret's header line
  std::shared_ptr<const auth::VirtualKeys> keys;  // config keys + run-time keys
  bool keys_required = false;                     // false: open gateway (no keys ever set)
  StatePublisher* publisher = nullptr;            // run-time key changes; null in tests
  int access_log_fd = 2;                          // -1: off
  ledger::Ledger* ledger = nullptr;               // one queue per shard; null: no ledger
  admin::AdminWorker* admin_worker = nullptr;     // runs admin queries off the shards
  std::string admin_key;                          // from admin.key_env; empty: admin API off
  uint64_t id_seed = 0;                           // makes request ids unique per process
  resilience::Breakers* breakers = nullptr;       // process-wide, one per provider account
  limit::Registry* limits = nullptr;              // every limit and budget; null: none
  metrics::MetricsHub* metrics_hub =
      nullptr;                               // a scrape gathers every shard; null: this shard only
  telemetry::SpanExporter* spans = nullptr;  // OTLP trace export; null: off
};

// Builds the state: resolves origins (through `origins` when given, so unchanged ones
// are reused), loads provider secrets, indexes the keys.
// Returns an error message (setup fails) or empty.
std::string build_gateway_state(std::shared_ptr<const config::Config> cfg, GatewayState& out,
                                upstream::OriginRegistry* origins = nullptr);

// The usage format of a provider's generation answers, for translated requests.
scan::ResponseApi scan_api_of(route::ApiFlavor provider);

class Gateway final : public net::RequestHandler, public ExchangeSink, public FallbackBuilder {
 public:
  Gateway(std::shared_ptr<const GatewayState> state, net::IoContext& io, unsigned shard);
  ~Gateway() override;

  // On this shard's thread, between requests: later requests use `next`. Requests in
  // flight keep what they already took from the old one; the pool, the access log
  // and the ledger queue carry over.
  void set_state(std::shared_ptr<const GatewayState> next);
  const GatewayState& state() const { return *state_; }

  void on_request(net::Exchange& ex) override;
  bool on_head(net::Exchange& ex) override;  // head_check.cc
  void on_shutdown() override;
  void on_loop_turn() override { log_.flush(); }
  void on_serving(const net::ServerContext& server) override { metrics_.set_server(&server); }
  void on_exchange_end(ProxyExchange& p, const ExchangeResult& r) override;
  bool build_fallback(std::string_view alias, const net::Exchange& ex,
                      UpstreamRequest& req) override;  // gateway_fallback.cc
  void on_upstream_head(ProxyExchange& p, const http::ResponseHead& head) override;
  void on_not_dispatched(RequestInfo& info) override;
  void on_queue_wait(const RequestInfo& info, uint64_t waited_ns) override;

  upstream::UpstreamPool& pool() { return pool_; }
  GatewayMetrics& metrics() { return metrics_; }

 private:
  // Per-request scratch while the stages run (before a ProxyExchange exists).
  struct Request {
    net::Exchange& ex;
    route::Route route;
    RequestInfo info;              // info.key: the authenticated key, if any
    std::string response_headers;  // x-request-id, CORS
  };

  Request begin(net::Exchange& ex, const route::Route& route);
  bool preflight(Request& r);
  void operational(Request& r);
  void admin(Request& r);
  void dashboard(Request& r);
  bool admin_authorized(const Request& r) const;
  void admin_keys(Request& r);         // /admin/keys (admin_keys.cc)
  void admin_ledger_rows(Request& r);  // /admin/requests, /admin/latency (admin_requests.cc)
  bool authenticate(Request& r);
  bool ledger_writable(Request& r);
  bool ledger_refusing() const;
  void unified(Request& r);
  // What goes upstream for one target of an alias, in the target provider's format
  // (gateway_translate.cc). `body` points into the exchange or into scratch_, `path`
  // into the route or into path_: both are read before the call that made them returns.
  struct Upstream {
    bool ok = true;
    route::ErrorClass error = route::ErrorClass::bad_request;  // when !ok
    std::string message;                                       // when !ok
    std::string_view path;     // below the provider's base path: static, the route's, or path_
    std::string_view body;     // the request body to send
    bool client_query = true;  // the client's query goes on (same format only)
    bool hide_usage_chunk = false;
    Translation translation;
    std::string dropped;  // x-sluice-dropped-params, when a translation dropped any
  };
  bool prepare_upstream(const route::Route& route, const net::Exchange& ex,
                        const route::BodyInfo& body, const route::TargetPick& pick,
                        std::string_view alias, Upstream& out);
  void estimate_count(Request& r, const route::BodyInfo& body, const config::Provider& provider);
  void native(Request& r);
  bool needs_price(const Request& r) const;
  void reject_long_model(Request& r);
  void start_capture(RequestInfo& info, scan::ResponseApi api, std::string_view body);
  void dispatch(Request& r, size_t provider, std::string_view upstream_path, std::string_view body,
                bool hide_usage_chunk, Upstream* prepared = nullptr);
  void reject(Request& r, route::ErrorClass error, std::string_view message);
  void respond_json(Request& r, int status, std::string body);
  void cors_headers(Request& r);
  bool host_allowed(const route::Route& rt, std::string_view host) const;
  bool listener_serves(const Request& r) const;

  // Snapshots replaced while requests dispatched under them were still in flight: kept
  // until the last of those ends (their price and provider point into its config).
  // Shard-local counts, so a request costs no shared reference count.
  struct Retired {
    std::shared_ptr<const GatewayState> state;
    uint32_t generation;
    uint64_t in_flight;
  };
  void hold_snapshot(RequestInfo& info) {
    info.snapshot = generation_;
    ++in_flight_;
  }
  const GatewayState& release_snapshot(const RequestInfo& info);

  std::shared_ptr<const GatewayState> state_;
  const config::Config* cfg_;  // *state_->config
  uint32_t generation_ = 0;    // of state_
  uint64_t in_flight_ = 0;     // exchanges dispatched under state_, not ended
  std::vector<Retired> retired_;
  net::IoContext& io_;
  unsigned shard_;
  upstream::UpstreamPool pool_;
  route::ModelRouter router_;
  RequestIdSource ids_;
  ledger::LedgerQueue* ledger_;  // this shard's queue, or null
  AccessLog log_;
  Admission admission_;  // the admit stage: limits, budgets, queues
  GatewayMetrics metrics_;
  std::string scratch_;         // reused: decoded ?key=, rewritten bodies
  std::string path_;            // reused: an upstream path built for one request
  ShardResilience resilience_;  // breakers (shared), retry budgets (this shard's)
};

}  // namespace sluice::relay
