#include "sluice/relay/upstream_request.h"

#include "sluice/auth/extract_key.h"

namespace sluice::relay {

bool dropped_request_header(std::string_view name) {
  static constexpr std::string_view kDrop[] = {
      // hop-by-hop (RFC 9110 7.6.1) and framing we set ourselves
      "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "content-length", "te", "trailer", "upgrade", "expect",
      // the client's credentials: replaced by the provider's
      "authorization", "x-api-key", "x-goog-api-key", "proxy-authorization",
      // sluice asks for identity: the usage scanner reads the body as sent
      "accept-encoding",
      // gateway-internal
      "x-sluice-provider", "x-request-id"};
  for (std::string_view d : kDrop)
    if (http::iequals(name, d)) return true;
  return false;
}

std::string build_upstream_request(const http::RequestHead& h, const upstream::Origin& origin,
                                   const config::Provider& provider, std::string_view path,
                                   std::string_view body, std::string_view auth_line,
                                   std::string_view request_id) {
  std::string out;
  out.reserve(320 + h.head_bytes + body.size());
  out.append(h.method);
  out += ' ';
  out += provider.base_path;
  out.append(path);
  if (provider.base_path.empty() && path.empty()) out += '/';
  if (!h.query.empty()) {
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
  for (size_t i = 0; i < h.header_count; ++i) {
    const http::Header& hd = h.headers[i];
    if (dropped_request_header(hd.name)) continue;
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
  if (!body.empty() || h.body != http::BodyKind::none) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out.append(body);
  return out;
}

}  // namespace sluice::relay
