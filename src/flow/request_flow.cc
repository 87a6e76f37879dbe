// One request through a shard, top to bottom (DESIGN.md, docs/ARCHITECTURE.md "The
// pipeline"):
//
//   route → screen → authenticate → inspect and pick a target → price → admit
//         → dispatch → relay (ProxyExchange) → settle
//
// Each stage returns what it decided; a refusal is a value that on_request answers in
// the client's API envelope. Operational and admin routes leave here for src/ops.
// Every ending — answered here, refused by a stage, refused by admission, a client
// that left the queue, a relayed exchange of any outcome — settles in settle(), the
// last function of this file.
#include <algorithm>
#include <span>

#include "sluice/auth/extract_key.h"
#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/core/recycle.h"
#include "sluice/flow/gateway.h"
#include "sluice/limit/rate_headers.h"
#include "sluice/relay/settle.h"
#include "sluice/relay/upstream_request.h"
#include "sluice/resilience/retry_after.h"
#include "sluice/route/error_envelope.h"
#include "sluice/route/inspect.h"
#include "sluice/route/rewrite.h"
#include "sluice/telemetry/genai_content.h"

namespace sluice::flow {
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

// Which response format to scan: by the API the request went to.
scan::ResponseApi response_api(const route::Route& r) {
  if (r.flavor != route::ApiFlavor::openai) return scan_api_of(r.flavor);
  if (r.endpoint == route::Endpoint::responses || r.upstream_path.substr(0, 10) == "/responses")
    return scan::ResponseApi::openai_responses;
  return scan::ResponseApi::openai_chat;
}

// OpenAI chat and completions streams report usage only when asked.
bool wants_usage_option(const route::Route& r) {
  if (r.flavor != route::ApiFlavor::openai) return false;
  return r.endpoint == route::Endpoint::chat_completions ||
         r.endpoint == route::Endpoint::completions || r.upstream_path == "/chat/completions" ||
         r.upstream_path == "/completions";
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}
}  // namespace

// ---- the path -------------------------------------------------------------------------

void Gateway::on_request(net::Exchange& ex) {
  // parse (the connection did) → route
  ClientRequest r = begin(ex, route::classify_route(ex.head().method, ex.head().path));
  if (std::optional<Refusal> no = screen(r)) return refuse(r, *no);
  if (preflight(r)) return;
  if (std::optional<Refusal> no = known_route(r)) return refuse(r, *no);
  if (r.route.kind == route::RouteKind::operational) {
    if (!ops_) return refuse(r, {route::ErrorClass::not_found, "no such endpoint"});
    return ops_->serve(r);
  }
  if (std::optional<Refusal> no = authenticate(r)) return refuse(r, *no);
  if (std::optional<Refusal> no = ledger_writable()) return refuse(r, *no);
  // inspect → pick a target → what goes upstream
  Upstream up;
  std::optional<Refusal> no =
      r.route.kind == route::RouteKind::unified ? target_unified(r, up) : target_native(r, up);
  if (no) return refuse(r, *no);
  if (up.answered) return;
  if (std::optional<Refusal> unpriced = priced(r)) return refuse(r, *unpriced);
  admit(ex, up, upstream_request(r, up));  // → dispatch → relay → settle
}

// Requests no stage should see: another site's host name, a route this listener does
// not serve. Browsers' CORS lines are added here, before any answer.
std::optional<Refusal> Gateway::screen(ClientRequest& r) {
  if (!host_allowed(r.route, r.ex.head().header("host")))
    return Refusal{route::ErrorClass::forbidden, "this host name is not served here"};
  if (!listener_serves(r)) return Refusal{route::ErrorClass::not_found, "no such endpoint"};
  if (!is_operational(r.route.endpoint)) cors_headers(r);  // not for browsers
  return std::nullopt;
}

