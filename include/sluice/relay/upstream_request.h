#pragma once
// The request as the provider sees it: the client's end-to-end headers, minus the
// client's own credentials (which never reach a provider) and minus hop-by-hop and
// gateway-internal headers, plus the provider's secret, the request id and
// `Accept-Encoding: identity` (usage is read from the body as it comes).

#include <string>
#include <string_view>

#include "sluice/config/config.h"
#include "sluice/http/request_parser.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::relay {

// Anthropic rejects requests without a version; the client's is passed through, this
// one is added only when it sent none.
inline constexpr std::string_view kDefaultAnthropicVersion = "2023-06-01";

// `path` is appended to the provider's base path; the client's query follows with any
// `key` parameter removed. `auth_line` is the provider secret's header line (or empty).
std::string build_upstream_request(const http::RequestHead& head, const upstream::Origin& origin,
                                   const config::Provider& provider, std::string_view path,
                                   std::string_view body, std::string_view auth_line,
                                   std::string_view request_id);

// Whether a client header is dropped on the way upstream.
bool dropped_request_header(std::string_view name);

}  // namespace sluice::relay
