#include "sluice/ops/operations.h"

#include <span>

#include "sluice/admin/dashboard.h"
#include "sluice/admin/usage_query.h"
#include "sluice/auth/extract_key.h"
#include "sluice/auth/key_hash.h"
#include "sluice/core/clock.h"
#include "sluice/ops/readyz.h"
#include "sluice/route/error_envelope.h"

namespace sluice::ops {
namespace {
// An admin request waiting for the admin worker; answers on the shard when the result
// comes back, unless the client left meanwhile.
class PendingAdmin final : public net::ExchangeObserver {
 public:
  PendingAdmin(net::Exchange& ex, std::string headers) : ex_(&ex), headers_(std::move(headers)) {
    ex.set_observer(this);
  }
  void on_client_gone() override { ex_ = nullptr; }
  void deliver(int status, std::string body) {
    if (ex_) {
      if (status >= 400) headers_ += "x-sluice-error-class: bad_request\r\n";
      ex_->respond(status, "application/json", std::move(body), headers_);
    }
    delete this;
  }

 private:
  net::Exchange* ex_;
  std::string headers_;
};
}  // namespace

void Operations::serve(flow::ClientRequest& r) {
  const flow::GatewayState& state = gw_.state();
  switch (r.route.endpoint) {
    case route::Endpoint::healthz:
      return gw_.respond_json(r, 200, "{\"status\":\"ok\"}");
    case route::Endpoint::readyz:
      return gw_.respond_json(r, gw_.ledger_refusing() ? 503 : 200,
                              readyz_json(gw_.config(), gw_.resilience(), state.ledger,
                                          state.limits ? &state.limits->fleet : nullptr));
    case route::Endpoint::admin:
      return admin(r);
    case route::Endpoint::metrics:
      if (gw_.config().admin.metrics_auth && !admin_authorized(r))
        return refuse(r, route::ErrorClass::unauthorized, "admin key required for /metrics");
      return gw_.metrics().scrape(r.ex, std::move(r.response_headers));
    case route::Endpoint::ui:
      return dashboard(r);
    default:
      return refuse(r, route::ErrorClass::not_found, "not available in this version");
  }
}

// The page itself holds no data, so it is served without the key; everything it shows
// comes from the admin API with the key typed into it. The policy keeps it from loading
// anything from elsewhere.
void Operations::dashboard(flow::ClientRequest& r) {
  if (!r.route.subpath.empty() && r.route.subpath != "/")
    return refuse(r, route::ErrorClass::not_found, "no such page");
  std::string extra = r.response_headers;
  extra +=
      "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; "
      "frame-ancestors 'none'\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  r.ex.respond(200, "text/html; charset=utf-8", std::string(admin::dashboard_html()), extra);
}

bool Operations::admin_authorized(const flow::ClientRequest& r) const {
  const std::string& admin_key = gw_.state().admin_key;
  if (admin_key.empty()) return false;
  const http::RequestHead& h = r.ex.head();
  std::string scratch;
  auth::PresentedKey k =
      auth::extract_key(std::span<const http::Header>(h.headers, h.header_count), {}, scratch);
  return k.source != auth::KeySource::none && auth::constant_time_equal(k.key, admin_key);
}

void Operations::admin(flow::ClientRequest& r) {
  const flow::GatewayState& state = gw_.state();
  if (!admin_authorized(r))
    return refuse(r, route::ErrorClass::unauthorized,
                  state.admin_key.empty()
                      ? "the admin API is off: set " + gw_.config().admin.key_env
                      : std::string("admin key required"));
  const std::string_view sub = r.route.subpath;
  const std::string_view method = r.ex.head().method;
  if (sub == "/keys" || sub.substr(0, 6) == "/keys/") return keys(r);
  if (sub == "/requests" || sub.substr(0, 10) == "/requests/" || sub == "/latency")
    return ledger_rows(r);
  if (sub == "/usage" && method == "GET") return usage(r);
  if (sub == "/breakers" && method == "GET")
    return gw_.respond_json(r, 200,
                            readyz_json(gw_.config(), gw_.resilience(), nullptr,
                                        state.limits ? &state.limits->fleet : nullptr));
  if (sub == "/limits" && method == "GET") {
    if (!state.limits)
      return gw_.respond_json(r, 200, "{\"limits\":[],\"budgets\":[],\"queues\":{}}");
    return gw_.respond_json(
        r, 200, state.limits->json(core::mono_ns(), static_cast<int64_t>(core::wall_ms())));
  }
  refuse(r, route::ErrorClass::not_found, "no such admin endpoint");
}

// GET /admin/usage: the ledger's totals, read on the admin worker.
void Operations::usage(flow::ClientRequest& r) {
  const flow::GatewayState& state = gw_.state();
  admin::UsageQuery q =
      admin::parse_usage_query(r.ex.head().query, static_cast<int64_t>(core::wall_ms()));
  if (!q.error.empty()) return refuse(r, route::ErrorClass::bad_request, q.error);
  if (!state.ledger || !state.admin_worker)
    return refuse(r, route::ErrorClass::not_found, "no ledger");
  auto* pending = new PendingAdmin(r.ex, r.response_headers);
  // The shard may stop before the worker answers: post through the loop's inbox,
  // which outlives it and refuses posts once the loop is gone.
  std::shared_ptr<core::Inbox> inbox = gw_.io().loop.inbox();
  ledger::Ledger* ledger = state.ledger;
  state.admin_worker->submit([pending, inbox, ledger, q = std::move(q)] {
    ledger::UsageReport rep = ledger->usage_report(q.from_ms, q.to_ms, q.group_by, q.filter);
    int status = rep.ok()                                                   ? 200
                 : rep.status == ledger::UsageReport::Status::invalid_query ? 400
                                                                            : 500;
    std::string body = rep.ok() ? std::move(rep.json)
                                : route::error_body(route::ApiFlavor::openai,
                                                    route::ErrorClass::bad_request, rep.error);
    // A refused post: the loop is gone, and with it the client's connection.
    if (!inbox->post([pending, status, body = std::move(body)]() mutable {
          pending->deliver(status, std::move(body));
        }))
      delete pending;
  });
}

}  // namespace sluice::ops
