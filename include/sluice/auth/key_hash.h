#pragma once
// SHA-256 of virtual keys and constant-time comparison. sluice never stores a
// virtual key, only this digest (CONTRACT.md: "keys": [{"sha256": "<hex>"}]).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::auth {

using KeyDigest = std::array<uint8_t, 32>;

// SHA-256 of `data` (OpenSSL EVP). Never fails for in-memory input: an EVP failure
// means a broken OpenSSL install and aborts rather than let a key match by accident.
KeyDigest sha256(std::string_view data);

// Lowercase hex, 64 characters.
std::string to_hex(const KeyDigest& digest);
std::string sha256_hex(std::string_view data);

// Parses 64 hex digits (either case). False on any other input; `out` is then unspecified.
bool digest_from_hex(std::string_view hex, KeyDigest& out);

// Equal contents, compared with CRYPTO_memcmp so the time taken does not depend on
// where the first difference is. Lengths are not secret: different lengths return false
// at once.
bool constant_time_equal(std::string_view a, std::string_view b);
bool constant_time_equal(const KeyDigest& a, const KeyDigest& b);

// True when SHA-256(key) equals the digest written as `expected_hex`.
bool key_matches_hash(std::string_view key, std::string_view expected_hex);

}  // namespace sluice::auth