// A path or method that names nothing (a preflight was answered before: it asks about
// a method it does not use).
std::optional<Refusal> Gateway::known_route(ClientRequest& r) {
  switch (r.route.kind) {
    case route::RouteKind::not_found:
      return Refusal{route::ErrorClass::not_found, "no such endpoint"};
    case route::RouteKind::method_not_allowed:
      append_header(r.response_headers, "Allow", r.route.allow);
      return Refusal{route::ErrorClass::method_not_allowed, "method not allowed on this path"};
    case route::RouteKind::bad_path:
      return Refusal{route::ErrorClass::bad_request, std::string(r.route.reason)};
    default:
      return std::nullopt;
  }
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
bool Gateway::listener_serves(const ClientRequest& r) const {
  bool operational = is_operational(r.route.endpoint);
  if (r.ex.on_admin_listener()) return operational;
  if (cfg_->admin.listen.empty() || !operational) return true;
  return r.route.endpoint == route::Endpoint::healthz;
}

void Gateway::cors_headers(ClientRequest& r) {
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
bool Gateway::preflight(ClientRequest& r) {
  const http::RequestHead& h = r.ex.head();
  if (is_operational(r.route.endpoint) || h.method != "OPTIONS" ||
      !h.has_header("access-control-request-method"))
    return false;
  if (r.response_headers.find("Access-Control-Allow-Origin") == std::string::npos) {
    respond_json(
        r, 403,
        route::error_body(r.route.flavor, route::ErrorClass::forbidden, "origin not allowed"));
    return true;
  }
  std::string extra = r.response_headers;
  extra += "Access-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Max-Age: 600\r\n";
  std::string_view req_headers = h.header("access-control-request-headers");
  if (!req_headers.empty()) append_header(extra, "Access-Control-Allow-Headers", req_headers);
  r.ex.respond(204, {}, {}, extra);
  return true;
}

// Who asks: the virtual key (header, or ?key= on Gemini routes) names the project.
std::optional<Refusal> Gateway::authenticate(ClientRequest& r) {
  if (!state_->keys_required) {
    if (!cfg_->allow_anonymous)  // no key exists yet: fail closed (warned at start)
      return Refusal{route::ErrorClass::unauthorized,
                     "no virtual keys are configured on this gateway; ask its operator for one"};
    // An open gateway (development): allowed by "allow_anonymous", warned at start.
    r.info.project = cfg_->projects.empty() ? "default" : cfg_->projects.front().name;
    return std::nullopt;
  }
  const http::RequestHead& h = r.ex.head();
  // ?key= only where Gemini's SDKs and REST examples send it: elsewhere a key in the URL
  // would end up in every proxy's and server's logs.
  std::string_view query =
      r.route.flavor == route::ApiFlavor::gemini ? h.query : std::string_view{};
  auth::PresentedKey presented =
      auth::extract_key(std::span<const http::Header>(h.headers, h.header_count), query, scratch_);
  if (presented.source == auth::KeySource::none)
    return Refusal{route::ErrorClass::unauthorized, "missing API key"};
  r.info.key = state_->keys->find(presented.key);
  if (r.info.key == nullptr) return Refusal{route::ErrorClass::unauthorized, "invalid API key"};
  r.info.key_id = r.info.key->id;
  r.info.project = r.info.key->project;
  return std::nullopt;
}

// on_ledger_failure "refuse": a request the books could not record is not served.
std::optional<Refusal> Gateway::ledger_writable() const {
  if (!ledger_refusing()) return std::nullopt;
  return Refusal{
      route::ErrorClass::provider_degraded,
      "the request ledger cannot write (on_ledger_failure is \"refuse\"); try again later"};
}

// The unified routes: the alias in the body (or a Gemini path) picks a target; the body
// goes to it in its provider's format.
std::optional<Refusal> Gateway::target_unified(ClientRequest& r, Upstream& up) {
  if (r.route.endpoint == route::Endpoint::models) {
    respond_json(r, 200, router_.models_json(r.info.key));
    up.answered = true;
    return std::nullopt;
  }
  if (r.route.endpoint == route::Endpoint::model) {
    std::string body = router_.model_json(r.info.key, r.route.model);
    if (body.empty()) return Refusal{route::ErrorClass::not_found, "no such model"};
    respond_json(r, 200, std::move(body));
    up.answered = true;
    return std::nullopt;
  }
  if (!is_json_content(r.ex.head().header("content-type")))
    return Refusal{route::ErrorClass::unsupported_media_type,
                   "the body must be JSON: send content-type: application/json"};
  route::BodyInfo body;
  route::InspectResult ins = route::inspect_body(r.ex.body(), body);
  if (!ins.ok()) return Refusal{route::ErrorClass::bad_request, std::string(ins.message)};
  // Gemini names the model in the path and asks for a stream by its method.
  if (r.route.endpoint == route::Endpoint::generate_content) {
    body.model = std::string(r.route.model);
    body.has_model = true;
    body.stream = r.route.stream;
  }
  if (!body.has_model) return Refusal{route::ErrorClass::bad_request, "`model` is required"};
  if (body.model.size() > kMaxModelNameBytes) return long_model();
  r.info.alias = body.model;
  r.info.stream = body.stream;
  r.info.input_chars = body.input_chars;
  r.info.max_output_tokens = body.has_max_output_tokens ? body.max_output_tokens * body.n : 0;
  route::TargetPick pick =
      router_.pick(body.model, resilience_.eligible_targets(*cfg_, cfg_->model(body.model)),
                   core::mono_ns() / 1000000);
  if (pick.error == route::PickError::unknown_model)
    return Refusal{route::ErrorClass::not_found, "unknown model alias: " + body.model};
  if (!route::ModelRouter::allows(r.info.key, body.model))
    return Refusal{route::ErrorClass::forbidden, "this key may not use model " + body.model};
  if (pick.error != route::PickError::none)
    return Refusal{route::ErrorClass::provider_degraded,
                   relay::with_marker(cfg_->server.degraded_marker, "no target for " + body.model)};
  if (r.route.endpoint == route::Endpoint::count_tokens &&
      pick.provider->kind != config::ProviderKind::anthropic) {
    estimate_count(r, body, *pick.provider);
    up.answered = true;
    return std::nullopt;
  }
  if (std::optional<Refusal> no = prepare_upstream(r.route, r.ex, body, pick, body.model, up))
    return no;
  r.info.provider = pick.provider->name;
  r.info.upstream_model = pick.target->model;
  // Anthropic needs max_tokens: a translated request without one asks for the alias's
  // default, and admission reserves for it.
  if (up.translation.on && up.translation.provider == route::ApiFlavor::anthropic &&
      !body.has_max_output_tokens)
    r.info.max_output_tokens = pick.model->default_max_tokens;
  if (!up.dropped.empty()) append_header(r.response_headers, "x-sluice-dropped-params", up.dropped);
  up.provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  r.info.counted = pick.provider;  // counted in flight once dispatch takes it
  return std::nullopt;
}

// The native routes: the provider's own API, body forwarded as sent.
std::optional<Refusal> Gateway::target_native(ClientRequest& r, Upstream& up) {
  std::string_view requested = r.ex.head().header("x-sluice-provider");
  route::ProviderPick pick = router_.native_provider(r.route.provider, requested);
  switch (pick.error) {
    case route::ProviderError::none:
      break;
    case route::ProviderError::no_provider:
      return Refusal{route::ErrorClass::not_found, "no provider of this kind is configured"};
    case route::ProviderError::unknown_provider:
      return Refusal{route::ErrorClass::not_found,
                     "x-sluice-provider names no configured provider"};
    case route::ProviderError::wrong_kind:
      return Refusal{route::ErrorClass::bad_request,
                     "x-sluice-provider names a provider of another kind"};
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
      return Refusal{route::ErrorClass::unsupported_media_type,
                     "a request body must be application/json (or multipart/form-data for "
                     "uploads)"};
    route::InspectResult ins = route::inspect_body(r.ex.body(), body);
    if (!ins.ok()) return Refusal{route::ErrorClass::bad_request, std::string(ins.message)};
    inspected = true;
  }
  if (inspected) {
    r.info.stream = body.stream;
    r.info.input_chars = body.input_chars;
    r.info.max_output_tokens = body.has_max_output_tokens ? body.max_output_tokens * body.n : 0;
  }
  if (model.empty() && inspected && body.has_model) model = body.model;
  if (model.size() > kMaxModelNameBytes) return long_model();
  if (r.route.stream) r.info.stream = true;
  r.info.alias = std::string(model);
  r.info.upstream_model = std::string(model);
  r.info.provider = pick.provider->name;
  // A key limited to some models is limited on the native surface too: there the
  // provider's model names are the names it may use.
  const config::Key* key = r.info.key;
  if (key && !key->models.empty() && !route::ModelRouter::allows(key, model))
    return Refusal{route::ErrorClass::forbidden,
                   "this key may not use model " + std::string(model)};
  up.provider = static_cast<size_t>(pick.provider - cfg_->providers.data());
  up.path = r.route.upstream_path;
  up.body = r.ex.body();
  // The native surface forwards the body as sent, except that an OpenAI stream is asked
  // for usage (and that extra chunk hidden again) so the request can be priced.
  if (inspected && body.stream && !body.include_usage && wants_usage_option(r.route)) {
    route::RewriteSpec spec;
    spec.request_usage = true;
    route::rewrite_body(r.ex.body(), body, spec, scratch_);
    up.body = scratch_;
    up.hide_usage_chunk = true;
  }
  return std::nullopt;
}

// A model name goes into the ledger, the access log, spans and metrics: one of megabytes
// would be copied into each. No provider's model names come near this.
Refusal Gateway::long_model() const {
  return {route::ErrorClass::bad_request,
          "model name longer than " + std::to_string(kMaxModelNameBytes) + " bytes"};
}

// A project or key with a budget is never served at $0 on a request that may generate
// tokens: a price applies (the alias's, the alias targeting a native model, else the
// provider's default_price) or the request is refused.
std::optional<Refusal> Gateway::priced(ClientRequest& r) {
  r.info.price = relay::find_price(*cfg_, r.info);
  if (r.info.price != nullptr || !needs_price(r)) return std::nullopt;
  return Refusal{route::ErrorClass::forbidden,
                 "model " + (r.info.alias.empty() ? std::string("(none named)") : r.info.alias) +
                     " has no price and project " + r.info.project +
                     " has a budget: give the alias a price, or the provider a default_price"};
}

// GET, HEAD and DELETE cost nothing; other methods need a price where a budget applies.
bool Gateway::needs_price(const ClientRequest& r) const {
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

// The upstream request, all but its bytes (which admit builds once admitted).
UpstreamRequest Gateway::upstream_request(ClientRequest& r, Upstream& up) {
  const config::Provider& p = cfg_->providers[up.provider];
  router_.started(r.info.counted);  // until settle
  UpstreamRequest req;
  req.origin = state_->origins[up.provider].get();
  req.head_method = r.ex.head().method == "HEAD";
  req.timeouts = p.timeouts;
  req.flavor = r.route.flavor;
  req.scan = true;
  req.api = response_api(r.route);
  req.hide_usage_chunk = up.hide_usage_chunk;
  if (up.translation.on) {
    req.translation = std::move(up.translation);
    req.api = scan_api_of(req.translation.provider);  // the scanner reads the provider's bytes
  }
  req.provider = up.provider;
  req.provider_config = &p;
  req.resilience = &resilience_;
  const config::Model* model = cfg_->model(r.info.alias);
  if (model && r.route.kind == route::RouteKind::unified) req.fallbacks = model->fallbacks;
  req.response_headers = std::move(r.response_headers);
  hold_snapshot(r.info);  // until settle
  req.info = std::move(r.info);
  return req;
}

// What goes on the wire, built once: every retry of the same target sends these bytes.
// `up` points into the exchange and the shard's scratch, so this runs before the
// request can wait in a queue.
void Gateway::upstream_bytes(const net::Exchange& ex, const Upstream& up, UpstreamRequest& req) {
  if (state_->spans &&
      (cfg_->telemetry.otlp.capture_content || cfg_->telemetry.otlp.some_project_captures))
    start_capture(req.info, req.api, up.body);
  // A translated request's query belongs to the client's API, not the provider's.
  req.bytes = relay::build_upstream_request(
      ex.head(), *req.origin, *req.provider_config, up.path, up.body,
      state_->auth_lines[up.provider], req.info.request_id, ex.peer_address(), !req.translation.on);
}

// Admit | Queue | Refuse. A refused request never builds its upstream bytes.
void Gateway::admit(net::Exchange& ex, const Upstream& up, UpstreamRequest&& req) {
  AdmitVerdict v = admission_.admit(req.info);
  switch (v.kind) {
    case AdmitVerdict::Kind::admitted:
      upstream_bytes(ex, up, req);
      return dispatch(ex, std::move(req));
    case AdmitVerdict::Kind::queue:
      upstream_bytes(ex, up, req);
      // The queue hands it back: admitted_from_queue, refused_from_queue, left_queue.
      if (admission_.enqueue(ex, std::move(req), v)) return;
      return refuse_admission(ex, req, v);  // the queue is full
    case AdmitVerdict::Kind::refused:
    case AdmitVerdict::Kind::fleet_down:
      return refuse_admission(ex, req, v);
  }
}

void Gateway::admitted_from_queue(net::Exchange& ex, UpstreamRequest&& req) {
  dispatch(ex, std::move(req));
}
void Gateway::refused_from_queue(net::Exchange& ex, UpstreamRequest& req,
                                 const limit::Decision& d) {
  refuse_admission(ex, req, {AdmitVerdict::Kind::refused, d, false});
}
void Gateway::left_queue(UpstreamRequest& req) {
  req.info.status = 499;
  settle(req.info, Ending::left_queue);
}
void Gateway::queue_waited(const RequestInfo& info, uint64_t waited_ns) {
  metrics_.counters().observe_queue_wait(info.project, waited_ns);
}

// dispatch → relay: the exchange takes a pooled connection and relays the answer; it
// reports its end to on_exchange_end.
void Gateway::dispatch(net::Exchange& ex, UpstreamRequest&& req) {
  admission_.add_rate_headers(req.info, req.response_headers);
  ProxyExchange::start(ex, pool_, std::move(req), this);
}

// A 429 (or the fleet's 503) in the client's envelope, with retry-after and the
// x-ratelimit-* lines of the limit that refused it.
void Gateway::refuse_admission(net::Exchange& ex, UpstreamRequest& req, const AdmitVerdict& v) {
  AdmitRefusal no = admission_.refusal(v, req.info);
  answer_error(ex, req.flavor, req.info, no.status, no.error, no.message, no.headers,
               req.response_headers);
  settle(req.info, Ending::not_admitted);
  core::recycle_string(std::move(req.response_headers));
}

// The relay stage's one report before its end: provider feedback from a response head
// (each try's), pacing the account and the router's headroom.
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

void Gateway::on_exchange_end(ProxyExchange& p, const ExchangeResult& res) {
  settle(p.info(), Ending::relayed, &res, p.scanner());
}

// ---- answers written here -------------------------------------------------------------

// Both end the request before dispatch, so its header lines go back to the shard for
// the next request, as an exchange's do when it ends.
void Gateway::respond_json(ClientRequest& r, int status, std::string body) {
  r.info.status = status;
  r.ex.respond(status, "application/json", std::move(body), r.response_headers);
  // Operational answers (probes, scrapes, admin reads) are no requests of the books.
  if (r.route.kind != route::RouteKind::operational) settle(r.info, Ending::answered);
  core::recycle_string(std::move(r.response_headers));
}

void Gateway::refuse(ClientRequest& r, const Refusal& no) {
  answer_error(r.ex, r.route.flavor, r.info, route::http_status(no.error), no.error, no.message, {},
               r.response_headers);
  settle(r.info, Ending::refused);
  core::recycle_string(std::move(r.response_headers));
}

void Gateway::answer_error(net::Exchange& ex, route::ApiFlavor flavor, RequestInfo& info,
                           int status, route::ErrorClass error, std::string_view message,
                           std::string_view lines, std::string_view response_headers) {
  info.status = status;
  info.error_class = route::error_class_name(error);
  std::string extra = "x-sluice-error-class: ";
  extra += info.error_class;
  extra += "\r\n";
  extra += lines;
  extra += response_headers;
  ex.respond(status, "application/json", route::error_body(flavor, error, message), extra);
}

// ---- settle ---------------------------------------------------------------------------

// Every ending of a request, once: its access-log line and metrics; from admission on,
// its ledger row, the router's in-flight count and the config snapshot it held; for a
// relayed exchange, its usage and cost, and the reservation trued up to them.
void Gateway::settle(RequestInfo& info, Ending how, const ExchangeResult* res,
                     const scan::UsageScanner* scanner) {
  uint64_t now = core::mono_ns();
  switch (how) {
    case Ending::answered:
      log_.record(info, io_.loop.now_ns(), 0, 0);
      return metrics_.answered(info);
    case Ending::refused:
      log_.record(info, io_.loop.now_ns(), 0, 0);
      return metrics_.refused(info);
    case Ending::not_admitted:
    case Ending::left_queue: {
      log_.record(info, now, 0, 0);
      router_.ended(info.counted);
      const GatewayState& held = release_snapshot(info);
      if (info.status == 429)
        metrics_.refused(info);
      else
        metrics_.answered(info);
      if (!ledger_) return;
      ExchangeResult none;
      none.status = info.status;
      ledger::Record rec =
          relay::settle(info, none, nullptr, held.config->provider(info.provider), now, now);
      rec.outcome =
          how == Ending::left_queue ? ledger::Outcome::client_cancelled : ledger::Outcome::rejected;
      rec.input_tokens = rec.output_tokens = 0;
      rec.cost_nusd = 0;
      ledger_->submit(std::move(rec));
      return;
    }
    case Ending::relayed: {
      router_.ended(info.counted);
      const GatewayState& held = release_snapshot(info);
      info.status = res->client_gone ? 499 : res->status;
      log_.record(info, now, res->ttfb_ns, res->bytes_out);
      const config::Provider* provider = held.config->provider(info.provider);
      ledger::Record rec = relay::settle(info, *res, scanner, provider, now, io_.loop.now_ns());
      admission_.settle(info, rec);
      metrics_.exchange_ended(info, *res, rec, now);
      if (ledger_) ledger_->submit(std::move(rec));
      return;
    }
  }
}

}  // namespace sluice::flow
