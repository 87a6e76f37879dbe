#pragma once
// The request path of one shard (DESIGN.md). Its stages read top to bottom in
// request_flow.cc; stages that refuse answer in the client's API envelope, and every
// ending of a request settles in one place there.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/admin/admin_worker.h"
#include "sluice/auth/virtual_keys.h"
#include "sluice/config/config.h"
#include "sluice/flow/gateway_metrics.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"
#include "sluice/metrics/metrics_hub.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/access_log.h"
#include "sluice/relay/admission.h"
#include "sluice/relay/attempt_loop.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/relay/request_id.h"
#include "sluice/route/inspect.h"
#include "sluice/route/model_router.h"
#include "sluice/route/route.h"
#include "sluice/telemetry/span_exporter.h"
#include "sluice/upstream/origin_registry.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::flow {

// The stages the flow calls, by their short names.
using relay::AccessLog;
using relay::Admission;
using relay::AdmitRefusal;
using relay::AdmitVerdict;
using relay::ExchangeSink;
using relay::FallbackBuilder;
using relay::ProxyExchange;
using relay::QueueExit;
using relay::RequestIdSource;
using relay::ShardResilience;
using relay::Translation;
using relay::UpstreamRequest;

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

// A stage's refusal: its error class decides the status and the client's error envelope.
struct Refusal {
  route::ErrorClass error = route::ErrorClass::bad_request;
  std::string message;
};

// One request while the stages before dispatch run (before an exchange exists).
struct ClientRequest {
  net::Exchange& ex;
  route::Route route;
  RequestInfo info;              // info.key: the authenticated key, if any
  std::string response_headers;  // x-request-id, CORS
};

class Gateway;

// The operational and admin routes (/healthz, /readyz, /metrics, /admin/..., /ui): no
// stage of the data path. Served by src/ops, which the server plugs into each shard's
// gateway; without it they answer 404.
class OperationalRoutes {
 public:
  virtual ~OperationalRoutes() = default;
  virtual void serve(ClientRequest& r) = 0;
};

