#pragma once
// The admit stage of one shard (DESIGN.md step 5, docs/LIMITS.md): between inspect and
// dispatch, every limit and budget that applies must admit the request. admit() says
// which: admitted (dispatch now), queued (its project's queue holds it and hands it back
// through QueueExit), or refused (the flow answers 429, or 503 when the fleet refuses,
// with what refusal() writes). Admission answers no client and writes no record itself:
// the flow does (request_flow.cc). Settlement replaces the reservation with the ledger
// record's usage, and provider rate-limit headers pace the provider account.

#include <map>
#include <memory>
#include <string>

#include "sluice/core/timer.h"
#include "sluice/ledger/record.h"
#include "sluice/limit/registry.h"
#include "sluice/limit/shard_limiter.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/route/error_envelope.h"

namespace sluice::relay {

// Where a queued request goes when it leaves its queue: back to the flow that queued
// it, which carries on from the admit stage.
class QueueExit {
 public:
  virtual void admitted_from_queue(net::Exchange& ex, UpstreamRequest&& req) = 0;
  // Refused at its deadline: answered and settled by the flow.
  virtual void refused_from_queue(net::Exchange& ex, UpstreamRequest& req,
                                  const limit::Decision& d) = 0;
  // Its client hung up while it waited.
  virtual void left_queue(UpstreamRequest& req) = 0;
  // It left the queue (any of the above) after waiting this long.
  virtual void queue_waited(const RequestInfo& info, uint64_t waited_ns) = 0;

 protected:
  ~QueueExit() = default;
};

// What the admit stage decided.
struct AdmitVerdict {
  enum class Kind : uint8_t {
    admitted,    // dispatch now; the request holds its ticket
    queue,       // may wait: enqueue() it
    refused,     // a limit or budget says no: `decision` says which
    fleet_down,  // fleet.on_redis_down "refuse" and Redis cannot be reached
  } kind = Kind::admitted;
  limit::Decision decision;
  bool queue_full = false;  // refused because the project's queue is full
  // queue: what the waiting request reserves, and for how long it may wait.
  limit::Plan* plan = nullptr;
  int64_t tokens = 0;
  int64_t cost_nusd = 0;
  uint64_t wait_ms = 0;
  bool lease_wait = false;
};

// The answer to a request that admission refused.
struct AdmitRefusal {
  int status = 429;
  route::ErrorClass error = route::ErrorClass::rate_limited;
  std::string message;
  std::string headers;  // retry-after, retry-after-ms, x-ratelimit-* (the flow adds the class)
};

class Admission final : public core::TimerTarget {
 public:
  // `registry` null: no limits, every request is admitted at once.
  Admission(limit::Registry* registry, const config::Config& cfg, net::IoContext& io,
            unsigned shard, QueueExit& exit);
  ~Admission();

  // Admitted (info.ticket then holds the reservation), may wait in its queue, or refused.
  AdmitVerdict admit(RequestInfo& info);
  // A request `admit` said may wait: the queue takes it (true) and hands it back through
  // QueueExit, or the queue is full (false; `req` untouched, `v` now a refusal).
  bool enqueue(net::Exchange& ex, UpstreamRequest&& req, AdmitVerdict& v);
  // What a refused request is answered: status, message and headers.
  AdmitRefusal refusal(const AdmitVerdict& v, const RequestInfo& info);
  // The x-ratelimit-* lines of an admitted request's tightest limit.
  void add_rate_headers(const RequestInfo& info, std::string& out);
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
  limit::ShardLimiter& limiter() { return *limiter_; }
  QueueExit& exit() { return exit_; }
  // A queued request left its queue after `ns`: per-project figures and metrics.
  void queue_waited(const limit::Plan& plan, const RequestInfo& info, uint64_t ns);

 private:
  struct Estimate {
    int64_t tokens;
    int64_t cost_nusd;
  };
  Estimate estimate(const RequestInfo& info, const config::Provider* provider) const;
  void append_rate_headers(std::string& out, const limit::Plan& plan) const;
  limit::Limit* account(const std::string& provider);

  limit::Registry* registry_;
  const config::Config* cfg_;  // the shard's current snapshot; replaced on reload
  net::IoContext& io_;
  QueueExit& exit_;
  std::unique_ptr<limit::ShardLimiter> limiter_;
  core::Timer tick_;
  uint64_t accounts_generation_ = 0;
  std::map<std::string, limit::Limit*, std::less<>> accounts_;  // provider name -> its limit
};

}  // namespace sluice::relay
