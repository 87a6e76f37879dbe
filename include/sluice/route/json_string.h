#pragma once
// Writing JSON string literals for the bodies sluice produces itself (error envelopes,
// the model list, the model name spliced into a request).

#include <string>
#include <string_view>

namespace sluice::route {

// Appends `s` as a quoted JSON string. Quote, backslash and control characters are
// escaped; bytes that are not well-formed UTF-8 (stray continuation bytes, overlong
// forms, surrogates, truncated sequences) become U+FFFD, so the result is valid JSON
// whatever `s` holds, e.g. a model name echoed from a client.
void append_json_string(std::string& out, std::string_view s);

}  // namespace sluice::route