// One shard's request path. The stages, in the order one request meets them, are in
// request_flow.cc: route, authenticate, inspect and pick a target, price, admit,
// dispatch, relay (ProxyExchange), settle. This file holds what they share: the
// shard's pool, router, admission, metrics, access log and ledger queue, and the
// config snapshot each request holds until it settles.
class Gateway final : public net::RequestHandler,
                      public ExchangeSink,
                      public QueueExit,
                      public FallbackBuilder {
 public:
  Gateway(std::shared_ptr<const GatewayState> state, net::IoContext& io, unsigned shard);
  ~Gateway() override;

  // On this shard's thread, between requests: later requests use `next`. Requests in
  // flight keep what they already took from the old one; the pool, the access log
  // and the ledger queue carry over.
  void set_state(std::shared_ptr<const GatewayState> next);
  const GatewayState& state() const { return *state_; }
  const config::Config& config() const { return *cfg_; }
  void set_operations(std::unique_ptr<OperationalRoutes> ops) { ops_ = std::move(ops); }

  // net::RequestHandler
  void on_request(net::Exchange& ex) override;  // request_flow.cc: the whole path
  bool on_head(net::Exchange& ex) override;     // head_check.cc
  void on_shutdown() override;
  void on_loop_turn() override { log_.flush(); }
  void on_serving(const net::ServerContext& server) override { metrics_.set_server(&server); }
  // ExchangeSink: the relay stage's reports (request_flow.cc).
  void on_exchange_end(ProxyExchange& p, const ExchangeResult& r) override;
  void on_upstream_head(ProxyExchange& p, const http::ResponseHead& head) override;
  // QueueExit: a queued request carries on (request_flow.cc).
  void admitted_from_queue(net::Exchange& ex, UpstreamRequest&& req) override;
  void refused_from_queue(net::Exchange& ex, UpstreamRequest& req,
                          const limit::Decision& d) override;
  void left_queue(UpstreamRequest& req) override;
  void queue_waited(const RequestInfo& info, uint64_t waited_ns) override;
  // FallbackBuilder (gateway_fallback.cc).
  bool build_fallback(std::string_view alias, const net::Exchange& ex,
                      UpstreamRequest& req) override;

  // Answers written by sluice itself, for the flow and the operational routes; each
  // settles the request (its log line and metrics).
  void refuse(ClientRequest& r, const Refusal& no);
  void respond_json(ClientRequest& r, int status, std::string body);

  upstream::UpstreamPool& pool() { return pool_; }
  GatewayMetrics& metrics() { return metrics_; }
  ShardResilience& resilience() { return resilience_; }
  net::IoContext& io() { return io_; }
  unsigned shard() const { return shard_; }
  // on_ledger_failure "refuse" and the ledger cannot write.
  bool ledger_refusing() const;

 private:
  ClientRequest begin(net::Exchange& ex, const route::Route& route);
  // The stages (request_flow.cc), each returning what it decided.
  std::optional<Refusal> screen(ClientRequest& r);
  bool preflight(ClientRequest& r);
  std::optional<Refusal> known_route(ClientRequest& r);
  std::optional<Refusal> authenticate(ClientRequest& r);
  std::optional<Refusal> ledger_writable() const;
  // What goes upstream for one target of an alias, in the target provider's format
  // (gateway_translate.cc). `body` points into the exchange or into scratch_, `path`
  // into the route or into path_: both are read before the call that made them returns.
  // The client's query goes on only when the format is the same (translation off).
  struct Upstream {
    std::string_view path;  // below the provider's base path: static, the route's, or path_
    std::string_view body;  // the request body to send
    bool hide_usage_chunk = false;
    Translation translation;
    std::string dropped;    // x-sluice-dropped-params, when a translation dropped any
    size_t provider = 0;    // the target's index in the config's providers
    bool answered = false;  // answered by sluice itself (a model list, a token estimate)
  };
  std::optional<Refusal> target_unified(ClientRequest& r, Upstream& up);
  std::optional<Refusal> target_native(ClientRequest& r, Upstream& up);
  std::optional<Refusal> prepare_upstream(const route::Route& route, const net::Exchange& ex,
                                          const route::BodyInfo& body,
                                          const route::TargetPick& pick, std::string_view alias,
                                          Upstream& out);
  void estimate_count(ClientRequest& r, const route::BodyInfo& body,
                      const config::Provider& provider);
  std::optional<Refusal> priced(ClientRequest& r);
  UpstreamRequest upstream_request(ClientRequest& r, Upstream& up);
  void upstream_bytes(const net::Exchange& ex, const Upstream& up, UpstreamRequest& req);
  void admit(net::Exchange& ex, const Upstream& up, UpstreamRequest&& req);
  void dispatch(net::Exchange& ex, UpstreamRequest&& req);
  void refuse_admission(net::Exchange& ex, UpstreamRequest& req, const AdmitVerdict& v);
  // An error answer in the client's envelope: the error-class line, `lines`, then the
  // request's own response headers; records the status and class in `info`.
  void answer_error(net::Exchange& ex, route::ApiFlavor flavor, RequestInfo& info, int status,
                    route::ErrorClass error, std::string_view message, std::string_view lines,
                    std::string_view response_headers);
  // The one place every ending of a request settles.
  enum class Ending : uint8_t {
    answered,      // sluice answered it before dispatch (a list, an estimate, a preflight)
    refused,       // a stage before admission refused it
    not_admitted,  // admission refused it (or the fleet did): ledger row, no usage
    left_queue,    // its client hung up while it was queued: ledger row, no usage
    relayed,       // an exchange ran: usage, ledger row, the reservation trued up
  };
  void settle(RequestInfo& info, Ending how, const ExchangeResult* res = nullptr,
              const scan::UsageScanner* scanner = nullptr);

  Refusal long_model() const;
  bool needs_price(const ClientRequest& r) const;
  void start_capture(RequestInfo& info, scan::ResponseApi api, std::string_view body);
  void cors_headers(ClientRequest& r);
  bool host_allowed(const route::Route& rt, std::string_view host) const;
  bool listener_serves(const ClientRequest& r) const;

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
  std::unique_ptr<OperationalRoutes> ops_;  // src/ops; null: operational routes answer 404
  std::string scratch_;                     // reused: decoded ?key=, rewritten bodies
  std::string path_;                        // reused: an upstream path built for one request
  ShardResilience resilience_;              // breakers (shared), retry budgets (this shard's)
};

}  // namespace sluice::flow
