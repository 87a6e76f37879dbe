#pragma once
// The one event sluice appends when an upstream stream breaks after it began (the
// upstream dropped, stalled past the idle deadline, or broke its framing), in the
// stream format the client reads, so its SDK raises an error instead of taking a short
// answer for a whole one:
//   OpenAI chat / completions  data: {"error":{...}}            (as OpenAI itself does)
//   OpenAI Responses           event: error / data: {"type":"error",...}
//   Anthropic                  event: error / data: {"type":"error","error":{...}}
//   Gemini                     data: {"error":{"code","message","status"}}

#include <string>
#include <string_view>

#include "sluice/route/api_flavor.h"
#include "sluice/route/error_envelope.h"
#include "sluice/scan/usage_scanner.h"

namespace sluice::relay {

// The SSE bytes of the event, starting with a blank line that ends any event the
// upstream left half-written.
std::string final_error_event(scan::ResponseApi api, route::ErrorClass error,
                              std::string_view message);

}  // namespace sluice::relay
