#pragma once
// The admin API's JSON answers turned into what a person reads (tables) or a
// spreadsheet takes (CSV). Numbers are kept as the text the gateway sent, so money
// prints as the exact decimal it computed from integers.

#include <string>
#include <string_view>

#include "sluice/cli/table.h"

namespace sluice::cli {

// The printed text, or `error` when the body is not the shape the endpoint answers.
struct Rendered {
  std::string text;
  std::string error;
};

Rendered render_key_created(std::string_view body);      // POST /admin/keys (201)
Rendered render_key_revoked(std::string_view body);      // DELETE /admin/keys/ID (200)
Rendered render_keys(std::string_view body, bool csv);   // GET /admin/keys
Rendered render_usage(std::string_view body, bool csv);  // GET /admin/usage
Rendered render_limits(std::string_view body);           // GET /admin/limits
Rendered render_breakers(std::string_view body);         // GET /admin/breakers

// The message of an error answer: the envelope's error.message (OpenAI, Anthropic or
// Gemini form), else the body itself, shortened and on one line.
std::string error_message(std::string_view body);

}  // namespace sluice::cli
