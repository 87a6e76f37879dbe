#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace sluice::testing {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

HttpClient::HttpClient(uint16_t port, std::string host) : host_(std::move(host)), port_(port) {}

HttpClient::~HttpClient() { close(); }

bool HttpClient::connect() {
  close();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) return false;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return false;
  }
  return true;
}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

bool HttpClient::send_raw(std::string_view bytes) {
  if (fd_ < 0 && !connect()) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

HttpResponse HttpClient::request(const HttpRequest& req, int timeout_ms) {
  std::string out = req.method + " " + req.target + " HTTP/1.1\r\n";
  bool has_host = false, has_length = false;
  for (const auto& [n, v] : req.headers) {
    has_host |= iequals(n, "host");
    has_length |= iequals(n, "content-length") || iequals(n, "transfer-encoding");
    out += n + ": " + v + "\r\n";
  }
  if (!has_host) out += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
  if (!has_length && (!req.body.empty() || req.method == "POST" || req.method == "PUT"))
    out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  out += "\r\n";
  out += req.body;
  if (!send_raw(out)) {
    HttpResponse r;
    r.closed = true;
    close();
    return r;
  }
  return read_response(timeout_ms, req.method == "HEAD");
}

HttpResponse HttpClient::get(std::string_view target, const HeaderList& headers, int timeout_ms) {
  HttpRequest req;
  req.target = std::string(target);
  req.headers = headers;
  return request(req, timeout_ms);
}

HttpResponse HttpClient::post(std::string_view target, std::string_view body,
                              const HeaderList& headers, int timeout_ms) {
  HttpRequest req;
  req.method = "POST";
  req.target = std::string(target);
  req.headers = headers;
  req.body = std::string(body);
  return request(req, timeout_ms);
}

HttpClient::Fill HttpClient::fill(int timeout_ms, HttpResponse& r) {
  if (fd_ < 0) {
    r.closed = true;
    return Fill::closed;
  }
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      r.timed_out = true;
      return Fill::timed_out;
    }
    break;
  }
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // orderly close, or a reset
      r.closed = true;
      return Fill::closed;
    }
    buf_.append(buf, static_cast<size_t>(n));
    ++r.reads;
    return Fill::data;
  }
}

HttpResponse HttpClient::read_response(int timeout_ms, bool head_request) {
  HttpResponse r;
  // Interim 1xx responses (100 Continue) come before the real one.
  do {
    r = HttpResponse{};
    if (!read_head(timeout_ms, r)) {
      close();
      return r;
    }
  } while (r.status >= 100 && r.status < 200);

  std::string te = r.header("transfer-encoding");
  std::string cl = r.header("content-length");
  if (head_request || r.status == 204 || r.status == 304) {
    r.complete = true;
  } else if (icontains(te, "chunked")) {
    r.chunked = true;
    read_chunked(timeout_ms, r);
  } else if (!cl.empty()) {
    read_length(std::strtoull(cl.c_str(), nullptr, 10), timeout_ms, r);
  } else {
    read_to_close(timeout_ms, r);
  }
  if (!r.complete || r.closed || r.timed_out || icontains(r.header("connection"), "close")) close();
  return r;
}

bool HttpClient::read_head(int timeout_ms, HttpResponse& r) {
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (fill(timeout_ms, r) != Fill::data) return false;
  }
  std::string_view head(buf_.data(), end);
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = status_line.find(' ', sp1 + 1);
  r.status = std::atoi(std::string(status_line.substr(sp1 + 1, sp2 - sp1 - 1)).c_str());
  if (sp2 != std::string_view::npos) r.reason = std::string(status_line.substr(sp2 + 1));
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                           std::string(trim(line.substr(colon + 1))));
  }
  buf_.erase(0, end + 4);
  return true;
}

void HttpClient::read_chunked(int timeout_ms, HttpResponse& r) {
  for (;;) {
    size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (fill(timeout_ms, r) != Fill::data) return;
    }
    std::string size_line = buf_.substr(0, eol);
    size_t semi = size_line.find(';');
    char* parsed_end = nullptr;
    size_t size = std::strtoull(size_line.substr(0, semi).c_str(), &parsed_end, 16);
    if (size_line.empty() || parsed_end == size_line.c_str()) return;  // malformed: not complete
    if (size == 0) {
      // Trailers, if any, end with an empty line.
      size_t after = eol + 2;
      for (;;) {
        if (buf_.compare(after, 2, "\r\n") == 0) {
          buf_.erase(0, after + 2);
          r.complete = true;
          return;
        }
        size_t trailer_end = buf_.find("\r\n\r\n", after);
        if (trailer_end != std::string::npos) {
          buf_.erase(0, trailer_end + 4);
          r.complete = true;
          return;
        }
        if (fill(timeout_ms, r) != Fill::data) return;
      }
    }
    while (buf_.size() < eol + 2 + size + 2) {
      if (fill(timeout_ms, r) != Fill::data) return;
    }
    std::string data = buf_.substr(eol + 2, size);
    if (buf_.compare(eol + 2 + size, 2, "\r\n") != 0) return;  // malformed
    r.body += data;
    r.chunks.push_back(std::move(data));
    buf_.erase(0, eol + 2 + size + 2);
  }
}

void HttpClient::read_length(size_t length, int timeout_ms, HttpResponse& r) {
  while (buf_.size() < length) {
    if (fill(timeout_ms, r) != Fill::data) {
      r.body = buf_;
      buf_.clear();
      return;
    }
  }
  r.body = buf_.substr(0, length);
  buf_.erase(0, length);
  r.complete = true;
}

void HttpClient::read_to_close(int timeout_ms, HttpResponse& r) {
  for (;;) {
    Fill f = fill(timeout_ms, r);
    if (f == Fill::data) continue;
    r.body = buf_;
    buf_.clear();
    r.complete = f == Fill::closed;
    return;
  }
}

bool HttpClient::wait_closed(int timeout_ms) {
  HttpResponse scratch;
  for (;;) {
    Fill f = fill(timeout_ms, scratch);
    buf_.clear();
    if (f == Fill::closed) {
      close();
      return true;
    }
    if (f == Fill::timed_out) return false;
  }
}

}  // namespace sluice::testing
