#include "sluice/flow/gateway.h"

#include <algorithm>
#include <cstdlib>

#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/core/recycle.h"
#include "sluice/flow/state_publisher.h"
#include "sluice/upstream/provider_secret.h"

namespace sluice::flow {
namespace {
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
  if (out.access_log_fd == 2) out.access_log_fd = relay::open_access_log(cfg->server.access_log);
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
      admission_(state_->limits, *cfg_, io, shard, *this),
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

// What every request starts with: its id, route name and arrival, and the response
// headers every answer carries. Also the head check's (head_check.cc) start.
ClientRequest Gateway::begin(net::Exchange& ex, const route::Route& route) {
  ClientRequest r{ex, route, {}, {}};
  r.info.arrival_ns = ex.started_ns();
  r.info.ts_ms = core::wall_ms();
  r.info.request_id = relay::sanitize_request_id(ex.head().header("x-request-id"));
  if (r.info.request_id.empty()) r.info.request_id = ids_.next();
  r.info.route = endpoint_name(r.route);
  r.info.bytes_in = ex.body().size();
  metrics_.on_arrival(r.info, ex.head());
  // Room for every line a proxied answer adds (the id, rate limits, CORS), in the memory
  // of an earlier request's lines (the exchange gives them back when it ends).
  r.response_headers = core::take_string();
  r.response_headers.reserve(384);
  r.response_headers.append("x-request-id: ").append(r.info.request_id).append("\r\n");
  return r;
}

bool Gateway::ledger_refusing() const { return state_->ledger && state_->ledger->refusing(); }

}  // namespace sluice::flow
