#pragma once
#include <string>
#include <string_view>

namespace sluice::net {

// The reason phrase for a status code ("OK", "Bad Gateway", ...).
std::string_view reason_phrase(int status);
// {"error":{"message":..,"type":..,"code":..}}: the OpenAI-shaped envelope sluice uses
// before it knows which API the client speaks.
std::string error_body_json(std::string_view message, std::string_view code);
// Appends `s` to `out` as the inside of a JSON string.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace sluice::net
