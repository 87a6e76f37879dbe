#include "sluice/flow/gateway_metrics.h"

#include <algorithm>
#include <cstring>

#include "sluice/core/clock.h"
#include "sluice/flow/gateway.h"
#include "sluice/metrics/exposition.h"
#include "sluice/relay/settle.h"
#include "sluice/telemetry/genai_content.h"

namespace sluice::flow {
namespace {
// gen_ai.operation.name of a route; empty for what is not a model call.
std::string_view operation_name(std::string_view route) {
  if (route == "chat_completions" || route == "responses" || route == "anthropic" ||
      route == "openai")
    return "chat";
  if (route == "completions") return "text_completion";
  if (route == "embeddings") return "embeddings";
  if (route == "gemini") return "generate_content";
  return {};
}

// gen_ai.provider.name's well-known values.
std::string_view provider_name(config::ProviderKind kind) {
  switch (kind) {
    case config::ProviderKind::openai:
      return "openai";
    case config::ProviderKind::anthropic:
      return "anthropic";
    case config::ProviderKind::gemini:
      return "gcp.gemini";
  }
  return {};
}
}  // namespace

// A scrape waiting for the shards' snapshots; the client may leave meanwhile.
class GatewayMetrics::PendingScrape final : public net::ExchangeObserver {
 public:
  PendingScrape(net::Exchange& ex, std::string headers) : ex_(&ex), headers_(std::move(headers)) {
    ex.set_observer(this);
  }
  void on_client_gone() override { ex_ = nullptr; }
  void answer(std::string text) {
    if (ex_) ex_->respond(200, metrics::kExpositionContentType, std::move(text), headers_);
  }

