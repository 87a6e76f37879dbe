// /admin/keys: virtual keys created, listed and revoked at run time. The shard only
// parses the request; the work (SQLite, the new key snapshot for every shard) runs
// on the admin worker, and the answer comes back to this shard once every shard has
// the new keys, so a client that got its 201 can use the key on any connection.

#include "sluice/admin/key_request.h"
#include "sluice/admin/usage_query.h"
#include "sluice/core/log.h"
#include "sluice/flow/state_publisher.h"
#include "sluice/ops/operations.h"
#include "sluice/route/error_envelope.h"

namespace sluice::ops {
namespace {

// An admin request waiting for the admin worker; answered on its shard, unless the
// client left meanwhile.
class PendingKeyChange final : public net::ExchangeObserver {
 public:
  PendingKeyChange(net::Exchange& ex, std::string headers)
      : ex_(&ex), headers_(std::move(headers)) {
    ex.set_observer(this);
  }
  void on_client_gone() override { ex_ = nullptr; }
  void deliver(const flow::AdminAnswer& a) {
    if (ex_) {
      if (a.status >= 400) {
        headers_ += "x-sluice-error-class: ";
        headers_ += a.status == 404   ? "not_found"
                    : a.status == 503 ? "provider_degraded"
                                      : "bad_request";
        headers_ += "\r\n";
      }
      ex_->set_observer(nullptr);
      ex_->respond(a.status, "application/json", a.body, headers_);
    }
    delete this;
  }

 private:
  net::Exchange* ex_;
  std::string headers_;
};

}  // namespace

void Operations::keys(flow::ClientRequest& r) {
  const flow::GatewayState& state = gw_.state();
  flow::StatePublisher* publisher = state.publisher;
  if (publisher == nullptr || state.admin_worker == nullptr)
    return refuse(r, route::ErrorClass::not_found, "run-time keys are not available");
  std::string_view method = r.ex.head().method;
  std::string_view sub = r.route.subpath;
  std::string id;
  if (sub.size() > 6) {
    id = admin::url_decode(sub.substr(6));
    if (id.find('/') != std::string::npos)
      return refuse(r, route::ErrorClass::not_found, "no such admin endpoint");
  }
  if (id.empty() && method == "GET") return gw_.respond_json(r, 200, publisher->list_keys().body);

  admin::KeyRequest request;
  if (id.empty() && method == "POST") {
    std::string err = admin::parse_key_request(r.ex.body(), request);
    if (!err.empty()) return refuse(r, route::ErrorClass::bad_request, err);
  } else if (id.empty() || method != "DELETE") {
    r.response_headers += id.empty() ? "Allow: GET, POST\r\n" : "Allow: DELETE\r\n";
    return refuse(r, route::ErrorClass::method_not_allowed, "method not allowed on this path");
  }

  auto* pending = new PendingKeyChange(r.ex, r.response_headers);
  unsigned shard = gw_.shard();
  auto done = [pending, publisher, shard](flow::AdminAnswer a) {
    // Through the publisher: this shard may have stopped meanwhile (shutdown), and
    // then its connections are closed and nobody waits for the answer.
    if (!publisher->post_to(shard, [pending, a] { pending->deliver(a); })) delete pending;
  };
  state.admin_worker->submit([publisher, request = std::move(request), id, done] {
    if (id.empty())
      publisher->create_key(request, done);
    else
      publisher->revoke_key(id, done);
  });
}

}  // namespace sluice::ops
