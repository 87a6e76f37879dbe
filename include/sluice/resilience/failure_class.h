#pragma once
// What went wrong with one upstream try, in words that decide what happens next:
// whether to retry the same provider, whether the provider's breaker counts it, and
// whether a fallback alias may take over. The name of the class is what the ledger
// records in `error_class` (docs/RESILIENCE.md has the table).

#include <cstdint>
#include <string_view>

#include "sluice/config/config.h"

namespace sluice::resilience {

enum class FailureClass : uint8_t {
  none,                // not a failure: relay the answer as it is
  connect_failed,      // TCP connect refused or unreachable
  connection_reset,    // the connection broke before a response head arrived
  tls_failed,          // TLS handshake failed (certificates, protocol)
  timeout,             // connect, first byte, idle gap or total deadline expired
  server_error,        // 5xx other than the ones below
  overloaded,          // Anthropic 529 overloaded_error (and 503 "overloaded")
  rate_limited,        // 429 that passes: wait, or go elsewhere
  quota_exhausted,     // OpenAI insufficient_quota: retrying will not help
  resource_exhausted,  // Gemini 429 RESOURCE_EXHAUSTED
  bad_response,        // unparseable head or body framing from the upstream
  breaker_open,        // not tried: the provider's breaker is open
  client_error,        // other 4xx: the request itself is wrong; relayed, never retried
};

std::string_view failure_class_name(FailureClass c);

// What a class drives (docs/RESILIENCE.md).
struct FailurePolicy {
  bool retry;     // the same provider may be tried again after a backoff
  bool breaker;   // counts as a failure of the provider account
  bool fallback;  // a fallback alias may take over once retries are done
};
FailurePolicy policy_of(FailureClass c);

// Classifies a complete upstream response by its status and (small, buffered) body.
// `body` may be empty or cut short; it is only searched for the provider's error code.
FailureClass classify_response(config::ProviderKind kind, int status, std::string_view body);

// Whether a response head with this status may be a retryable failure, so the exchange
// holds it (and its body) instead of relaying it at once.
bool may_retry_status(int status);

}  // namespace sluice::resilience
