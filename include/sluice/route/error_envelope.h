#pragma once
// Error bodies sluice writes itself, in the envelope of the API the client speaks, so
// each SDK raises its usual exception type with our message:
//   openai     {"error":{"message":M,"type":T,"param":null,"code":C,"sluice_error_class":C}}
//   anthropic  {"type":"error","error":{"type":T,"message":M,"sluice_error_class":C}}
//   gemini     {"error":{"code":S,"message":M,"status":T,"sluice_error_class":C}}
// C is the error class name, also sent as the `x-sluice-error-class` header; it is the
// marker that tells a gateway-made error from one the provider returned (whose body
// sluice relays unchanged). SDKs ignore the extra member.

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/route/api_flavor.h"

namespace sluice::route {

enum class ErrorClass : uint8_t {
  bad_request,             // 400  malformed body, missing model, ...
  unauthorized,            // 401  no key, or an unknown one
  forbidden,               // 403  key may not use this model / endpoint
  not_found,               // 404  unknown path or model alias
  method_not_allowed,      // 405  known path, wrong method
  rate_limited,            // 429  a request / token / concurrency limit
  budget_exceeded,         // 429  a USD budget (retrying soon will not help)
  provider_degraded,       // 503  breaker open: failing fast
  upstream_timeout,        // 504  provider did not answer in time
  upstream_error,          // 502  provider unreachable or answered garbage
  unsupported_media_type,  // 415  a body that is not JSON where JSON is required
};

int http_status(ErrorClass error);
// The `x-sluice-error-class` header value: the enumerator's name.
std::string_view error_class_name(ErrorClass error);
// The provider's own word for this kind of error: OpenAI `error.type`, Anthropic
// `error.type`, Gemini `error.status`.
std::string_view error_type(ApiFlavor flavor, ErrorClass error);

// The JSON body. `message` is escaped (and invalid UTF-8 replaced), so it may carry
// anything, e.g. a model name the client sent.
std::string error_body(ApiFlavor flavor, ErrorClass error, std::string_view message);
void append_error_body(std::string& out, ApiFlavor flavor, ErrorClass error,
                       std::string_view message);

}  // namespace sluice::route
