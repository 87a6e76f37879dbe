#include "sluice/auth/key_hash.h"

// SHA-256 through OpenSSL's direct interface, not EVP: in OpenSSL 3.0 every
// EVP_DigestInit allocates the provider's context again (one heap allocation per
// request for the key's digest), and its dispatch costs more than hashing a short key.
// The direct interface is deprecated in 3.0 but kept, and hashes on the stack.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdlib>

namespace sluice::auth {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

KeyDigest sha256(std::string_view data) {
  static_assert(sizeof(KeyDigest) == SHA256_DIGEST_LENGTH);
  KeyDigest out{};
  SHA256_CTX ctx;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data.data(), data.size()) != 1 ||
      SHA256_Final(out.data(), &ctx) != 1) {
    std::abort();
  }
  return out;
}

std::string to_hex(const KeyDigest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '\0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

bool digest_from_hex(std::string_view hex, KeyDigest& out) {
  if (hex.size() != out.size() * 2) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constant_time_equal(const KeyDigest& a, const KeyDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool key_matches_hash(std::string_view key, std::string_view expected_hex) {
  KeyDigest expected;
  if (!digest_from_hex(expected_hex, expected)) return false;
  return constant_time_equal(sha256(key), expected);
}

}  // namespace sluice::auth
