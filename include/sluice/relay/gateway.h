#pragma once
// The request path of one shard, stage by stage (DESIGN.md): route, then dispatch to
// the provider and relay the answer. Later stages (authenticate, inspect, admit,
// settle) slot in between as their own units.

#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::relay {

class Gateway final : public net::RequestHandler, public ExchangeSink {
 public:
  // `origins[i]` belongs to `cfg.providers[i]`. Both outlive the gateway.
  Gateway(const config::Config& cfg, const std::vector<upstream::Origin>& origins,
          net::IoContext& io);

  void on_request(net::Exchange& ex) override;
  void on_shutdown() override { pool_.close_idle(); }
  void on_exchange_end(ProxyExchange& p, const ExchangeResult& r) override;

  upstream::UpstreamPool& pool() { return pool_; }
  uint64_t requests() const { return requests_; }

 private:
  void dispatch(net::Exchange& ex, size_t provider, std::string_view upstream_path);

  const config::Config& cfg_;
  const std::vector<upstream::Origin>& origins_;
  upstream::UpstreamPool pool_;
  uint64_t requests_ = 0;
};

// The request for the upstream: method, base path + `path`, the client's end-to-end
// headers (hop-by-hop ones and Host dropped), Host of the origin, Content-Length, body.
std::string build_upstream_request(const net::Exchange& ex, const upstream::Origin& origin,
                                   std::string_view path);

}  // namespace sluice::relay
