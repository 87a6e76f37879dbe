// Provider rate-limit header values (durations, RFC 3339 dates, counts, retry-after) on
// arbitrary bytes. Beyond "no crash": a parsed duration printed back by format_duration
// parses again to within its precision, and a parsed date lies after year 0.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/limit/rate_headers.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::limit;
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  if (auto ns = parse_duration_ns(s)) {
    std::string printed = format_duration(*ns);
    auto again = parse_duration_ns(printed);
    check(again.has_value());
    // Below a minute the print keeps milliseconds (rounded up), beyond it seconds.
    const uint64_t tol = *ns >= 60'000'000'000ull ? 1'000'000'000ull : 1'000'000ull;
    // The difference, not a sum: near UINT64_MAX a sum would wrap.
    const uint64_t apart = *again > *ns ? *again - *ns : *ns - *again;
    check(apart <= tol);
  }
  if (auto ms = parse_rfc3339_ms(s)) check(*ms > -62167219200000 - 86400000);
  (void)parse_count(s);
  return 0;
}
