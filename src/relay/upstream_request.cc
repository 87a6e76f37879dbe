#include "sluice/relay/upstream_request.h"

#include "sluice/auth/extract_key.h"
#include "sluice/core/append_number.h"
#include "sluice/core/recycle.h"

namespace sluice::relay {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool hop_by_hop_header(std::string_view name) {
  static constexpr std::string_view kHop[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "te",         "trailer",    "upgrade"};
  for (std::string_view d : kHop)
    if (http::iequals(name, d)) return true;
  return false;
}

bool dropped_request_header(std::string_view name) {
  if (hop_by_hop_header(name)) return true;
  static constexpr std::string_view kDrop[] = {
      // framing and routing we set ourselves
      "host", "content-length", "expect",
      // the client's credentials: replaced by the provider's
      "authorization", "x-api-key", "x-goog-api-key", "proxy-authorization",
      // browser state and proxy claims a client must not make for the gateway
      "cookie", "forwarded", "x-forwarded-for",
      // the account's organization and project are the operator's choice, not a tenant's
      "openai-organization", "openai-project",
      // sluice asks for identity: the usage scanner reads the body as sent
      "accept-encoding",
      // gateway-internal
      "x-sluice-provider", "x-request-id"};
  for (std::string_view d : kDrop)
    if (http::iequals(name, d)) return true;
  return false;
}

namespace {

// Calls fn(token) for each element of a Connection value, until fn returns true.
template <typename Fn>
bool any_token(std::string_view list, Fn fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (fn(trim(list.substr(0, comma)))) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

ConnectionOptions::ConnectionOptions(std::span<const http::Header> headers) : headers_(headers) {
  for (const http::Header& hd : headers)
    if (http::iequals(hd.name, "connection") && any_token(hd.value, [](std::string_view t) {
          return !t.empty() && !http::iequals(t, "keep-alive") && !http::iequals(t, "close");
        }))
      lists_fields_ = true;
}

bool ConnectionOptions::names(std::string_view field) const {
  if (!lists_fields_) return false;
  for (const http::Header& hd : headers_)
    if (http::iequals(hd.name, "connection") &&
        any_token(hd.value, [field](std::string_view t) { return http::iequals(t, field); }))
      return true;
  return false;
}

std::string build_upstream_request(const http::RequestHead& h, const upstream::Origin& origin,
                                   const config::Provider& provider, std::string_view path,
                                   std::string_view body, std::string_view auth_line,
                                   std::string_view request_id, std::string_view client_addr,
                                   bool client_query) {
  std::string out = core::take_string();  // the memory of an earlier request's bytes
  out.reserve(320 + h.head_bytes + body.size());
  out.append(h.method);
  out += ' ';
  out += provider.base_path;
  out.append(path);
  if (provider.base_path.empty() && path.empty()) out += '/';
  if (client_query && !h.query.empty()) {
    std::string q = auth::query_without_key(h.query);
    if (!q.empty()) {
      out += '?';
      out += q;
    }
  }
  out += " HTTP/1.1\r\nHost: ";
  out += origin.host_header;
  out += "\r\n";
  bool has_version = false;
  std::span<const http::Header> headers(h.headers, h.header_count);
  ConnectionOptions hop(headers);
  for (const http::Header& hd : headers) {
    if (dropped_request_header(hd.name) || hop.names(hd.name)) continue;
    if (http::iequals(hd.name, "anthropic-version")) has_version = true;
    out.append(hd.name);
    out += ": ";
    out.append(hd.value);
    out += "\r\n";
  }
  if (provider.kind == config::ProviderKind::anthropic && !has_version) {
    out += "anthropic-version: ";
    out += kDefaultAnthropicVersion;
    out += "\r\n";
  }
  out.append(auth_line);
  out += "x-request-id: ";
  out.append(request_id);
  out += "\r\nAccept-Encoding: identity\r\n";
  if (!client_addr.empty()) {
    out += "X-Forwarded-For: ";
    out.append(client_addr);
    out += "\r\n";
  }
  if (!body.empty() || h.body != http::BodyKind::none) {
    out += "Content-Length: ";
    core::append_uint(out, body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out.append(body);
  return out;
}

}  // namespace sluice::relay
