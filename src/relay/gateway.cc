#include "sluice/relay/gateway.h"

#include "sluice/net/http_status.h"

namespace sluice::relay {
namespace {
bool dropped_request_header(std::string_view name) {
  static constexpr std::string_view kDrop[] = {
      "host",    "connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "content-length", "te", "trailer", "upgrade", "expect"};
  for (std::string_view d : kDrop)
    if (http::iequals(name, d)) return true;
  return false;
}
}  // namespace

std::string build_upstream_request(const net::Exchange& ex, const upstream::Origin& origin,
                                   std::string_view path) {
  const http::RequestHead& h = ex.head();
  std::string out;
  out.reserve(256 + h.head_bytes + ex.body().size());
  out.append(h.method);
  out += ' ';
  out.append(path);
  if (!h.query.empty()) {
    out += '?';
    out.append(h.query);
  }
  out += " HTTP/1.1\r\nHost: ";
  out += origin.host_header;
  out += "\r\n";
  for (size_t i = 0; i < h.header_count; ++i) {
    if (dropped_request_header(h.headers[i].name)) continue;
    out.append(h.headers[i].name);
    out += ": ";
    out.append(h.headers[i].value);
    out += "\r\n";
  }
  if (!ex.body().empty() || h.body != http::BodyKind::none) {
    out += "Content-Length: ";
    out += std::to_string(ex.body().size());
    out += "\r\n";
  }
  out += "\r\n";
  out.append(ex.body());
  return out;
}

Gateway::Gateway(const config::Config& cfg, const std::vector<upstream::Origin>& origins,
                 net::IoContext& io)
    : cfg_(cfg), origins_(origins), pool_(io) {}

void Gateway::on_request(net::Exchange& ex) {
  ++requests_;
  std::string_view path = ex.head().path;
  // route
  if (path == "/healthz") {
    ex.respond(200, "application/json", "{\"status\":\"ok\"}");
    return;
  }
  if (cfg_.providers.empty()) {
    ex.respond(404, "application/json", net::error_body_json("no provider configured", "not_found"),
               "x-sluice-error-class: bad_request\r\n");
    return;
  }
  // The unified API's /v1/... maps onto the provider's base path.
  std::string_view rest = path.substr(0, 3) == "/v1" ? path.substr(3) : path;
  dispatch(ex, 0, rest);
}

void Gateway::dispatch(net::Exchange& ex, size_t provider, std::string_view rest) {
  const config::Provider& p = cfg_.providers[provider];
  std::string upstream_path = p.base_path;
  upstream_path.append(rest);
  if (upstream_path.empty()) upstream_path = "/";
  UpstreamRequest req;
  req.origin = &origins_[provider];
  req.bytes = build_upstream_request(ex, origins_[provider], upstream_path);
  req.head_method = ex.head().method == "HEAD";
  req.timeouts = p.timeouts;
  ProxyExchange::start(ex, pool_, std::move(req), this);
}

void Gateway::on_exchange_end(ProxyExchange&, const ExchangeResult&) {}

}  // namespace sluice::relay
