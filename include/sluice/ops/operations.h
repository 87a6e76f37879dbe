#pragma once
// The operational and admin routes of one shard, off the data path: /healthz, /readyz,
// /metrics, /admin/* (keys, usage, requests, latency, breakers, limits) and the /ui
// dashboard. Probes and scrapes are answered at once; admin reads and key changes run on
// the admin worker and answer back on this shard (docs/ADMIN.md). Refusals use the
// gateway's own answer (its log line and metrics), as the data path's do.

#include "sluice/flow/gateway.h"

namespace sluice::ops {

class Operations final : public flow::OperationalRoutes {
 public:
  explicit Operations(flow::Gateway& gateway) : gw_(gateway) {}
  void serve(flow::ClientRequest& r) override;

 private:
  bool admin_authorized(const flow::ClientRequest& r) const;
  void admin(flow::ClientRequest& r);
  void usage(flow::ClientRequest& r);
  void dashboard(flow::ClientRequest& r);
  void keys(flow::ClientRequest& r);         // /admin/keys (admin_keys.cc)
  void ledger_rows(flow::ClientRequest& r);  // /admin/requests, /admin/latency (admin_requests.cc)
  void refuse(flow::ClientRequest& r, route::ErrorClass error, std::string message) {
    gw_.refuse(r, {error, std::move(message)});
  }

  flow::Gateway& gw_;
};

}  // namespace sluice::ops
