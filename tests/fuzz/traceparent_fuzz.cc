// The W3C traceparent parser on arbitrary header values. Beyond "no crash": an
// accepted header has non-zero ids, and writing it back as version 00 parses again to
// the same ids and flags.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/telemetry/traceparent.h"

namespace {

using namespace sluice::telemetry;

void check(bool ok) {
  if (!ok) std::abort();
}

template <size_t N>
bool zero(const std::array<uint8_t, N>& a) {
  for (uint8_t b : a)
    if (b) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  TraceParent tp;
  if (!parse_traceparent(header, tp)) return 0;
  check(!zero(tp.trace_id) && !zero(tp.parent_id));
  std::string again = "00-";
  append_hex(again, tp.trace_id.data(), tp.trace_id.size());
  again += '-';
  append_hex(again, tp.parent_id.data(), tp.parent_id.size());
  again += '-';
  append_hex(again, &tp.flags, 1);
  TraceParent back;
  check(parse_traceparent(again, back));
  check(back.trace_id == tp.trace_id && back.parent_id == tp.parent_id && back.flags == tp.flags);
  return 0;
}
