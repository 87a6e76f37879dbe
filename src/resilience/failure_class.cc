#include "sluice/resilience/failure_class.h"

namespace sluice::resilience {
namespace {

bool contains(std::string_view body, std::string_view what) {
  return body.find(what) != std::string_view::npos;
}

}  // namespace

std::string_view failure_class_name(FailureClass c) {
  switch (c) {
    case FailureClass::none:
      return "";
    case FailureClass::connect_failed:
      return "connect_failed";
    case FailureClass::connection_reset:
      return "connection_reset";
    case FailureClass::tls_failed:
      return "tls_failed";
    case FailureClass::timeout:
      return "upstream_timeout";
    case FailureClass::server_error:
      return "server_error";
    case FailureClass::overloaded:
      return "overloaded";
    case FailureClass::rate_limited:
      return "upstream_rate_limited";
    case FailureClass::quota_exhausted:
      return "quota_exhausted";
    case FailureClass::resource_exhausted:
      return "resource_exhausted";
    case FailureClass::bad_response:
      return "bad_response";
    case FailureClass::breaker_open:
      return "provider_degraded";
    case FailureClass::client_error:
      return "client_error";
  }
  return "";
}

FailurePolicy policy_of(FailureClass c) {
  switch (c) {
    case FailureClass::none:
    case FailureClass::client_error:
      return {false, false, false};
    case FailureClass::connect_failed:
    case FailureClass::connection_reset:
    case FailureClass::tls_failed:
    case FailureClass::timeout:
    case FailureClass::server_error:
    case FailureClass::overloaded:
    case FailureClass::bad_response:
      return {true, true, true};
    // A rate limit says nothing about the provider's health: no breaker count.
    case FailureClass::rate_limited:
    case FailureClass::resource_exhausted:
      return {true, false, true};
    // An exhausted quota stays exhausted: go elsewhere at once.
    case FailureClass::quota_exhausted:
      return {false, false, true};
    case FailureClass::breaker_open:
      return {false, false, true};
  }
  return {false, false, false};
}

bool may_retry_status(int status) { return status == 408 || status == 429 || status >= 500; }

FailureClass classify_response(config::ProviderKind kind, int status, std::string_view body) {
  if (status < 400) return FailureClass::none;
  if (status == 429) {
    switch (kind) {
      case config::ProviderKind::openai:
        // OpenAI answers an empty balance with a 429 too (openai error.code).
        return contains(body, "insufficient_quota") ? FailureClass::quota_exhausted
                                                    : FailureClass::rate_limited;
      case config::ProviderKind::gemini:
        return FailureClass::resource_exhausted;
      case config::ProviderKind::anthropic:
        return FailureClass::rate_limited;
    }
  }
  if (status == 529) return FailureClass::overloaded;
  if (kind == config::ProviderKind::anthropic && contains(body, "overloaded_error"))
    return FailureClass::overloaded;
  if (status == 408) return FailureClass::timeout;
  if (status >= 500) return FailureClass::server_error;
  return FailureClass::client_error;
}

}  // namespace sluice::resilience
