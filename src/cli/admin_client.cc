// The command line's HTTP client: plain HTTP/1.1, one request per connection. Blocking
// calls with poll() deadlines are enough here: one request at a time, off any shard.

#include "sluice/cli/admin_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "sluice/http/chunked_decoder.h"
#include "sluice/http/response_parser.h"

namespace sluice::cli {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

// A descriptor closed on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Non-blocking connect to one address, bounded by the deadline. 0 or an errno value.
int connect_one(const addrinfo* ai, Clock::time_point deadline, Fd& out) {
  Fd s;
  s.fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (s.fd < 0) return errno;
  if (::connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return errno;
    if (!wait_for(s.fd, POLLOUT, deadline)) return ETIMEDOUT;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    if (err != 0) return err;
  }
  std::swap(out.fd, s.fd);
  return 0;
}

std::string request_bytes(const AdminUrl& url, const AdminRequest& r) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string out = r.method + " " + url.prefix + r.target + " HTTP/1.1\r\n";
  out += "Host: " + host + ":" + std::to_string(url.port) + "\r\n";
  out += "User-Agent: sluice-cli/" SLUICE_VERSION "\r\n";
  out += "Accept: application/json\r\nConnection: close\r\n";
  if (!r.bearer.empty()) out += "Authorization: Bearer " + r.bearer + "\r\n";
  if (!r.body.empty() || r.method == "POST") {
    out += "Content-Type: application/json\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

}  // namespace

std::string parse_admin_url(std::string_view text, AdminUrl& out) {
  out = AdminUrl{};
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, 8) == "https://")
    return "https is not supported: the command line speaks plain HTTP to an admin listener "
           "(give an http:// URL, e.g. http://127.0.0.1:8080)";
  if (text.substr(0, kScheme.size()) != kScheme)
    return "the URL must start with http:// (e.g. http://127.0.0.1:8080)";
  text.remove_prefix(kScheme.size());
  if (text.find_first_of("?#") != std::string_view::npos)
    return "the URL may not have a query or fragment";
  size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = text.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    out.prefix = prefix;
  }
  if (authority.find('@') != std::string_view::npos)
    return "the URL may not carry credentials; the admin key comes from the environment";
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unbalanced '[' in the URL's host";
    out.host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected text after the URL's host";
      port = rest.substr(1);
      if (port.empty()) return "empty port in the URL";
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return "empty port in the URL";
    }
  }
  if (out.host.empty()) return "the URL has no host";
  if (!port.empty()) {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || port.size() > 5) return "the URL's port is not a number";
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return "the URL's port is out of range (1-65535)";
    out.port = static_cast<uint16_t>(value);
  }
  return {};
}

std::string to_string(const AdminUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return "http://" + host + ":" + std::to_string(url.port) + url.prefix;
}

AdminResponse parse_admin_response(std::string_view raw, bool request_was_head, size_t max_bytes) {
  AdminResponse out;
  if (raw.size() > max_bytes) {
    out.error = "the response is larger than " + std::to_string(max_bytes) + " bytes";
    return out;
  }
  if (raw.empty()) {
    out.error = "the gateway closed the connection without answering";
    return out;
  }
  auto head = std::make_unique<http::ResponseHead>();
  http::RequestParse parsed = http::parse_response_head(raw, request_was_head, kMaxHead, *head);
  if (parsed.status == http::ParseStatus::incomplete) {
    out.error = "the response ended inside its head";
    return out;
  }
  if (parsed.status == http::ParseStatus::error) {
    out.error = "the response is not valid HTTP/1.1";
    return out;
  }
  std::string_view rest = raw.substr(head->head_bytes);
  switch (head->body) {
    case http::ResponseBody::none:
      break;
    case http::ResponseBody::content_length:
      if (rest.size() < head->content_length) {
        out.error = "the response was cut short of its Content-Length";
        return out;
      }
      out.body.assign(rest.substr(0, head->content_length));
      break;
    case http::ResponseBody::until_close:
      out.body.assign(rest);
      break;
    case http::ResponseBody::chunked: {
      http::ChunkedDecoder decoder;
      for (;;) {
        http::ChunkStep step = decoder.step(rest);
        rest.remove_prefix(step.consumed);
        if (step.status == http::ChunkStatus::data) {
          out.body.append(step.data);
        } else if (step.status == http::ChunkStatus::done) {
          break;
        } else {
          out.body.clear();
          out.error = step.status == http::ChunkStatus::error
                          ? "the response's chunked body is malformed"
                          : "the response was cut short inside its chunked body";
          return out;
        }
      }
      break;
    }
  }
  out.status = head->status;
  return out;
}

AdminResponse send_admin_request(const AdminUrl& url, const AdminRequest& request) {
  AdminResponse out;
  const std::string where = "cannot reach the gateway at " + to_string(url) + ": ";
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(request.timeout_ms);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    out.error = where + ::gai_strerror(rc);
    return out;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  Fd sock;
  int err = EHOSTUNREACH;
  for (const addrinfo* ai = found; ai != nullptr && sock.fd < 0; ai = ai->ai_next)
    err = connect_one(ai, deadline, sock);
  if (sock.fd < 0) {
    out.error = where + std::strerror(err);
    return out;
  }

  const std::string bytes = request_bytes(url, request);
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(sock.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(sock.fd, POLLOUT, deadline)) {
        out.error = where + "timed out sending the request";
        return out;
      }
    } else {
      out.error = where + std::strerror(errno);
      return out;
    }
  }

  // Read to the server's close (Connection: close), with a cap so a stray peer cannot
  // make the command line hold unbounded memory.
  constexpr size_t kMaxResponse = 64u << 20;
  std::string raw;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      if (raw.size() > kMaxResponse) break;
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(sock.fd, POLLIN, deadline)) {
        out.error =
            where + "no complete answer within " + std::to_string(request.timeout_ms / 1000) + " s";
        return out;
      }
    } else if (errno == ECONNRESET && !raw.empty()) {
      break;  // a server may reset after its complete answer; parsing decides
    } else {
      out.error = where + std::strerror(errno);
      return out;
    }
  }
  out = parse_admin_response(raw, request.method == "HEAD", kMaxResponse);
  if (!out.error.empty()) out.error = "bad answer from " + to_string(url) + ": " + out.error;
  return out;
}

}  // namespace sluice::cli
