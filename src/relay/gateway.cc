#include "sluice/relay/gateway.h"

#include <algorithm>
#include <cstdlib>
#include <span>

#include "sluice/admin/dashboard.h"
#include "sluice/admin/usage_query.h"
#include "sluice/auth/extract_key.h"
#include "sluice/auth/key_hash.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/limit/rate_headers.h"
#include "sluice/relay/readyz.h"
#include "sluice/relay/settle.h"
#include "sluice/relay/state_publisher.h"
#include "sluice/relay/upstream_request.h"
#include "sluice/resilience/retry_after.h"
#include "sluice/route/error_envelope.h"
#include "sluice/route/inspect.h"
#include "sluice/route/rewrite.h"
#include "sluice/telemetry/genai_content.h"
#include "sluice/upstream/provider_secret.h"

namespace sluice::relay {
namespace {
constexpr size_t kMaxModelNameBytes = 256;

bool is_operational(route::Endpoint e) {
  using route::Endpoint;
  return e == Endpoint::healthz || e == Endpoint::readyz || e == Endpoint::metrics ||
         e == Endpoint::admin || e == Endpoint::ui;
}

// The media type of a Content-Type value, parameters (charset, boundary) aside.
std::string_view media_type(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  return t;
}
// application/json, or an application/...+json type.
bool is_json_content(std::string_view content_type) {
  std::string_view t = media_type(content_type);
  if (http::iequals(t, "application/json")) return true;
  return t.size() > 17 && http::iequals(t.substr(t.size() - 5), "+json") &&
         http::iequals(t.substr(0, 12), "application/");
}
bool is_multipart_form(std::string_view content_type) {
  return http::iequals(media_type(content_type), "multipart/form-data");
}

std::string_view endpoint_name(const route::Route& r) {
  using route::Endpoint;
  switch (r.endpoint) {
    case Endpoint::chat_completions:
      return "chat_completions";
    case Endpoint::completions:
      return "completions";
    case Endpoint::embeddings:
      return "embeddings";
    case Endpoint::responses:
      return "responses";
    case Endpoint::models:
      return "models";
    case Endpoint::model:
      return "model";
    case Endpoint::messages:
      return "messages";
    case Endpoint::count_tokens:
      return "count_tokens";
    case Endpoint::generate_content:
      return "generate_content";
    case Endpoint::passthrough:
      return route::flavor_name(r.flavor);
    case Endpoint::healthz:
      return "healthz";
    case Endpoint::readyz:
      return "readyz";
    case Endpoint::metrics:
      return "metrics";
    case Endpoint::admin:
      return "admin";
    case Endpoint::ui:
      return "ui";
    case Endpoint::none:
      return "unknown";
  }
  return "unknown";
}
// Which response format to scan: by the API the request went to.
scan::ResponseApi response_api(const route::Route& r) {
  switch (r.flavor) {
    case route::ApiFlavor::anthropic:
      return scan::ResponseApi::anthropic;
    case route::ApiFlavor::gemini:
      return scan::ResponseApi::gemini;
    case route::ApiFlavor::openai:
      break;
  }
  if (r.endpoint == route::Endpoint::responses || r.upstream_path.substr(0, 10) == "/responses")
    return scan::ResponseApi::openai_responses;
  return scan::ResponseApi::openai_chat;
}

}  // namespace

// The usage format of a provider's generation answers (translated requests).
scan::ResponseApi scan_api_of(route::ApiFlavor provider) {
  switch (provider) {
    case route::ApiFlavor::anthropic:
      return scan::ResponseApi::anthropic;
    case route::ApiFlavor::gemini:
      return scan::ResponseApi::gemini;
    case route::ApiFlavor::openai:
      break;
  }
  return scan::ResponseApi::openai_chat;
}

namespace {
// OpenAI chat and completions streams report usage only when asked.
bool wants_usage_option(const route::Route& r) {
  if (r.flavor != route::ApiFlavor::openai) return false;
  return r.endpoint == route::Endpoint::chat_completions ||
         r.endpoint == route::Endpoint::completions || r.upstream_path == "/chat/completions" ||
         r.upstream_path == "/completions";
}
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

std::string build_gateway_state(std::shared_ptr<const config::Config> cfg, GatewayState& out,
                                upstream::OriginRegistry* origins) {
  upstream::OriginRegistry own;  // no registry given: nothing to share origins with
  if (origins == nullptr) origins = &own;
  out.config = cfg;
  out.origins.resize(cfg->providers.size());
  out.auth_lines.resize(cfg->providers.size());
  for (size_t i = 0; i < cfg->providers.size(); ++i) {
    const config::Provider& p = cfg->providers[i];
    std::string err;
    out.origins[i] = origins->get(p, err);
    if (!err.empty()) return "provider " + p.name + ": " + err;
    upstream::SecretResult secret = upstream::load_provider_secret(p);
    if (!secret.error.empty()) return "provider " + p.name + ": " + secret.error;
    out.auth_lines[i] = upstream::auth_header_line(p.kind, secret.secret);
  }
  try {
    out.keys = std::make_shared<const auth::VirtualKeys>(*cfg);
  } catch (const std::exception& e) {
    return e.what();
  }
  for (const config::Key& k : cfg->keys)
    if (k.plaintext)
      SLUICE_LOG_WARN(
          "key %s is configured in plaintext (`key`): for development only; use "
          "`sluice keygen` and `sha256`",
          k.id.c_str());
  out.keys_required = !cfg->keys.empty();
  // Opened once, at start (still stderr's 2 then). A reload keeps the process's file,
  // which SIGHUP reopens by its path (process.cc), so it neither opens the file again
  // nor fails because the file cannot be opened just now.
  if (out.access_log_fd == 2) out.access_log_fd = open_access_log(cfg->server.access_log);
  if (const char* k = std::getenv(cfg->admin.key_env.c_str()); k && *k)
    out.admin_key = k;
  else
    SLUICE_LOG_WARN("%s is not set: the admin API and dashboard are off",
                    cfg->admin.key_env.c_str());
  out.id_seed = core::wall_ms() ^ (core::mono_ns() << 20);
  return {};
}

Gateway::Gateway(std::shared_ptr<const GatewayState> state, net::IoContext& io, unsigned shard)
    : state_(std::move(state)),
      cfg_(state_->config.get()),
      io_(io),
      shard_(shard),
      pool_(io),
      router_(state_->config),
      ids_(shard, state_->id_seed),
      ledger_(state_->ledger ? &state_->ledger->queue(shard) : nullptr),
      log_(state_->access_log_fd),
      admission_(state_->limits, *cfg_, io, shard, pool_, *this, log_, ledger_),
      metrics_(*state_, io, pool_, shard),
      resilience_(*cfg_, state_->breakers, state_->id_seed + shard) {
  resilience_.fallbacks = this;
  metrics_.set_breaker_view([this](size_t provider) {
    const resilience::Breaker* b = resilience_.breaker(provider);
    if (b == nullptr) return metrics::BreakerState::closed;
    switch (b->snapshot(core::mono_ns() / 1000000).state) {
      case resilience::BreakerState::open:
        return metrics::BreakerState::open;
      case resilience::BreakerState::half_open:
        return metrics::BreakerState::half_open;
      case resilience::BreakerState::closed:
        break;
    }
    return metrics::BreakerState::closed;
  });
  if (state_->publisher) state_->publisher->attach(shard_, this, &io_.loop);
}

Gateway::~Gateway() {
  if (state_->publisher) state_->publisher->detach(shard_);
}

void Gateway::set_state(std::shared_ptr<const GatewayState> next) {
  // Shard-local views of process-wide objects (limits, breakers) stay as they are:
  // those objects are reconfigured in place before this runs (process.cc).
  if (next->config != state_->config) {
    router_ = route::ModelRouter(next->config);
    admission_.set_config(*next->config);
    resilience_.reconfigure(*next->config, next->breakers);
  }
  metrics_.set_state(*next);
  if (in_flight_ > 0) retired_.push_back({std::move(state_), generation_, in_flight_});
  state_ = std::move(next);
  cfg_ = state_->config.get();
  ++generation_;
  in_flight_ = 0;
}

const GatewayState& Gateway::release_snapshot(const RequestInfo& info) {
  if (info.snapshot == generation_) {
    --in_flight_;
    return *state_;
  }
  for (size_t i = 0; i < retired_.size(); ++i) {
    if (retired_[i].generation != info.snapshot) continue;
    if (--retired_[i].in_flight > 0) return *retired_[i].state;
    // The last request of that snapshot: the caller still reads it, so free it later.
    std::shared_ptr<const GatewayState> last = std::move(retired_[i].state);
    retired_.erase(retired_.begin() + static_cast<std::ptrdiff_t>(i));
    const GatewayState& state = *last;
    io_.loop.defer([last = std::move(last)] {});
    return state;
  }
  return *state_;  // not reached: every dispatched request holds a generation
}

void Gateway::on_shutdown() {
  metrics_.detach();
  pool_.close_idle();
  log_.flush();
}

// ---- the stages -----------------------------------------------------------------------

// What every request starts with: its id, route name and arrival, and the response
// headers every answer carries. Also the head check's (head_check.cc) start.
Gateway::Request Gateway::begin(net::Exchange& ex, const route::Route& route) {
  Request r{ex, route, {}, {}};
  r.info.arrival_ns = ex.started_ns();
  r.info.ts_ms = core::wall_ms();
  r.info.request_id = sanitize_request_id(ex.head().header("x-request-id"));
  if (r.info.request_id.empty()) r.info.request_id = ids_.next();
  r.info.route = endpoint_name(r.route);
  r.info.bytes_in = ex.body().size();
  metrics_.on_arrival(r.info, ex.head());
  // One allocation for every line a proxied answer adds (the id, rate limits, CORS).
  r.response_headers.reserve(384);
  r.response_headers.append("x-request-id: ").append(r.info.request_id).append("\r\n");
  return r;
}

void Gateway::on_request(net::Exchange& ex) {
  Request r = begin(ex, route::classify_route(ex.head().method, ex.head().path));
  if (!host_allowed(r.route, ex.head().header("host")))
    return reject(r, route::ErrorClass::forbidden, "this host name is not served here");
  if (!listener_serves(r)) return reject(r, route::ErrorClass::not_found, "no such endpoint");
  if (!is_operational(r.route.endpoint)) {  // operational routes are not for browsers
    cors_headers(r);
    if (preflight(r)) return;
  }

  switch (r.route.kind) {
    case route::RouteKind::not_found:
      return reject(r, route::ErrorClass::not_found, "no such endpoint");
    case route::RouteKind::method_not_allowed:
      r.response_headers += "Allow: ";
      r.response_headers += r.route.allow;
      r.response_headers += "\r\n";
      return reject(r, route::ErrorClass::method_not_allowed, "method not allowed on this path");
    case route::RouteKind::bad_path:
      return reject(r, route::ErrorClass::bad_request, r.route.reason);
    case route::RouteKind::operational:
      return operational(r);
    case route::RouteKind::unified:
      if (!authenticate(r) || !ledger_writable(r)) return;
      return unified(r);
    case route::RouteKind::native:
      if (!authenticate(r) || !ledger_writable(r)) return;
      return native(r);
  }
}

bool Gateway::ledger_refusing() const { return state_->ledger && state_->ledger->refusing(); }

// on_ledger_failure "refuse": a request the books could not record is not served.
bool Gateway::ledger_writable(Request& r) {
  if (!ledger_refusing()) return true;
  reject(r, route::ErrorClass::provider_degraded,
         "the request ledger cannot write (on_ledger_failure is \"refuse\"); try again later");
  return false;
}

// server.allowed_hosts: a page on another site that rebinds its name to this address
// sends its own host name, so it is refused. /healthz stays open to probes by address.
bool Gateway::host_allowed(const route::Route& rt, std::string_view host) const {
  const std::vector<std::string>& allowed = cfg_->server.allowed_hosts;
  if (allowed.empty() || rt.endpoint == route::Endpoint::healthz) return true;
  if (host.empty()) return false;
  // Without its port: "[::1]:8080" -> "[::1]", "api.example.com:443" -> "api.example.com".
  std::string_view bare = host;
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (host[0] != '[' || colon > host.find(']')))
    bare = host.substr(0, colon);
  for (const std::string& a : allowed)  // lowercased by the config loader
    if (http::iequals(host, a) || http::iequals(bare, a)) return true;
  return false;
}

// With admin.listen set, operational routes (but /healthz) answer only there, and the
// admin listener answers nothing else.
bool Gateway::listener_serves(const Request& r) const {
  bool operational = is_operational(r.route.endpoint);
  if (r.ex.on_admin_listener()) return operational;
  if (cfg_->admin.listen.empty() || !operational) return true;
  return r.route.endpoint == route::Endpoint::healthz;
}

void Gateway::cors_headers(Request& r) {
  std::string_view origin = r.ex.head().header("origin");
  if (origin.empty() || cfg_->cors.allowed_origins.empty()) return;
  const auto& allowed = cfg_->cors.allowed_origins;
  bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
  r.response_headers += "Access-Control-Allow-Origin: ";
  r.response_headers += origin;
  r.response_headers +=
      "\r\nVary: Origin\r\nAccess-Control-Expose-Headers: x-request-id, retry-after, "
      "retry-after-ms, x-sluice-error-class, x-ratelimit-limit-requests, "
      "x-ratelimit-remaining-requests, x-ratelimit-reset-requests, x-ratelimit-limit-tokens, "
      "x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens, x-sluice-dropped-params, "
      "x-sluice-token-count\r\n";
}

// A CORS preflight is answered by sluice itself; it never reaches a provider.
bool Gateway::preflight(Request& r) {
  const http::RequestHead& h = r.ex.head();
  if (h.method != "OPTIONS" || !h.has_header("access-control-request-method")) return false;
  if (r.response_headers.find("Access-Control-Allow-Origin") == std::string::npos) {
    respond_json(
        r, 403,
        route::error_body(r.route.flavor, route::ErrorClass::forbidden, "origin not allowed"));
    return true;
  }
  std::string extra = r.response_headers;
  extra += "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Max-Age: 600\r\n";
  std::string_view req_headers = h.header("access-control-request-headers");
  if (!req_headers.empty()) {
    extra += "Access-Control-Allow-Headers: ";
    extra += req_headers;
    extra += "\r\n";
  }
  r.ex.respond(204, {}, {}, extra);
  return true;
}

void Gateway::operational(Request& r) {
  switch (r.route.endpoint) {
    case route::Endpoint::healthz:
      return respond_json(r, 200, "{\"status\":\"ok\"}");
    case route::Endpoint::readyz:
      return respond_json(r, ledger_refusing() ? 503 : 200,
                          readyz_json(*cfg_, resilience_, state_->ledger,
                                      state_->limits ? &state_->limits->fleet : nullptr));
    case route::Endpoint::admin:
      return admin(r);
    case route::Endpoint::metrics:
      if (cfg_->admin.metrics_auth && !admin_authorized(r))
        return reject(r, route::ErrorClass::unauthorized, "admin key required for /metrics");
      return metrics_.scrape(r.ex, std::move(r.response_headers));
    case route::Endpoint::ui:
      return dashboard(r);
    default:
      return reject(r, route::ErrorClass::not_found, "not available in this version");
  }
}

// The page itself holds no data, so it is served without the key; everything it shows
// comes from the admin API with the key typed into it. The policy keeps it from loading
// anything from elsewhere.
void Gateway::dashboard(Request& r) {
  if (!r.route.subpath.empty() && r.route.subpath != "/")
    return reject(r, route::ErrorClass::not_found, "no such page");
  std::string extra = r.response_headers;
  extra +=
      "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; "
      "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; "
      "frame-ancestors 'none'\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  r.ex.respond(200, "text/html; charset=utf-8", std::string(admin::dashboard_html()), extra);
}

bool Gateway::admin_authorized(const Request& r) const {
  if (state_->admin_key.empty()) return false;
  const http::RequestHead& h = r.ex.head();
  std::string scratch;
  auth::PresentedKey k =
      auth::extract_key(std::span<const http::Header>(h.headers, h.header_count), {}, scratch);
  return k.source != auth::KeySource::none && auth::constant_time_equal(k.key, state_->admin_key);
}

void Gateway::admin(Request& r) {
  if (!admin_authorized(r))
    return reject(r, route::ErrorClass::unauthorized,
                  state_->admin_key.empty() ? "the admin API is off: set " + cfg_->admin.key_env
                                            : std::string("admin key required"));
  if (r.route.subpath == "/keys" || r.route.subpath.substr(0, 6) == "/keys/") return admin_keys(r);
  if (r.route.subpath == "/requests" || r.route.subpath.substr(0, 10) == "/requests/" ||
      r.route.subpath == "/latency")
    return admin_ledger_rows(r);
  if (r.route.subpath == "/usage" && r.ex.head().method == "GET") {
    admin::UsageQuery q =
        admin::parse_usage_query(r.ex.head().query, static_cast<int64_t>(core::wall_ms()));
    if (!q.error.empty()) return reject(r, route::ErrorClass::bad_request, q.error);
    if (!state_->ledger || !state_->admin_worker)
      return reject(r, route::ErrorClass::not_found, "no ledger");
    auto* pending = new PendingAdmin(r.ex, r.response_headers);
    // The shard may stop before the worker answers: post through the loop's inbox,
    // which outlives it and refuses posts once the loop is gone.
    std::shared_ptr<core::Inbox> inbox = io_.loop.inbox();
    ledger::Ledger* ledger = state_->ledger;
    state_->admin_worker->submit([pending, inbox, ledger, q = std::move(q)] {
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
    return;
  }
  if (r.route.subpath == "/breakers" && r.ex.head().method == "GET")
    return respond_json(r, 200,
                        readyz_json(*cfg_, resilience_, nullptr,
                                    state_->limits ? &state_->limits->fleet : nullptr));
  if (r.route.subpath == "/limits" && r.ex.head().method == "GET") {
    if (!state_->limits)
      return respond_json(r, 200, "{\"limits\":[],\"budgets\":[],\"queues\":{}}");
    return respond_json(
        r, 200, state_->limits->json(core::mono_ns(), static_cast<int64_t>(core::wall_ms())));
  }
  reject(r, route::ErrorClass::not_found, "no such admin endpoint");
}

bool Gateway::authenticate(Request& r) {
  if (!state_->keys_required) {
    if (!cfg_->allow_anonymous) {  // no key exists yet: fail closed (warned at start)
      reject(r, route::ErrorClass::unauthorized,
             "no virtual keys are configured on this gateway; ask its operator for one");
      return false;
    }
    // An open gateway (development): allowed by "allow_anonymous", warned at start.
    r.info.project = cfg_->projects.empty() ? "default" : cfg_->projects.front().name;
    return true;
  }
  const http::RequestHead& h = r.ex.head();
  // ?key= only where Gemini's SDKs and REST examples send it: elsewhere a key in the URL
  // would end up in every proxy's and server's logs.
  std::string_view query =
      r.route.flavor == route::ApiFlavor::gemini ? h.query : std::string_view{};
  auth::PresentedKey presented =
      auth::extract_key(std::span<const http::Header>(h.headers, h.header_count), query, scratch_);
  if (presented.source == auth::KeySource::none) {
    reject(r, route::ErrorClass::unauthorized, "missing API key");
    return false;
  }
  r.info.key = state_->keys->find(presented.key);
  if (r.info.key == nullptr) {
    reject(r, route::ErrorClass::unauthorized, "invalid API key");
    return false;
  }
  r.info.key_id = r.info.key->id;
  r.info.project = r.info.key->project;
  return true;
}

void Gateway::unified(Request& r) {
  if (r.route.endpoint == route::Endpoint::models)
    return respond_json(r, 200, router_.models_json(r.info.key));
  if (r.route.endpoint == route::Endpoint::model) {
    std::string body = router_.model_json(r.info.key, r.route.model);
    if (body.empty()) return reject(r, route::ErrorClass::not_found, "no such model");
    return respond_json(r, 200, std::move(body));
  }
  if (!is_json_content(r.ex.head().header("content-type")))
    return reject(r, route::ErrorClass::unsupported_media_type,
                  "the body must be JSON: send content-type: application/json");
  route::BodyInfo body;
  route::InspectResult ins = route::inspect_body(r.ex.body(), body);
  if (!ins.ok()) return reject(r, route::ErrorClass::bad_request, ins.message);
  // Gemini names the model in the path and asks for a stream by its method.
  bool gemini = r.route.endpoint == route::Endpoint::generate_content;
  if (gemini) {
    body.model = std::string(r.route.model);
    body.has_model = true;
    body.stream = r.route.stream;
  }
  if (!body.has_model) return reject(r, route::ErrorClass::bad_request, "`model` is required");
  if (body.model.size() > kMaxModelNameBytes) return reject_long_model(r);
  r.info.alias = body.model;
  r.info.stream = body.stream;
  r.info.input_chars = body.input_chars;
  r.info.max_output_tokens = body.has_max_output_tokens ? body.max_output_tokens * body.n : 0;
  route::TargetPick pick =
      router_.pick(body.model, resilience_.eligible_targets(*cfg_, cfg_->model(body.model)),
                   core::mono_ns() / 1000000);
  if (pick.error == route::PickError::unknown_model)
    return reject(r, route::ErrorClass::not_found, "unknown model alias: " + body.model);
  if (!route::ModelRouter::allows(r.info.key, body.model))
    return reject(r, route::ErrorClass::forbidden, "this key may not use model " + body.model);
  if (pick.error != route::PickError::none)
    return reject(r, route::ErrorClass::provider_degraded,
                  with_marker(cfg_->server.degraded_marker, "no target for " + body.model));
  if (r.route.endpoint == route::Endpoint::count_tokens &&
      pick.provider->kind != config::ProviderKind::anthropic)
    return estimate_count(r, body, *pick.provider);
  Upstream up;
  if (!prepare_upstream(r.route, r.ex, body, pick, body.model, up))
    return reject(r, up.error, up.message);
  r.info.provider = pick.provider->name;
  r.info.upstream_model = pick.target->model;
  // Anthropic needs max_tokens: a translated request without one asks for the alias's
  // default, and admission reserves for it.
  if (up.translation.on && up.translation.provider == route::ApiFlavor::anthropic &&
      !body.has_max_output_tokens)
    r.info.max_output_tokens = pick.model->default_max_tokens;
  if (!up.dropped.empty()) {
    r.response_headers += "x-sluice-dropped-params: ";
    r.response_headers += up.dropped;
    r.response_headers += "\r\n";
  }
  size_t provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  r.info.counted = pick.provider;  // counted in flight once dispatch takes it
  dispatch(r, provider, up.path, up.body, up.hide_usage_chunk, &up);
}

void Gateway::native(Request& r) {
  std::string_view requested = r.ex.head().header("x-sluice-provider");
  route::ProviderPick pick = router_.native_provider(r.route.provider, requested);
  switch (pick.error) {
    case route::ProviderError::none:
      break;
    case route::ProviderError::no_provider:
      return reject(r, route::ErrorClass::not_found, "no provider of this kind is configured");
    case route::ProviderError::unknown_provider:
      return reject(r, route::ErrorClass::not_found,
                    "x-sluice-provider names no configured provider");
    case route::ProviderError::wrong_kind:
      return reject(r, route::ErrorClass::bad_request,
                    "x-sluice-provider names a provider of another kind");
  }
  std::string_view model = r.route.model;
  route::BodyInfo body;
  // A JSON body is read as the provider will read it: one that policy cannot read the
  // same way (a "model" twice: sluice prices one, the provider obeys the other) is
  // refused, never forwarded unread. Other bodies (multipart uploads) are not JSON.
  bool inspected = false;
  std::string_view content_type = r.ex.head().header("content-type");
  if (!r.ex.body().empty() && !is_multipart_form(content_type)) {
    if (!is_json_content(content_type))
      return reject(r, route::ErrorClass::unsupported_media_type,
                    "a request body must be application/json (or multipart/form-data for "
                    "uploads)");
    route::InspectResult ins = route::inspect_body(r.ex.body(), body);
    if (!ins.ok()) return reject(r, route::ErrorClass::bad_request, ins.message);
    inspected = true;
  }
  if (inspected) {
    r.info.stream = body.stream;
    r.info.input_chars = body.input_chars;
    r.info.max_output_tokens = body.has_max_output_tokens ? body.max_output_tokens * body.n : 0;
  }
  if (model.empty() && inspected && body.has_model) model = body.model;
  if (model.size() > kMaxModelNameBytes) return reject_long_model(r);
  if (r.route.stream) r.info.stream = true;
  r.info.alias = std::string(model);
  r.info.upstream_model = std::string(model);
  r.info.provider = pick.provider->name;
  // A key limited to some models is limited on the native surface too: there the
  // provider's model names are the names it may use.
  const config::Key* key = r.info.key;
  if (key && !key->models.empty() && !route::ModelRouter::allows(key, model))
    return reject(r, route::ErrorClass::forbidden,
                  "this key may not use model " + std::string(model));
  size_t provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  // The native surface forwards the body as sent, except that an OpenAI stream is asked
  // for usage (and that extra chunk hidden again) so the request can be priced.
  if (inspected && body.stream && !body.include_usage && wants_usage_option(r.route)) {
    route::RewriteSpec spec;
    spec.request_usage = true;
    route::rewrite_body(r.ex.body(), body, spec, scratch_);
    return dispatch(r, provider, r.route.upstream_path, scratch_, true);
  }
  dispatch(r, provider, r.route.upstream_path, r.ex.body(), false);
}

// A model name goes into the ledger, the access log, spans and metrics: one of megabytes
// would be copied into each. No provider's model names come near this.
void Gateway::reject_long_model(Request& r) {
  reject(r, route::ErrorClass::bad_request,
         "model name longer than " + std::to_string(kMaxModelNameBytes) + " bytes");
}

// A project or key with a budget is never served at $0 on a request that may generate
// tokens: a price applies (the alias's, the alias targeting a native model, else the
// provider's default_price) or the request is refused. GET, HEAD and DELETE cost nothing.
bool Gateway::needs_price(const Request& r) const {
  std::string_view method = r.ex.head().method;
  if (method == "GET" || method == "HEAD" || method == "DELETE") return false;
  auto has_budget = [](const config::Budget& b) {
    return b.nusd_per_day > 0 || b.nusd_per_month > 0;
  };
  const config::Project* p = cfg_->project(r.info.project);
  return (p && has_budget(p->budget)) || (r.info.key && has_budget(r.info.key->budget));
}

// The prompt of a request whose project captures content (telemetry.otlp.capture_content,
// which a project's telemetry.capture_content overrides), read from the body sent upstream.
void Gateway::start_capture(RequestInfo& info, scan::ResponseApi api, std::string_view body) {
  const config::Project* p = cfg_->project(info.project);
  bool on = p && p->capture_content ? *p->capture_content : cfg_->telemetry.otlp.capture_content;
  if (!on) return;
  info.capture =
      std::make_shared<telemetry::ContentCapture>(api, cfg_->telemetry.otlp.max_content_bytes);
  info.capture->on_request(body);
}

void Gateway::dispatch(Request& r, size_t provider, std::string_view upstream_path,
                       std::string_view body, bool hide_usage_chunk, Upstream* prepared) {
  r.info.price = find_price(*cfg_, r.info);
  if (r.info.price == nullptr && needs_price(r))
    return reject(r, route::ErrorClass::forbidden,
                  "model " + (r.info.alias.empty() ? std::string("(none named)") : r.info.alias) +
                      " has no price and project " + r.info.project +
                      " has a budget: give the alias a price, or the provider a default_price");
  const config::Provider& p = cfg_->providers[provider];
  router_.started(r.info.counted);  // until on_exchange_end or on_not_dispatched
  UpstreamRequest req;
  req.origin = state_->origins[provider].get();
  req.head_method = r.ex.head().method == "HEAD";
  req.timeouts = p.timeouts;
  req.flavor = r.route.flavor;
  req.scan = true;
  req.api = response_api(r.route);
  req.hide_usage_chunk = hide_usage_chunk;
  bool client_query = true;
  if (prepared && prepared->translation.on) {
    req.translation = std::move(prepared->translation);
    req.api = scan_api_of(req.translation.provider);  // the scanner reads the provider's bytes
    client_query = false;
  }
  if (state_->spans &&
      (cfg_->telemetry.otlp.capture_content || cfg_->telemetry.otlp.some_project_captures))
    start_capture(r.info, req.api, body);
  req.provider = provider;
  req.provider_config = &p;
  req.resilience = &resilience_;
  const config::Model* model = cfg_->model(r.info.alias);
  if (model && r.route.kind == route::RouteKind::unified) req.fallbacks = model->fallbacks;
  req.bytes = build_upstream_request(r.ex.head(), *req.origin, p, upstream_path, body,
                                     state_->auth_lines[provider], r.info.request_id,
                                     r.ex.peer_address(), client_query);
  req.response_headers = std::move(r.response_headers);
  hold_snapshot(r.info);
  req.info = std::move(r.info);
  admission_.admit(r.ex, std::move(req));
}

void Gateway::respond_json(Request& r, int status, std::string body) {
  r.info.status = status;
  std::string extra = r.response_headers;
  r.ex.respond(status, "application/json", std::move(body), extra);
  if (r.route.kind != route::RouteKind::operational) {
    log_.record(r.info, io_.loop.now_ns(), 0, 0);
    metrics_.answered(r.info);
  }
}

void Gateway::reject(Request& r, route::ErrorClass error, std::string_view message) {
  r.info.status = route::http_status(error);
  r.info.error_class = route::error_class_name(error);
  std::string extra = "x-sluice-error-class: ";
  extra += route::error_class_name(error);
  extra += "\r\n";
  extra += r.response_headers;
  r.ex.respond(r.info.status, "application/json", route::error_body(r.route.flavor, error, message),
               extra);
  log_.record(r.info, io_.loop.now_ns(), 0, 0);
  metrics_.refused(r.info);
}

// settle: one ledger record, one access-log line and the metrics for every dispatched
// request.
void Gateway::on_exchange_end(ProxyExchange& p, const ExchangeResult& res) {
  RequestInfo& info = p.info();
  router_.ended(info.counted);
  const GatewayState& dispatched_under = release_snapshot(info);
  info.status = res.client_gone ? 499 : res.status;
  uint64_t now = core::mono_ns();
  log_.record(info, now, res.ttfb_ns, res.bytes_out);
  const config::Provider* provider = dispatched_under.config->provider(info.provider);
  ledger::Record rec = settle(info, res, p.scanner(), provider, now, io_.loop.now_ns());
  admission_.settle(info, rec);
  metrics_.exchange_ended(info, res, rec, now);
  if (ledger_) ledger_->submit(std::move(rec));
}

void Gateway::on_upstream_head(ProxyExchange& p, const http::ResponseHead& head) {
  admission_.feedback(p.info(), head);
  // Headroom: what the account says it has left, and a 429's pause.
  std::string_view remaining = head.header("x-ratelimit-remaining-requests");
  if (remaining.empty()) remaining = head.header("anthropic-ratelimit-requests-remaining");
  std::optional<uint64_t> pause;
  if (head.status == 429)
    pause = resilience::wait_hint_ms(head.header("retry-after"), head.header("retry-after-ms"),
                                     static_cast<int64_t>(core::wall_ms()));
  if (remaining.empty() && !pause) return;
  router_.observe(cfg_->provider(p.info().provider), limit::parse_count(remaining), pause,
                  core::mono_ns() / 1000000);
}

// Admission answered the request itself (it wrote the ledger row and log line).
void Gateway::on_not_dispatched(RequestInfo& info) {
  router_.ended(info.counted);
  release_snapshot(info);
  if (info.status == 429)
    metrics_.refused(info);
  else
    metrics_.answered(info);
}

void Gateway::on_queue_wait(const RequestInfo& info, uint64_t waited_ns) {
  metrics_.counters().observe_queue_wait(info.project, waited_ns);
}

}  // namespace sluice::relay
