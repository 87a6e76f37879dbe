#pragma once
// The request as the provider sees it: the client's end-to-end headers, minus the
// client's own credentials (which never reach a provider), minus hop-by-hop headers
// (the fixed ones and every one the client's Connection header names), browser and
// proxy state (Cookie, Forwarded, X-Forwarded-For), the OpenAI organization and project
// selectors and gateway-internal headers; plus the provider's secret, the request id,
// `Accept-Encoding: identity` (usage is read from the body as it comes) and
// `X-Forwarded-For` with the client's address as sluice saw it.

#include <span>
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
// `key` parameter removed, unless `client_query` is false (a translated request: the
// client's query belongs to another API, and `path` carries any query the provider needs).
// `auth_line` is the provider secret's header line (or empty). `client_addr` is the
// peer's IP address (no X-Forwarded-For when empty).
std::string build_upstream_request(const http::RequestHead& head, const upstream::Origin& origin,
                                   const config::Provider& provider, std::string_view path,
                                   std::string_view body, std::string_view auth_line,
                                   std::string_view request_id, std::string_view client_addr,
                                   bool client_query = true);

// The hop-by-hop fields of RFC 9110 7.6.1 (and the obsolete Proxy-Connection): never
// forwarded in either direction. With ConnectionOptions, the one hop-by-hop rule.
bool hop_by_hop_header(std::string_view name);

// Whether a client header is dropped on the way upstream whatever the request.
bool dropped_request_header(std::string_view name);

// The fields a message's Connection header lines list: hop-by-hop for that message
// (RFC 9110 7.6.1), so never forwarded. Built once per message; the usual Connection
// values (none, keep-alive, close) list no field, and then names() is one test.
class ConnectionOptions {
 public:
  explicit ConnectionOptions(std::span<const http::Header> headers);
  bool names(std::string_view field) const;

 private:
  std::span<const http::Header> headers_;
  bool lists_fields_ = false;  // some Connection line lists more than keep-alive, close
};

}  // namespace sluice::relay
