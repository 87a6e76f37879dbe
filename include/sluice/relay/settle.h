#pragma once
// Settlement: what a finished exchange used and cost, as one ledger record. Usage comes
// from the scanner when the provider reported it; otherwise (a stream cut before its
// usage chunk, a client that hung up) it is estimated from the prompt and from the
// text relayed so far, and marked so.

#include "sluice/config/config.h"
#include "sluice/ledger/record.h"
#include "sluice/relay/proxy_exchange.h"

namespace sluice::relay {

// The price for a request: the alias's, or for native requests the alias whose target
// is this provider and upstream model. Null when none is configured.
const config::Price* find_price(const config::Config& cfg, const RequestInfo& info);

// Tokens in `chars` characters of text at the provider's characters per token (4 when
// the provider is unknown or names none): the one estimate behind reservations and
// behind usage that no provider reported.
uint64_t estimate_tokens(uint64_t chars, const config::Provider* provider);

// Gateway overhead of a dispatched request as gateway_metrics.h defines it, at the end
// of its exchange (`end_ns`, a real reading) in the loop turn that began at `turn_ns`;
// never more than end_ns - arrival. The metrics and the ledger both read it from here.
uint64_t gateway_overhead_ns(const RequestInfo& info, uint64_t end_ns, uint64_t turn_ns);

// The request is over: its id and the provider's move into the record (the one copy the
// ledger needs, not a second); read them before this, as the access log does.
// `turn_ns`: the start of the loop turn the exchange ended in (its overhead_us; unused
// when the request was never dispatched).
ledger::Record settle(RequestInfo& info, const ExchangeResult& result,
                      const scan::UsageScanner* scanner, const config::Provider* provider,
                      uint64_t now_ns, uint64_t turn_ns);

}  // namespace sluice::relay
