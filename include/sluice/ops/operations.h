#pragma once
// The operational and admin routes of one shard, off the data path: /healthz, /readyz,
// /metrics, /admin/* (keys, usage, requests, latency, breakers, limits) and the /ui
// dashboard. Probes and scrapes are answered at once; admin reads and key changes run on
// the admin worker and answer back on this shard (docs/ADMIN.md). Refusals use the
// gateway's own answer (its log line and metrics), as the data path's do.

#include "sluice/relay/gateway.h"

namespace sluice::ops {

class Operations final : public relay::OperationalRoutes {
 public:
  explicit Operations(relay::Gateway& gateway) : gw_(gateway) {}
  void serve(relay::ClientRequest& r) override;

 private:
  bool admin_authorized(const relay::ClientRequest& r) const;
  void admin(relay::ClientRequest& r);
  void usage(relay::ClientRequest& r);
  void dashboard(relay::ClientRequest& r);
  void keys(relay::ClientRequest& r);         // /admin/keys (admin_keys.cc)
  void ledger_rows(relay::ClientRequest& r);  // /admin/requests, /admin/latency (admin_requests.cc)
  void refuse(relay::ClientRequest& r, route::ErrorClass error, std::string message) {
    gw_.refuse(r, {error, std::move(message)});
  }

  relay::Gateway& gw_;
};

}  // namespace sluice::ops
