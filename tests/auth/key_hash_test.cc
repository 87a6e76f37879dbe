#include "sluice/auth/key_hash.h"

#include <gtest/gtest.h>

namespace sluice::auth {
namespace {

// FIPS 180-2 test vector.
constexpr std::string_view kAbcHex =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(KeyHash, Sha256HexOfKnownVector) { EXPECT_EQ(sha256_hex("abc"), kAbcHex); }

TEST(KeyHash, Sha256OfEmptyInput) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(KeyHash, DigestRoundTripsThroughHex) {
  KeyDigest d;
  ASSERT_TRUE(digest_from_hex(kAbcHex, d));
  EXPECT_EQ(to_hex(d), kAbcHex);
}

TEST(KeyHash, DigestFromHexAcceptsUpperCase) {
  KeyDigest lower;
  KeyDigest upper;
  ASSERT_TRUE(digest_from_hex(kAbcHex, lower));
  ASSERT_TRUE(
      digest_from_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", upper));
  EXPECT_EQ(lower, upper);
}

TEST(KeyHash, DigestFromHexRejectsWrongLength) {
  KeyDigest d;
  EXPECT_FALSE(digest_from_hex(kAbcHex.substr(1), d));
  EXPECT_FALSE(digest_from_hex(std::string(kAbcHex) + "0", d));
  EXPECT_FALSE(digest_from_hex("", d));
}

TEST(KeyHash, DigestFromHexRejectsNonHexDigits) {
  std::string bad(kAbcHex);
  bad[10] = 'g';
  KeyDigest d;
  EXPECT_FALSE(digest_from_hex(bad, d));
}

TEST(KeyHash, ConstantTimeEqualComparesContents) {
  EXPECT_TRUE(constant_time_equal(std::string_view("secret"), std::string_view("secret")));
  EXPECT_FALSE(constant_time_equal(std::string_view("secret"), std::string_view("secreT")));
}

TEST(KeyHash, ConstantTimeEqualDifferentLengthsIsFalse) {
  EXPECT_FALSE(constant_time_equal(std::string_view("secret"), std::string_view("secret2")));
}

TEST(KeyHash, ConstantTimeEqualDigests) {
  EXPECT_TRUE(constant_time_equal(sha256("a"), sha256("a")));
  EXPECT_FALSE(constant_time_equal(sha256("a"), sha256("b")));
}

TEST(KeyHash, KeyMatchesItsHash) { EXPECT_TRUE(key_matches_hash("abc", kAbcHex)); }

TEST(KeyHash, OtherKeyDoesNotMatchHash) { EXPECT_FALSE(key_matches_hash("abd", kAbcHex)); }

TEST(KeyHash, MalformedHashMatchesNothing) {
  EXPECT_FALSE(key_matches_hash("abc", "not-a-hash"));
  EXPECT_FALSE(key_matches_hash("", ""));
}

}  // namespace
}  // namespace sluice::auth
