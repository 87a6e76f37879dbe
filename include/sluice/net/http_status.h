#pragma once
#include <string>
#include <string_view>

namespace sluice::net {

// The reason phrase for a status code ("OK", "Bad Gateway", ...).
std::string_view reason_phrase(int status);
// {"error":{"message":..,"type":..,"code":..}}: the OpenAI-shaped envelope sluice uses
// before it knows which API the client speaks.
std::string error_body_json(std::string_view message, std::string_view code);

}  // namespace sluice::net
