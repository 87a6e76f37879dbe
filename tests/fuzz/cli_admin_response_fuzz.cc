// Fuzzes the command line's reading of an admin API answer: whatever bytes a peer
// sends, parse_admin_response returns a status with a body or an error, never both,
// and the body is never longer than the input. Each report renderer then takes the
// body without crashing, whatever JSON (or not) it holds.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sluice/cli/admin_client.h"
#include "sluice/cli/reports.h"

using namespace sluice::cli;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const AdminResponse r = parse_admin_response(raw);
  if (!r.error.empty()) {
    check(r.status == 0 && r.body.empty());
  } else {
    check(r.status >= 100 && r.status <= 599);
    check(r.body.size() <= raw.size());
  }
  // The renderers read untrusted JSON too: feed them the body, or the raw bytes.
  const std::string_view body = r.error.empty() ? std::string_view(r.body) : raw;
  for (bool csv : {false, true}) {
    render_usage(body, csv);
    render_keys(body, csv);
  }
  render_limits(body);
  render_breakers(body);
  render_key_created(body);
  render_key_revoked(body);
  error_message(body);
  return 0;
}
