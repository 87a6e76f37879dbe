#include "sluice/relay/settle.h"

#include <algorithm>
#include <cmath>

#include "sluice/ledger/price.h"

namespace sluice::relay {

uint64_t estimate_tokens(uint64_t chars, const config::Provider* provider) {
  if (chars == 0) return 0;
  double cpt = provider && provider->chars_per_token > 0 ? provider->chars_per_token : 4.0;
  double t = std::ceil(static_cast<double>(chars) / cpt);
  return t >= 1e18 ? 1'000'000'000'000'000'000ull : static_cast<uint64_t>(t);
}

namespace {
uint32_t clamp32(uint64_t v) { return v > 0xffffffffull ? 0xffffffffu : static_cast<uint32_t>(v); }

ledger::Outcome outcome_of(const ExchangeResult& r, const scan::UsageScanner* scanner) {
  if (r.client_gone) return ledger::Outcome::client_cancelled;
  if (r.timed_out) return r.cut_off ? ledger::Outcome::cut_off : ledger::Outcome::timeout;
  if (r.cut_off) return ledger::Outcome::cut_off;
  if (r.status >= 500 || r.status == 429) return ledger::Outcome::upstream_error;
  if (scanner && scanner->outcome() == scan::StreamOutcome::error)
    return ledger::Outcome::cut_off;  // the provider ended the stream with an error event
  return ledger::Outcome::ok;
}
}  // namespace

const config::Price* find_price(const config::Config& cfg, const RequestInfo& info) {
  if (const config::Model* m = cfg.model(info.alias); m && m->price.set) return &m->price;
  for (const config::Model& m : cfg.models) {
    if (!m.price.set) continue;
    for (const config::Target& t : m.targets)
      if (t.provider == info.provider && t.model == info.upstream_model) return &m.price;
  }
  // A model no alias prices (the native surface): the provider's default, if any.
  if (const config::Provider* p = cfg.provider(info.provider); p && p->default_price.set)
    return &p->default_price;
  return nullptr;
}

uint64_t gateway_overhead_ns(const RequestInfo& info, uint64_t end_ns, uint64_t turn_ns) {
  const uint64_t total = end_ns > info.arrival_ns ? end_ns - info.arrival_ns : 0;
  const uint64_t before =
      info.dispatch_ns > info.arrival_ns ? info.dispatch_ns - info.arrival_ns : 0;
  const uint64_t overhead = before + (end_ns > turn_ns ? end_ns - turn_ns : 0);
  return overhead < total ? overhead : total;
}

ledger::Record settle(RequestInfo& info, const ExchangeResult& result,
                      const scan::UsageScanner* scanner, const config::Provider* provider,
                      uint64_t now_ns, uint64_t turn_ns) {
  ledger::Record rec;
  rec.request_id = std::move(info.request_id);
  rec.ts_ms = static_cast<int64_t>(info.ts_ms);
  rec.key_id = info.key_id;
  rec.project = info.project;
  rec.model = info.alias;
  rec.provider = info.provider;
  rec.upstream_model = info.upstream_model;
  rec.stream = info.stream;
  rec.status = static_cast<uint16_t>(result.client_gone ? 499 : result.status);
  rec.outcome = outcome_of(result, scanner);
  rec.attempts = result.attempts;
  rec.error_class = info.error_class;
  rec.upstream_request_id = std::move(info.upstream_request_id);
  rec.latency_ms = clamp32((now_ns - info.arrival_ns) / 1000000ull);
  rec.ttft_ms = result.ttfb_ns ? static_cast<int32_t>(result.ttfb_ns / 1000000ull) : -1;
  if (info.dispatch_ns != 0)
    rec.overhead_us = static_cast<int32_t>(
        std::min<uint64_t>(gateway_overhead_ns(info, now_ns, turn_ns) / 1000ull, 0x7fffffff));

  if (scanner && scanner->usage().found) {
    const scan::Usage& u = scanner->usage();
    rec.input_tokens = clamp32(u.input_tokens);
    rec.output_tokens = clamp32(u.output_tokens);
    rec.cached_tokens = clamp32(u.cached_tokens);
    rec.reasoning_tokens = clamp32(u.reasoning_tokens);
    rec.usage_source = ledger::UsageSource::provider;
  } else if (rec.outcome != ledger::Outcome::upstream_error &&
             (result.ttfb_ns != 0 || rec.outcome == ledger::Outcome::client_cancelled)) {
    // The request reached the provider and no usage came back: estimate what it cost.
    rec.input_tokens = clamp32(estimate_tokens(info.input_chars, provider));
    rec.output_tokens = clamp32(estimate_tokens(scanner ? scanner->output_chars() : 0, provider));
    rec.usage_source = ledger::UsageSource::estimated;
  }
  if (const auto* price = static_cast<const config::Price*>(info.price))
    rec.cost_nusd = ledger::cost_nusd(*price, rec);
  return rec;
}

}  // namespace sluice::relay
