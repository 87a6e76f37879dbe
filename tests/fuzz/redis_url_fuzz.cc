// `fleet.redis` addresses (src/config/fleet_section.cc): never crash; an accepted one
// names exactly one of a host with a port, or an absolute socket path.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sluice::config::Fleet f;
  std::string why;
  if (sluice::config::parse_redis_url(in, f, why)) {
    bool tcp = !f.host.empty() && f.port != 0 && f.unix_path.empty();
    bool unix_socket = f.host.empty() && !f.unix_path.empty() && f.unix_path[0] == '/';
    if (tcp == unix_socket) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  return 0;
}
