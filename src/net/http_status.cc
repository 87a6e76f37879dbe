#include "sluice/net/http_status.h"

#include "sluice/core/json_string.h"

namespace sluice::net {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 529:
      return "Site Overloaded";
    default:
      return "Unknown";
  }
}

std::string error_body_json(std::string_view message, std::string_view code) {
  std::string out = "{\"error\":{\"message\":\"";
  core::append_json_chars(out, message);
  out += "\",\"type\":\"";
  out += code == "bad_request" ? "invalid_request_error" : "api_error";
  out += "\",\"code\":\"";
  core::append_json_chars(out, code);
  out += "\"}}";
  return out;
}

}  // namespace sluice::net
