#pragma once
// Where the load goes: the --url parsed and resolved once at start.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace sluice::load {

struct Target {
  bool tls = false;
  std::string host;  // as written, without brackets around an IPv6 literal
  uint16_t port = 0;
  std::string base_path;    // the URL's path without a trailing '/', "" for none
  std::string host_header;  // the Host header value: "host[:port]" as the URL wrote it
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
};

// Parses "http://host[:port][/prefix]" or "https://...". False with a message when the
// URL is malformed (no host, bad port, a query or fragment, another scheme).
bool parse_url(const std::string& url, Target& out, std::string& error);

// Resolves out.host (an IP literal or a DNS name; the first address wins) into addr.
bool resolve(Target& out, std::string& error);

}  // namespace sluice::load
