#pragma once
// Writing JSON string literals: the one escaper for every body, log line and span sluice
// writes itself (error envelopes, the model list, the model name spliced into a request,
// access log lines, telemetry).

#include <string>
#include <string_view>

namespace sluice::core {

// Appends `s` as a quoted JSON string. Quote, backslash and control characters are
// escaped; bytes that are not well-formed UTF-8 (stray continuation bytes, overlong
// forms, surrogates, truncated sequences) become U+FFFD, so the result is valid JSON
// whatever `s` holds, e.g. a model name echoed from a client.
void append_json_string(std::string& out, std::string_view s);

// The same without the quotes: for writers that open and close the string themselves.
void append_json_chars(std::string& out, std::string_view s);

}  // namespace sluice::core
