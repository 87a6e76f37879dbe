#pragma once
// Minting virtual keys (`sluice keygen --project NAME [--id ID]`, CONTRACT.md).

#include <string>
#include <string_view>

namespace sluice::auth {

inline constexpr std::string_view kKeyPrefix = "sk-sluice-";

struct GeneratedKey {
  std::string key;  // "sk-sluice-" + 43 base62 digits (32 random bytes)
  std::string id;   // as given, or "<project>-<first 8 hex of sha256>"
  std::string project;
  std::string sha256_hex;    // what the config stores
  std::string config_entry;  // {"id": ..., "project": ..., "sha256": ...}
};

// 32 bytes from RAND_bytes, written in base62 (fixed width, so every key has the same
// length). Setup code: throws std::runtime_error when the RNG fails and
// std::invalid_argument when `project` is empty or a name is not valid UTF-8.
GeneratedKey generate_key(std::string_view project, std::string_view id = {});

// Exactly what `sluice keygen` prints on stdout: two lines, the key and then the
// config entry, so a script can `read -r key; read -r entry`:
//   sk-sluice-3hZ...
//   {"id": "support-bot", "project": "customer-support", "sha256": "9f86d0..."}
// The key is printed this once; sluice keeps only its SHA-256.
std::string keygen_output(std::string_view project, std::string_view id = {});

// Base62 of a big-endian byte string, zero-padded to the width the byte count needs
// (43 digits for 32 bytes). Exposed for tests.
std::string base62(std::string_view bytes);

}  // namespace sluice::auth
