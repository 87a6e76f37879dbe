// Gateway::build_fallback: the request of a fallback alias, built when the attempt loop
// needs it (a retry-exhausted, rate-limited or breaker-open primary), never before. A
// fallback may be served by a provider of another format: the request is translated for
// it and its answer translated back, so the client always gets its own format.
#include "sluice/core/clock.h"
#include "sluice/flow/gateway.h"
#include "sluice/relay/settle.h"
#include "sluice/relay/upstream_request.h"
#include "sluice/route/inspect.h"
#include "sluice/route/route.h"

namespace sluice::flow {

bool Gateway::build_fallback(std::string_view alias, const net::Exchange& ex,
                             UpstreamRequest& req) {
  // A key limited to some models is limited in its fallbacks too: the key's entry as
  // authenticated (a run-time key is in no config), kept alive by the request's snapshot.
  if (req.info.key && !route::ModelRouter::allows(req.info.key, alias)) return false;
  route::TargetPick pick = router_.pick(
      alias, resilience_.eligible_targets(*cfg_, cfg_->model(alias)), core::mono_ns() / 1000000);
  if (pick.error != route::PickError::none) return false;
  route::Route route = route::classify_route(ex.head().method, ex.head().path);
  // Counting tokens is not generation: only an Anthropic provider answers it.
  if (route.endpoint == route::Endpoint::count_tokens &&
      pick.provider->kind != config::ProviderKind::anthropic)
    return false;
  route::BodyInfo body;
  if (!route::inspect_body(ex.body(), body).ok()) return false;
  if (route.endpoint == route::Endpoint::generate_content) body.stream = route.stream;
  Upstream up;
  if (prepare_upstream(route, ex, body, pick, alias, up)) return false;
  if (!admission_.readmit(req.info, std::string(alias), pick.provider->name)) return false;
  size_t provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  const config::Provider& p = *pick.provider;
  router_.ended(req.info.counted);
  router_.started(pick.provider);
  req.info.counted = pick.provider;
  req.provider = provider;
  req.provider_config = &p;
  req.origin = state_->origins[provider].get();
  req.timeouts = p.timeouts;
  req.info.provider = p.name;
  req.info.upstream_model = pick.target->model;
  req.hide_usage_chunk = up.hide_usage_chunk;
  // The scanner reads the provider's format: the fallback's when translated; the client's
  // when not (as the primary's was, unless the primary itself was translated).
  if (up.translation.on)
    req.api = scan_api_of(up.translation.provider);
  else if (req.translation.on)
    req.api = scan_api_of(route.flavor);
  req.translation = up.translation;
  if (!up.dropped.empty()) {
    req.response_headers += "x-sluice-dropped-params: ";
    req.response_headers += up.dropped;
    req.response_headers += "\r\n";
  }
  if (const config::Model* m = cfg_->model(alias); m && m->price.set) req.info.price = &m->price;
  req.bytes = relay::build_upstream_request(ex.head(), *req.origin, p, up.path, up.body,
                                            state_->auth_lines[provider], req.info.request_id,
                                            ex.peer_address(), !up.translation.on);
  return true;
}

}  // namespace sluice::flow
