#pragma once
// The admit stage of one shard (DESIGN.md step 5, docs/LIMITS.md): between inspect and
// dispatch, every limit and budget that applies must admit the request; otherwise it
// waits in its project's queue (when the project allows) or is answered 429 in the
// client's envelope with retry-after and x-ratelimit-* headers, and still gets its
// ledger row. Settlement replaces the reservation with the ledger record's usage, and
// provider rate-limit headers pace the provider account.

#include <map>
#include <memory>
#include <string>

#include "sluice/core/timer.h"
#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"
#include "sluice/limit/shard_limiter.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/access_log.h"
#include "sluice/relay/proxy_exchange.h"

namespace sluice::relay {

class Admission final : public core::TimerTarget {
 public:
  // `registry` null: no limits, every request goes straight to dispatch.
  Admission(limit::Registry* registry, const config::Config& cfg, net::IoContext& io,
            unsigned shard, upstream::UpstreamPool& pool, ExchangeSink& sink, AccessLog& log,
            ledger::LedgerQueue* ledger);
  ~Admission();

  // Admits and starts the exchange, queues it, or answers 429.
  void admit(net::Exchange& ex, UpstreamRequest&& req);
  // A fallback to `alias` on `provider`: admitted there at once or not at all (false).
  bool readmit(RequestInfo& info, const std::string& alias, const std::string& provider);
  // Settlement: the reservation becomes the record's real tokens and cost.
  void settle(RequestInfo& info, const ledger::Record& record);
  // Provider feedback from an upstream response head.
  void feedback(const RequestInfo& info, const http::ResponseHead& head);

  void on_timer(int tag) override;
  // A reload: later requests plan against `cfg` (the registry was reconfigured first).
  void set_config(const config::Config& cfg) { cfg_ = &cfg; }

  // For a queued request (admission.cc).
  void start(net::Exchange& ex, UpstreamRequest&& req);
  void refuse(net::Exchange& ex, UpstreamRequest& req, const limit::Decision& d, bool queue_full);
  void refuse_fleet_down(net::Exchange& ex, UpstreamRequest& req);
  void left_queue(UpstreamRequest& req);
  limit::ShardLimiter& limiter() { return *limiter_; }
  // A queued request left its queue after `ns`: per-project figures and metrics.
  void queue_waited(const limit::Plan& plan, const RequestInfo& info, uint64_t ns);

 private:
  struct Estimate {
    int64_t tokens;
    int64_t cost_nusd;
  };
  Estimate estimate(const RequestInfo& info, const config::Provider* provider) const;
  void add_rate_headers(std::string& out, const limit::Plan& plan) const;
  void record_rejected(RequestInfo& info, int status);
  limit::Limit* account(const std::string& provider);

  limit::Registry* registry_;
  const config::Config* cfg_;  // the shard's current snapshot; replaced on reload
  net::IoContext& io_;
  upstream::UpstreamPool& pool_;
  ExchangeSink& sink_;
  AccessLog& log_;
  ledger::LedgerQueue* ledger_;
  std::unique_ptr<limit::ShardLimiter> limiter_;
  core::Timer tick_;
  uint64_t accounts_generation_ = 0;
  std::map<std::string, limit::Limit*, std::less<>> accounts_;  // provider name -> its limit
};

}  // namespace sluice::relay
