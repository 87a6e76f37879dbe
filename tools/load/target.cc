#include "target.h"

#include <netdb.h>

#include <charconv>
#include <cstring>
#include <string_view>

namespace sluice::load {

bool parse_url(const std::string& url, Target& out, std::string& error) {
  std::string_view u = url;
  if (u.substr(0, 7) == "http://") {
    out.tls = false;
    u.remove_prefix(7);
  } else if (u.substr(0, 8) == "https://") {
    out.tls = true;
    u.remove_prefix(8);
  } else {
    error = "URL '" + url + "' must start with http:// or https://";
    return false;
  }
  if (u.find_first_of("?#") != std::string_view::npos) {
    error = "URL '" + url + "' must not have a query or fragment: it is a base URL";
    return false;
  }
  size_t slash = u.find('/');
  std::string_view authority = u.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) {
    error = "URL '" + url + "': credentials in the URL are not supported; use --key";
    return false;
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "URL '" + url + "': unterminated IPv6 literal";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "URL '" + url + "': unexpected text after the IPv6 literal";
        return false;
      }
      port = rest.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "URL '" + url + "' has no host";
    return false;
  }
  out.port = out.tls ? 443 : 80;
  if (!port.empty() || authority.back() == ':') {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p == 0 ||
        p > 65535) {
      error = "URL '" + url + "': bad port '" + std::string(port) + "'";
      return false;
    }
    out.port = static_cast<uint16_t>(p);
  }
  out.host = std::string(host);
  out.host_header = std::string(authority);
  out.base_path = std::string(path);
  return true;
}

bool resolve(Target& out, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(out.port);
  int rc = getaddrinfo(out.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = "cannot resolve '" + out.host + "': " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.addr_len = static_cast<socklen_t>(res->ai_addrlen);
  freeaddrinfo(res);
  return true;
}

}  // namespace sluice::load
