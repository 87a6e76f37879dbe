#include "sluice/relay/request_id.h"

#include <cstdio>

#include "sluice/core/append_number.h"

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
  // req-SSSSSSSS-HH-C: the seed's low 32 bits and the shard as fixed-width hex.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req-";
  id.reserve(32);
  uint64_t seed = seed_ & 0xffffffffull;
  for (int shift = 28; shift >= 0; shift -= 4) id += kHex[(seed >> shift) & 0xf];
  id += '-';
  id += kHex[(shard_ >> 4) & 0xf];
  id += kHex[shard_ & 0xf];
  id += '-';
  core::append_hex(id, ++counter_);
  return id;
}

}  // namespace sluice::relay
