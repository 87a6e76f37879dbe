#pragma once
// One ledger row: what a request was, where it went, what it used and cost. Built by
// the shard at settlement and moved (never copied) into the shard's ledger queue; the
// writer thread turns it into one row of the `requests` table (CONTRACT.md "Ledger").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::ledger {

// How a request ended. Stored as its name (CONTRACT.md fixes the spelling).
enum class Outcome : uint8_t {
  ok,                // answered, fully relayed
  rejected,          // refused by sluice itself (limits, budget, auth after admission)
  upstream_error,    // the provider failed and no retry or fallback succeeded
  client_cancelled,  // the client hung up; the upstream request was cancelled
  cut_off,           // the upstream stream broke after bytes reached the client
  timeout,           // a deadline (first byte, idle, total) expired
};

// Where the token counts came from.
enum class UsageSource : uint8_t {
  provider,   // reported by the provider (usage chunk, usageMetadata, ...)
  estimated,  // estimated from sizes because the provider reported none
};

std::string_view to_text(Outcome outcome);
std::string_view to_text(UsageSource source);
std::optional<Outcome> parse_outcome(std::string_view text);
std::optional<UsageSource> parse_usage_source(std::string_view text);

// Token counts follow one convention whatever the provider (docs/LEDGER.md):
// input_tokens includes cached_tokens, output_tokens includes reasoning_tokens.
struct Record {
  std::string request_id;      // as sent in x-request-id
  int64_t ts_ms = 0;           // arrival, Unix milliseconds
  std::string key_id;          // virtual key id; empty if none was resolved
  std::string project;         // project of the key
  std::string model;           // alias the client asked for
  std::string provider;        // provider name of the last attempt; empty if none
  std::string upstream_model;  // model name sent upstream; empty if none
  bool stream = false;         // client asked for a stream
  uint16_t status = 0;         // HTTP status the client got
  Outcome outcome = Outcome::ok;
  uint32_t input_tokens = 0;      // prompt tokens, cached ones included
  uint32_t output_tokens = 0;     // completion tokens, reasoning ones included
  uint32_t cached_tokens = 0;     // subset of input_tokens read from the provider's cache
  uint32_t reasoning_tokens = 0;  // subset of output_tokens spent thinking
  UsageSource usage_source = UsageSource::provider;
  int64_t cost_nusd = 0;            // nano-USD, from the price table (price.h)
  uint32_t latency_ms = 0;          // arrival to last byte sent
  int32_t ttft_ms = -1;             // arrival to first byte sent; -1 (stored NULL): none sent
  uint16_t attempts = 0;            // upstream tries, fallbacks included; 0: never dispatched
  std::string error_class;          // x-sluice-error-class or the like; empty when none
  std::string upstream_request_id;  // the provider's request id (x-request-id, request-id)
  // Gateway overhead (gateway_metrics.h) in microseconds: below a millisecond on a
  // healthy gateway, so milliseconds would read 0. -1 (stored NULL): never dispatched.
  int32_t overhead_us = -1;
  // The fleet instance (config `fleet.instance`) that served the request, stamped by the
  // ledger writer; empty for a process without `fleet`. A fleet's budgets are rebuilt
  // from the rows of their own instance only (docs/FLEET.md "Budgets").
  std::string instance;
};

}  // namespace sluice::ledger
