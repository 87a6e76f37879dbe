#pragma once
// Splits a provider's base_url ("https://api.openai.com/v1") into what the upstream
// client needs to connect and to build request paths.

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::config {

struct BaseUrl {
  std::string scheme;     // "http" or "https", lowercase
  std::string host;       // lowercase name or address; IPv6 without brackets
  uint16_t port = 0;      // explicit, else 80 for http and 443 for https
  std::string base_path;  // "" or "/v1": starts with '/', no trailing '/'
};

// Accepts http(s)://HOST[:PORT][/PATH] with HOST a name, an IPv4 address or an IPv6
// address in brackets. Refuses credentials (user@), queries and fragments. Returns
// false and says why in `error` (e.g. "scheme must be http or https").
bool parse_base_url(std::string_view url, BaseUrl& out, std::string& error);

}  // namespace sluice::config
