#pragma once
// x-request-id: the client's when it sent a usable one, else a new one.

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::relay {

inline constexpr size_t kMaxRequestIdBytes = 128;

// The client's id when it is 1..128 bytes of [A-Za-z0-9._:-] (anything else could
// inject into logs or headers), else empty.
std::string sanitize_request_id(std::string_view client_id);

// A new id, unique per process: "req-" + 8 hex digits of the start time's seed,
// the shard index and a per-shard counter. No syscall, no lock.
class RequestIdSource {
 public:
  RequestIdSource(uint32_t shard, uint64_t seed) : shard_(shard), seed_(seed) {}
  std::string next();

 private:
  uint32_t shard_;
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace sluice::relay
