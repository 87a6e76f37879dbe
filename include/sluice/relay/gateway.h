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
#include "sluice/net/http_connection.h"
#include "sluice/relay/access_log.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/relay/request_id.h"
#include "sluice/route/model_router.h"
#include "sluice/route/route.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::relay {

// Everything the shards share, immutable once built by the control thread.
struct GatewayState {
  std::shared_ptr<const config::Config> config;
  std::vector<upstream::Origin> origins;       // per config provider
  std::vector<std::string> auth_lines;         // per provider: the secret's header line
  std::shared_ptr<const auth::VirtualKeys> keys;
  int access_log_fd = 2;                       // -1: off
  ledger::Ledger* ledger = nullptr;            // one queue per shard; null: no ledger
  admin::AdminWorker* admin_worker = nullptr;  // runs admin queries off the shards
  std::string admin_key;                       // from admin.key_env; empty: admin API off
  uint64_t id_seed = 0;                        // makes request ids unique per process
};

// Builds the state: resolves origins, loads provider secrets, indexes the keys.
// Returns an error message (setup fails) or empty.
std::string build_gateway_state(std::shared_ptr<const config::Config> cfg, GatewayState& out);

class Gateway final : public net::RequestHandler, public ExchangeSink {
 public:
  Gateway(const GatewayState& state, net::IoContext& io, unsigned shard);

  void on_request(net::Exchange& ex) override;
  void on_shutdown() override;
  void on_loop_turn() override { log_.flush(); }
  void on_exchange_end(ProxyExchange& p, const ExchangeResult& r) override;

  upstream::UpstreamPool& pool() { return pool_; }

 private:
  // Per-request scratch while the stages run (before a ProxyExchange exists).
  struct Request {
    net::Exchange& ex;
    route::Route route;
    RequestInfo info;
    const config::Key* key = nullptr;
    std::string response_headers;  // x-request-id, CORS
  };

  bool preflight(Request& r);
  void operational(Request& r);
  void admin(Request& r);
  void dashboard(Request& r);
  bool admin_authorized(const Request& r) const;
  bool authenticate(Request& r);
  void unified(Request& r);
  void native(Request& r);
  void dispatch(Request& r, size_t provider, std::string_view upstream_path,
                std::string_view body, bool hide_usage_chunk);
  void reject(Request& r, route::ErrorClass error, std::string_view message);
  void respond_json(Request& r, int status, std::string body);
  void cors_headers(Request& r);

  const GatewayState& state_;
  const config::Config& cfg_;
  net::IoContext& io_;
  upstream::UpstreamPool pool_;
  route::ModelRouter router_;
  RequestIdSource ids_;
  ledger::LedgerQueue* ledger_;  // this shard's queue, or null
  AccessLog log_;
  std::string scratch_;  // reused: decoded ?key=, rewritten bodies
};

}  // namespace sluice::relay
