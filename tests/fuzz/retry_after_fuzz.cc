// retry-after / retry-after-ms values and HTTP-dates straight from the network
// (src/resilience/retry_after.cc): never crash, never read out of bounds, and every
// answer stays within the parser's documented range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sluice/resilience/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kMax = 365ull * 24 * 3600 * 1000;
  const int64_t now_ms = 1700000000000;
  if (auto v = sluice::resilience::parse_retry_after(in, now_ms); v && *v > kMax) std::abort();
  if (auto v = sluice::resilience::parse_retry_after_ms(in); v && *v > kMax) std::abort();
  if (auto d = sluice::resilience::parse_http_date(in)) {
    // Four-digit years only: the result lies between years 0 and 9999.
    if (*d < -62167219200 || *d > 253402300799) std::abort();
  }
  size_t half = size / 2;
  (void)sluice::resilience::wait_hint_ms(in.substr(0, half), in.substr(half), now_ms);
  return 0;
}
