// The `admission` section: how the limiter runs (docs/LIMITS.md).
#include "sections.h"

namespace sluice::config::detail {

void read_admission(Issues& issues, const Node& node, const std::string& pointer, Admission& out) {
  Fields f(issues, node, pointer);
  // Below 1 ms the tick would cost more than it saves; above a second idle leases and
  // queued requests would wait too long.
  f.u32("tick_ms", out.tick_ms, 1, 1000);
  f.u32("default_max_output_tokens", out.default_max_output_tokens, 1);
}

}  // namespace sluice::config::detail
