#pragma once
// Finds the virtual key a client presented, wherever its SDK puts it.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/http/request_parser.h"

namespace sluice::auth {

enum class KeySource : uint8_t {
  none,            // no credential found
  bearer,          // Authorization: Bearer <key>   (OpenAI SDKs, curl)
  x_api_key,       // x-api-key: <key>              (Anthropic SDKs)
  x_goog_api_key,  // x-goog-api-key: <key>         (Google GenAI SDKs)
  query,           // ?key=<key>                    (Gemini REST examples)
};

struct PresentedKey {
  std::string_view key;  // empty when source == none
  KeySource source = KeySource::none;
};

// Precedence, first match wins: Authorization: Bearer, then x-api-key, then
// x-goog-api-key, then ?key=. Headers win over the query because a key in a URL also
// lands in proxy logs and browser history, so a client that sends both meant the
// header; Authorization comes first as the standard credential header (RFC 9110) that
// every HTTP tool and the OpenAI-compatible surface use. Within one source the first
// occurrence counts. Empty values and an Authorization header with another scheme
// (e.g. Basic) count as absent, so the search goes on to the next source. The Bearer
// scheme name is case-insensitive (RFC 9110 11.1); header names too.
//
// The result points into `headers`, `query` or, when the ?key= value had to be
// URL-decoded (%XX, '+' as space, as form encoders write it), into `scratch`.
PresentedKey extract_key(std::span<const http::Header> headers, std::string_view query,
                         std::string& scratch);

// The raw (still encoded) value of the first `name` parameter in a query string
// ("a=1&key=x"), or empty. `found` tells an empty value from a missing parameter.
std::string_view query_param(std::string_view query, std::string_view name, bool* found = nullptr);

// `query` without any `key` parameter, for forwarding a request upstream: the
// client's virtual key must never reach a provider.
std::string query_without_key(std::string_view query);

}  // namespace sluice::auth
