#pragma once
// Provider secrets come from the environment or from files (systemd credentials),
// never from the config file, and never reach a log line.

#include <string>

#include "sluice/config/config.h"

namespace sluice::upstream {

struct SecretResult {
  std::string secret;  // empty: the provider needs none (local servers)
  std::string error;   // set when the named variable or file could not be read
};

// api_key_env: the variable's value (an unset or empty variable is an error);
// api_key_file: the file's content less one trailing line ending ("\n" or "\r\n"); a
// relative name is looked up in $CREDENTIALS_DIRECTORY first (systemd LoadCredential=),
// then relative to the working directory. A secret with a control character (CR, LF,
// NUL or any other C0 byte, or DEL) is an error: it would inject header lines.
// Setup time only.
SecretResult load_provider_secret(const config::Provider& p);

// The header line that carries `secret` for this provider kind: OpenAI
// "Authorization: Bearer", Anthropic "x-api-key", Gemini "x-goog-api-key".
std::string auth_header_line(config::ProviderKind kind, const std::string& secret);

}  // namespace sluice::upstream
