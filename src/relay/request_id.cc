#include "sluice/relay/request_id.h"

#include <cstdio>

namespace sluice::relay {

std::string sanitize_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return {};
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return {};
  }
  return std::string(id);
}

std::string RequestIdSource::next() {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "req-%08llx-%02x-%llx",
                   static_cast<unsigned long long>(seed_ & 0xffffffffull), shard_ & 0xff,
                   static_cast<unsigned long long>(++counter_));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace sluice::relay
