#include "sluice/relay/final_error_event.h"

#include "sluice/route/json_string.h"

namespace sluice::relay {

std::string final_error_event(scan::ResponseApi api, route::ErrorClass error,
                              std::string_view message) {
  std::string out = "\n\n";
  switch (api) {
    case scan::ResponseApi::openai_chat:
      out += "data: ";
      route::append_error_body(out, route::ApiFlavor::openai, error, message);
      break;
    case scan::ResponseApi::openai_responses:
      // The Responses stream's own error event (type, code, message, param).
      out += "event: error\ndata: {\"type\":\"error\",\"code\":\"";
      out += route::error_class_name(error);
      out += "\",\"message\":";
      route::append_json_string(out, message);
      out += ",\"param\":null}";
      break;
    case scan::ResponseApi::anthropic:
      out += "event: error\ndata: ";
      route::append_error_body(out, route::ApiFlavor::anthropic, error, message);
      break;
    case scan::ResponseApi::gemini:
      out += "data: ";
      route::append_error_body(out, route::ApiFlavor::gemini, error, message);
      break;
  }
  out += "\n\n";
  return out;
}

}  // namespace sluice::relay
