#pragma once
// How virtual keys are stored: the lowercase hex SHA-256 of the key as the client
// sends it. Used by the config loader for plaintext `key` entries and by keygen.

#include <string>
#include <string_view>

namespace sluice::config {

// Lowercase hex SHA-256 of `data` (64 characters), computed with OpenSSL's EVP API.
std::string sha256_hex(std::string_view data);

}  // namespace sluice::config
