// GET /admin/requests and /admin/latency query strings on arbitrary bytes. Beyond "no
// crash": an accepted query is within the ranges the SQL side relies on (a page size it
// allows, an HTTP status or none, a window that does not run backwards, a bucket count
// under the cap); a refused one says why.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/admin/request_params.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
constexpr int64_t kNow = 1'795'305'600'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  sluice::admin::RequestsParams r = sluice::admin::parse_requests_params(query, kNow);
  if (r.error.empty()) {
    check(r.query.limit >= 1 && r.query.limit <= sluice::ledger::kMaxRequestPage);
    check(r.query.filter.status == 0 ||
          (r.query.filter.status >= 100 && r.query.filter.status <= 599));
    check(r.query.filter.from_ms <= r.query.filter.to_ms);
    check(!r.query.before || (r.query.before->ts_ms >= 0 && !r.query.before->key.empty() &&
                              r.query.before->key.size() <= sluice::ledger::kMaxCursorKeyBytes &&
                              r.query.before->key.find_first_of(":'\" %") == std::string::npos));
  }
  sluice::admin::LatencyParams l = sluice::admin::parse_latency_params(query, kNow);
  if (l.error.empty()) {
    check(l.query.bucket_ms >= 1000);
    check(l.query.from_ms <= l.query.to_ms);
    check((l.query.to_ms - l.query.from_ms) / l.query.bucket_ms <
          sluice::ledger::kMaxLatencyBuckets);
  }
  return 0;
}
