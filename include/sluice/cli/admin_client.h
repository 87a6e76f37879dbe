#pragma once
// A small blocking HTTP/1.1 client for the command line: one request per connection
// (`Connection: close`) to a running gateway's admin API over plain HTTP, normally on
// loopback. The response is read to the end and parsed with the gateway's own
// response-head parser and chunked decoder (src/http).

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::cli {

// Where the admin API is: from `--url http://HOST:PORT[/PREFIX]`, or from the config.
struct AdminUrl {
  std::string host;    // a name or an IP literal (IPv6 without brackets)
  uint16_t port = 80;  //
  std::string prefix;  // path before /admin/..., without a trailing '/'; usually empty
};

// Reads `http://host[:port][/prefix]`. Empty on success; otherwise why the URL is not
// usable (https, no host, bad port, a query or fragment).
std::string parse_admin_url(std::string_view text, AdminUrl& out);
// The URL printed back, for messages: "http://127.0.0.1:8080", "http://[::1]:9090".
std::string to_string(const AdminUrl& url);

struct AdminResponse {
  int status = 0;     // 0 when no response came (see `error`)
  std::string body;   // the decoded body (chunked coding removed)
  std::string error;  // non-empty: nothing usable came back, and why
};

// A complete response as read up to the server's close. Malformed heads, bad chunked
// coding, a body cut short of its Content-Length, or a response larger than `max_bytes`
// come back with `error` set.
AdminResponse parse_admin_response(std::string_view raw, bool request_was_head = false,
                                   size_t max_bytes = 64u << 20);

struct AdminRequest {
  std::string method = "GET";
  std::string target;  // path and query after the prefix, e.g. "/admin/usage?group_by=model"
  std::string body;    // sent with Content-Type: application/json when non-empty
  std::string bearer;  // the admin key
  int timeout_ms = 30000;
};

// Connects, sends, reads to the end. A socket-level failure (refused, no route, timeout)
// comes back as `error` naming the URL, e.g. "cannot reach the gateway at
// http://127.0.0.1:8080: Connection refused".
AdminResponse send_admin_request(const AdminUrl& url, const AdminRequest& request);

}  // namespace sluice::cli
