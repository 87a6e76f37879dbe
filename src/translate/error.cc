// A provider's error answer in the client's envelope. The client's SDK raises its usual
// exception with the provider's own message; the status follows what the provider meant,
// except where passing it on would mislead the client (see status_for).

#include "ir.h"
#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"
#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

using route::ErrorClass;

// The provider's message and its own type word, from any of the three envelopes (and
// Gemini's JSON-array stream form, which wraps the error in an array).
void read_error(std::string_view body, std::string& message, std::string& type) {
  json::Document doc;
  std::string ignored;
  if (!json::parse(body, doc, ignored)) return;
  const json::Value* root = &doc;
  if (doc.IsArray() && !doc.Empty()) root = &doc[0];
  const json::Value* error = json::object(root, "error");
  if (error != nullptr) {
    message = std::string(json::string(error, "message"));
    type = std::string(json::string(error, "type"));
    if (type.empty()) type = std::string(json::string(error, "status"));
    if (type.empty()) type = std::string(json::string(error, "code"));
  } else if (const json::Value* s = json::member(root, "error"); json::is_string(s)) {
    message = std::string(json::string_of(s));  // {"error":"..."} from simple servers
  } else {
    message = std::string(json::string(root, "message"));
  }
}

// The error class and the status the client sees. A provider's 401 or 403 is about
// sluice's credentials, not the client's key, so the client gets 502 and the message.
ErrorClass class_for(int status, std::string_view type) {
  if (type == "insufficient_quota") return ErrorClass::budget_exceeded;
  if (type == "overloaded_error") return ErrorClass::provider_degraded;
  switch (status) {
    case 400:
    case 409:
    case 413:
    case 422:
      return ErrorClass::bad_request;
    case 404:
      return ErrorClass::not_found;
    case 405:
      return ErrorClass::method_not_allowed;
    case 415:
      return ErrorClass::unsupported_media_type;
    case 429:
      return ErrorClass::rate_limited;
    case 503:
    case 529:
      return ErrorClass::provider_degraded;
    case 408:
    case 504:
      return ErrorClass::upstream_timeout;
    default:
      break;
  }
  return status >= 400 && status < 500 && status != 401 && status != 403
             ? ErrorClass::bad_request
             : ErrorClass::upstream_error;
}

int status_for(int status, ErrorClass error) {
  if (status == 401 || status == 403) return 502;
  if (status == 529) return 503;  // Anthropic's "overloaded": not a status other SDKs know
  if (status >= 400 && status <= 599) return status;
  return route::http_status(error);
}

// The client's envelope, without the sluice_error_class marker: the error is the
// provider's, not sluice's.
void append_envelope(std::string& out, ApiFlavor client, ErrorClass error, int status,
                     std::string_view message) {
  const std::string_view type = route::error_type(client, error);
  switch (client) {
    case ApiFlavor::openai:
      out += R"({"error":{"message":)";
      core::append_json_string(out, message);
      out += R"(,"type":")";
      out.append(type);
      out += R"(","param":null,"code":null}})";
      break;
    case ApiFlavor::anthropic:
      out += R"({"type":"error","error":{"type":")";
      out.append(type);
      out += R"(","message":)";
      core::append_json_string(out, message);
      out += "}}";
      break;
    case ApiFlavor::gemini:
      out += R"({"error":{"code":)";
      core::append_uint(out, static_cast<uint64_t>(status));
      out += R"(,"message":)";
      core::append_json_string(out, message);
      out += R"(,"status":")";
      out.append(type);
      out += "\"}}";
      break;
  }
}

}  // namespace

ErrorOut translate_error(ApiFlavor provider, ApiFlavor client, int status, std::string_view body) {
  std::string message;
  std::string type;
  read_error(body, message, type);
  const ErrorClass error = class_for(status, type);
  ErrorOut out;
  out.status = status_for(status, error);
  std::string text = std::string(route::flavor_name(provider)) + " provider: ";
  if (message.empty()) {
    text += "HTTP " + std::to_string(status);
    if (!body.empty()) {
      text += ": ";
      text.append(body.substr(0, 200));  // the escaper makes any bytes safe
    }
  } else {
    text += message;
  }
  if (status == 401 || status == 403) {
    text = "the provider refused sluice's credentials (" + text + ")";
  }
  append_envelope(out.body, client, error, out.status, text);
  return out;
}

}  // namespace sluice::translate
