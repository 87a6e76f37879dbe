#pragma once
// W3C Trace Context: the `traceparent` request header
//   version "-" trace-id "-" parent-id "-" trace-flags
//   00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
// Lowercase hex only; version ff, an all-zero trace-id and an all-zero parent-id are
// invalid. A version above 00 may carry more fields after a "-" (read as 00, as the
// specification asks); version 00 must be exactly 55 characters.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::telemetry {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

struct TraceParent {
  TraceId trace_id{};
  SpanId parent_id{};
  uint8_t flags = 0;
};

// True and fills `out` when `header` (surrounding spaces and tabs allowed) is valid.
bool parse_traceparent(std::string_view header, TraceParent& out);

// Lowercase hex of an id, as OTLP/JSON and traceparent write it.
void append_hex(std::string& out, const uint8_t* bytes, size_t n);

}  // namespace sluice::telemetry
