// The authenticate stage, run early: on a data route, a request whose key is missing or
// unknown is refused on its head, before its body is read or `100 Continue` is sent, so
// a stranger cannot make the shard hold megabytes of body. The refusal is the same
// answer the full path gives (the client's error envelope, 401); the connection then
// closes, since the body was never read. A request that passes is authenticated again
// with its body by on_request, which is where its key is taken from.
#include "sluice/auth/extract_key.h"
#include "sluice/flow/gateway.h"

namespace sluice::flow {

bool Gateway::on_head(net::Exchange& ex) {
  const http::RequestHead& h = ex.head();
  // An open gateway serves strangers; one without keys that is not open refuses them all.
  if (!state_->keys_required && cfg_->allow_anonymous) return true;
  route::Route route = route::classify_route(h.method, h.path);
  if (route.kind != route::RouteKind::unified && route.kind != route::RouteKind::native)
    return true;  // operational routes check their own credentials, with the body
  // A CORS preflight carries no key by design; on_request answers it.
  if (h.method == "OPTIONS" && h.has_header("access-control-request-method")) return true;
  // ?key= only on the Gemini routes, as authenticate() reads it.
  std::string_view query = route.flavor == route::ApiFlavor::gemini ? h.query : std::string_view{};
  auth::PresentedKey presented =
      auth::extract_key(std::span<const http::Header>(h.headers, h.header_count), query, scratch_);
  if (presented.source != auth::KeySource::none && state_->keys->find(presented.key) != nullptr)
    return true;
  // Refused: the same answer, log line and metrics as a refusal on the full path.
  ClientRequest r = begin(ex, route);
  cors_headers(r);
  if (std::optional<Refusal> no = authenticate(r)) refuse(r, *no);
  return false;
}

}  // namespace sluice::flow
