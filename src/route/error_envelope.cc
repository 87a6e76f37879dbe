#include "sluice/route/error_envelope.h"

#include "sluice/route/json_string.h"

namespace sluice::route {
namespace {

struct ClassInfo {
  int status;
  std::string_view name;
  std::string_view openai;
  std::string_view anthropic;
  std::string_view gemini;
};

// Indexed by ErrorClass. Types follow each provider's documented taxonomy; where a
// provider has no exact match the nearest one that its SDK treats the same way is used
// (Anthropic reports its own spend limits as a 429 rate_limit_error, so does sluice).
constexpr ClassInfo kClasses[] = {
    {400, "bad_request", "invalid_request_error", "invalid_request_error", "INVALID_ARGUMENT"},
    {401, "unauthorized", "authentication_error", "authentication_error", "UNAUTHENTICATED"},
    {403, "forbidden", "permission_error", "permission_error", "PERMISSION_DENIED"},
    {404, "not_found", "invalid_request_error", "not_found_error", "NOT_FOUND"},
    {405, "method_not_allowed", "invalid_request_error", "invalid_request_error", "UNIMPLEMENTED"},
    {429, "rate_limited", "rate_limit_error", "rate_limit_error", "RESOURCE_EXHAUSTED"},
    {429, "budget_exceeded", "insufficient_quota", "rate_limit_error", "RESOURCE_EXHAUSTED"},
    {503, "provider_degraded", "server_error", "overloaded_error", "UNAVAILABLE"},
    {504, "upstream_timeout", "server_error", "timeout_error", "DEADLINE_EXCEEDED"},
    {502, "upstream_error", "server_error", "api_error", "UNAVAILABLE"},
    {415, "unsupported_media_type", "invalid_request_error", "invalid_request_error",
     "INVALID_ARGUMENT"},
};

const ClassInfo& info(ErrorClass error) { return kClasses[static_cast<size_t>(error)]; }

}  // namespace

int http_status(ErrorClass error) { return info(error).status; }

std::string_view error_class_name(ErrorClass error) { return info(error).name; }

std::string_view error_type(ApiFlavor flavor, ErrorClass error) {
  switch (flavor) {
    case ApiFlavor::anthropic:
      return info(error).anthropic;
    case ApiFlavor::gemini:
      return info(error).gemini;
    case ApiFlavor::openai:
      break;
  }
  return info(error).openai;
}

void append_error_body(std::string& out, ApiFlavor flavor, ErrorClass error,
                       std::string_view message) {
  const std::string_view type = error_type(flavor, error);
  const std::string_view name = error_class_name(error);
  switch (flavor) {
    case ApiFlavor::openai:
      out.append(R"({"error":{"message":)");
      append_json_string(out, message);
      out.append(R"(,"type":")").append(type);
      out.append(R"(","param":null,"code":")").append(name).append("\"");
      break;
    case ApiFlavor::anthropic:
      out.append(R"({"type":"error","error":{"type":")").append(type);
      out.append(R"(","message":)");
      append_json_string(out, message);
      break;
    case ApiFlavor::gemini:
      out.append(R"({"error":{"code":)").append(std::to_string(info(error).status));
      out.append(R"(,"message":)");
      append_json_string(out, message);
      out.append(R"(,"status":")").append(type).append("\"");
      break;
  }
  out.append(R"(,"sluice_error_class":")").append(name).append("\"}}");
}

std::string error_body(ApiFlavor flavor, ErrorClass error, std::string_view message) {
  std::string out;
  out.reserve(128 + message.size());
  append_error_body(out, flavor, error, message);
  return out;
}

}  // namespace sluice::route