 private:
  net::Exchange* ex_;
  std::string headers_;
};

GatewayMetrics::GatewayMetrics(const GatewayState& state, net::IoContext& io,
                               upstream::UpstreamPool& pool, unsigned shard)
    : state_(&state),
      io_(io),
      pool_(pool),
      shard_(shard),
      spans_(state.spans),
      rng_(state.id_seed ^ (uint64_t{shard} + 1) * 0x9e3779b97f4a7c15ull ^ core::mono_ns()) {
  learn_names(*state.config);
  if (state.metrics_hub) {
    state.metrics_hub->attach(shard, io.loop, [this](metrics::Snapshot& out) { collect(out); });
    attached_ = true;
  }
}

GatewayMetrics::~GatewayMetrics() { detach(); }

// The label values the config names. The model label takes no other value ("other"
// instead), so a client cannot grow the exposition with names of its choosing.
void GatewayMetrics::learn_names(const config::Config& cfg) {
  for (const config::Provider& p : cfg.providers) metrics_.add_known_value(p.name);
  for (const config::Model& m : cfg.models) {
    metrics_.add_known_value(m.alias);
    for (const config::Target& t : m.targets) metrics_.add_known_value(t.model);
  }
  for (const config::Project& p : cfg.projects) metrics_.add_known_value(p.name);
}

void GatewayMetrics::set_state(const GatewayState& state) {
  if (state.config != state_->config) learn_names(*state.config);
  state_ = &state;
}

void GatewayMetrics::detach() {
  if (attached_) state_->metrics_hub->detach(shard_);
  attached_ = false;
}

void GatewayMetrics::on_arrival(RequestInfo& info, const http::RequestHead& head) {
  if (!spans_) return;
  info.method = std::string(head.method);
  std::string_view tp = head.header("traceparent");
  info.has_trace = !tp.empty() && telemetry::parse_traceparent(tp, info.trace);
}

void GatewayMetrics::answered(const RequestInfo& info) {
  uint64_t now = core::mono_ns();
  metrics::RequestSample s;
  s.route = info.route;
  s.provider = info.provider;
  s.alias = info.alias;
  s.project = info.project;
  s.status = info.status;
  s.duration_ns = now - info.arrival_ns;
  metrics_.record_request(s);
  emit_span(info, nullptr, now);
}

void GatewayMetrics::refused(const RequestInfo& info) {
  answered(info);
  metrics_.count_refusal(info.error_class, info.project);
}

void GatewayMetrics::exchange_ended(const RequestInfo& info, const ExchangeResult& res,
                                    const ledger::Record& rec, uint64_t now_ns) {
  metrics::RequestSample s;
  s.route = info.route;
  s.provider = info.provider;
  s.alias = info.alias;
  s.project = info.project;
  s.status = info.status;
  s.duration_ns = now_ns - info.arrival_ns;
  s.proxied = true;
  s.stream = info.stream;
  s.ttft_ns = res.first_body_ns;
  s.overhead_ns = relay::gateway_overhead_ns(info, now_ns, io_.loop.now_ns());
  s.tokens[static_cast<size_t>(metrics::TokenKind::input)] = rec.input_tokens;
  s.tokens[static_cast<size_t>(metrics::TokenKind::output)] = rec.output_tokens;
  s.tokens[static_cast<size_t>(metrics::TokenKind::cached)] = rec.cached_tokens;
  s.tokens[static_cast<size_t>(metrics::TokenKind::reasoning)] = rec.reasoning_tokens;
  s.cost_nusd = rec.cost_nusd;
  metrics_.record_request(s);
  emit_span(info, &rec, now_ns);
}

uint64_t GatewayMetrics::random64() {
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void GatewayMetrics::emit_span(const RequestInfo& info, const ledger::Record* rec,
                               uint64_t now_ns) {
  if (!spans_) return;
  telemetry::SpanRecord s;
  auto fill = [this](uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
      uint64_t r = random64();
      std::memcpy(out + i, &r, std::min<size_t>(8, n - i));
    }
  };
  if (info.has_trace) {
    s.trace_id = info.trace.trace_id;
    s.parent_id = info.trace.parent_id;
    s.has_parent = true;
  } else {
    fill(s.trace_id.data(), s.trace_id.size());
  }
  fill(s.span_id.data(), s.span_id.size());
  s.end_unix_ns = core::wall_ns();
  s.start_unix_ns = s.end_unix_ns - std::min(s.end_unix_ns, now_ns - info.arrival_ns);
  s.operation = operation_name(info.route);
  if (const config::Provider* p = state_->config->provider(info.provider))
    s.provider_name = provider_name(p->kind);
  s.provider = info.provider;
  s.request_model = info.alias;
  s.response_model = info.upstream_model;
  s.route = info.route;
  s.method = info.method;
  s.project = info.project;
  s.key_id = info.key_id;
  s.request_id = rec ? rec->request_id : info.request_id;  // settle moved it into the record
  s.error_class = info.error_class;
  s.status = info.status;
  s.stream = info.stream;
  if (rec && (rec->input_tokens || rec->output_tokens)) {
    s.has_usage = true;
    s.input_tokens = rec->input_tokens;
    s.output_tokens = rec->output_tokens;
  }
  if (info.capture) {
    telemetry::CapturedContent c = info.capture->finish();
    s.system_instructions = std::move(c.system_instructions);
    s.input_messages = std::move(c.input_messages);
    s.output_messages = std::move(c.output_messages);
    s.content_truncated = c.truncated;
  }
  spans_->submit(shard_, std::move(s));
}

void GatewayMetrics::collect(metrics::Snapshot& out) const {
  metrics_.snapshot(out);
  const config::Config& cfg = *state_->config;
  for (size_t i = 0; i < cfg.providers.size() && i < state_->origins.size(); ++i) {
    const std::string& name = cfg.providers[i].name;
    upstream::UpstreamPool::OriginConnections c = pool_.connections(*state_->origins[i]);
    out.upstream_connections[{name, "idle"}] += c.idle;
    out.upstream_connections[{name, "active"}] += c.active;
    metrics::BreakerState b = breaker_view_ ? breaker_view_(i) : metrics::BreakerState::closed;
    auto [it, fresh] = out.breaker_state.emplace(metrics::Key<1>{name}, static_cast<int>(b));
    if (!fresh && static_cast<int>(b) > it->second) it->second = static_cast<int>(b);
  }
  out.connections[shard_] = server_ ? server_->open_connections : 0;
  out.connections_refused += server_ ? server_->refused_busy : 0;
}

metrics::ProcessFigures GatewayMetrics::process_figures() const {
  metrics::ProcessFigures f;
  if (const ledger::Ledger* l = state_->ledger) {
    f.ledger = true;
    f.ledger_rows_written = l->rows_written();
    f.ledger_overflowed = l->overflowed();
    f.ledger_dropped = l->dropped();
    const ledger::LedgerStats& st = l->stats();
    for (size_t i = 0; i < ledger::kFailureCauses; ++i) {
      f.ledger_write_errors.emplace_back(ledger::cause_name(static_cast<ledger::FailureCause>(i)),
                                         st.errors[i].load(std::memory_order_relaxed));
    }
    f.ledger_spooled = st.spooled.load(std::memory_order_relaxed);
    f.ledger_replayed = st.replayed.load(std::memory_order_relaxed);
    f.ledger_spool_backlog = st.spool_backlog.load(std::memory_order_relaxed);
    f.ledger_retention_deleted = st.retention_deleted.load(std::memory_order_relaxed);
    const std::string_view state = l->state();
    f.ledger_degraded = state == "ok" ? 0 : state == "spooling" ? 1 : 2;
  }
  f.access_log = state_->access_log_fd >= 0;
  f.access_log_dropped = relay::access_log_dropped();
  if (spans_) {
    f.otlp = true;
    f.spans_exported = spans_->exported();
    f.spans_dropped = spans_->dropped();
    f.export_failures = spans_->failures();
    f.export_retries = spans_->retries();
  }
  if (state_->limits && state_->limits->fleet.enabled) {
    const limit::FleetStatus& fl = state_->limits->fleet;
    f.fleet = true;
    f.fleet_redis_up = fl.redis_up.load();
    f.fleet_degraded = fl.degraded.load();
    f.fleet_round_trips = fl.round_trips.load();
    f.fleet_grants = fl.grants.load();
    f.fleet_granted_units = fl.granted_units.load();
    f.fleet_errors = fl.errors.load();
    f.fleet_units_held = fl.units_held.load();
  }
  return f;
}

void GatewayMetrics::scrape(net::Exchange& ex, std::string headers) {
  uint64_t id = ++next_scrape_;
  scrapes_.emplace(id, std::make_unique<PendingScrape>(ex, std::move(headers)));
  if (!attached_) {
    metrics::Snapshot s;
    collect(s);
    return deliver(id, std::move(s));
  }
  state_->metrics_hub->gather(shard_,
                              [this, id](metrics::Snapshot s) { deliver(id, std::move(s)); });
}

void GatewayMetrics::deliver(uint64_t id, metrics::Snapshot s) {
  auto it = scrapes_.find(id);
  if (it == scrapes_.end()) return;
  std::unique_ptr<PendingScrape> pending = std::move(it->second);
  scrapes_.erase(it);
  pending->answer(metrics::render(s, process_figures()));
}

}  // namespace sluice::flow
