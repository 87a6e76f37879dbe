// Gateway::build_fallback: the request of a fallback alias, built when the attempt loop
// needs it (a retry-exhausted, rate-limited or breaker-open primary), never before.
#include "sluice/relay/gateway.h"
#include "sluice/relay/settle.h"
#include "sluice/relay/upstream_request.h"
#include "sluice/route/inspect.h"
#include "sluice/route/rewrite.h"
#include "sluice/route/route.h"

namespace sluice::relay {

bool Gateway::build_fallback(std::string_view alias, const net::Exchange& ex,
                             UpstreamRequest& req) {
  // A key limited to some models is limited in its fallbacks too: the key's entry as
  // authenticated (a run-time key is in no config), kept alive by the request's snapshot.
  if (req.info.key && !route::ModelRouter::allows(req.info.key, alias)) return false;
  route::TargetPick pick =
      router_.pick(alias, resilience_.eligible_targets(*cfg_, cfg_->model(alias)));
  if (pick.error != route::PickError::none) return false;
  // The unified surface speaks OpenAI's format: only a provider that speaks it can take
  // the request over unchanged.
  if (route::flavor_of(pick.provider->kind) != req.flavor) return false;
  route::BodyInfo body;
  if (!route::inspect_body(ex.body(), body).ok()) return false;
  if (!admission_.readmit(req.info, std::string(alias), pick.provider->name)) return false;
  route::RewriteSpec spec;
  spec.upstream_model = pick.target->model;
  spec.request_usage = req.hide_usage_chunk;
  route::rewrite_body(ex.body(), body, spec, scratch_);
  size_t provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  const config::Provider& p = *pick.provider;
  req.provider = provider;
  req.provider_config = &p;
  req.origin = state_->origins[provider].get();
  req.timeouts = p.timeouts;
  req.info.provider = p.name;
  req.info.upstream_model = pick.target->model;
  if (const config::Model* m = cfg_->model(alias); m && m->price.set) req.info.price = &m->price;
  req.bytes = build_upstream_request(
      ex.head(), *req.origin, p,
      route::classify_route(ex.head().method, ex.head().path).upstream_path, scratch_,
      state_->auth_lines[provider], req.info.request_id, ex.peer_address());
  return true;
}

}  // namespace sluice::relay
