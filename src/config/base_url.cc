#include "sluice/config/base_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace sluice::config {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool host_char(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; }

bool parse_port(std::string_view digits, uint16_t& out) {
  if (digits.empty() || digits.size() > 5) return false;
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return false;
  out = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

bool parse_base_url(std::string_view url, BaseUrl& out, std::string& error) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      error = "must not contain spaces or control characters";
      return false;
    }
  }
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    error = "expected http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]";
    return false;
  }
  BaseUrl result;
  result.scheme = lower(url.substr(0, sep));
  if (result.scheme != "http" && result.scheme != "https") {
    error = "scheme must be http or https";
    return false;
  }
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    error = "must not contain a query or fragment";
    return false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    error = "must not contain credentials (user@host); use api_key_env or api_key_file";
    return false;
  }
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "IPv6 address has no closing ']'";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "expected ':PORT' after the IPv6 address";
        return false;
      }
      has_port = true;
      port = after.substr(1);
    }
    in6_addr addr{};
    std::string literal(host);
    if (inet_pton(AF_INET6, literal.c_str(), &addr) != 1) {
      error = "invalid IPv6 address";
      return false;
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos &&
        authority.find(':', colon + 1) != std::string_view::npos) {
      error = "IPv6 address must be in brackets, e.g. http://[::1]:8000";
      return false;
    }
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (!std::all_of(host.begin(), host.end(), [](char c) { return host_char(c); })) {
      error = "invalid character in host";
      return false;
    }
  }
  if (host.empty()) {
    error = "has no host";
    return false;
  }
  result.host = lower(host);
  if (has_port) {
    if (!parse_port(port, result.port)) {
      error = "port must be between 1 and 65535";
      return false;
    }
  } else {
    result.port = result.scheme == "https" ? 443 : 80;
  }
  if (path.find('\\') != std::string_view::npos) {
    error = "invalid character '\\' in path";
    return false;
  }
  // Request paths are appended to base_path, so its trailing '/' would double up.
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  result.base_path = std::string(path);
  out = std::move(result);
  return true;
}

}  // namespace sluice::config
