#include "sluice/auth/keygen.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <stdexcept>

#include "sluice/auth/key_hash.h"

namespace sluice::auth {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

TEST(Keygen, KeyHasPrefixAndFixedLength) {
  GeneratedKey k = generate_key("support");
  EXPECT_EQ(k.key.substr(0, kKeyPrefix.size()), kKeyPrefix);
  EXPECT_EQ(k.key.size(), kKeyPrefix.size() + 43);
}

TEST(Keygen, KeyBodyIsBase62) {
  GeneratedKey k = generate_key("support");
  EXPECT_EQ(k.key.find_first_not_of(kBase62, kKeyPrefix.size()), std::string::npos);
}

TEST(Keygen, TwoKeysDiffer) { EXPECT_NE(generate_key("support").key, generate_key("support").key); }

TEST(Keygen, HashIsSha256OfTheWholeKey) {
  GeneratedKey k = generate_key("support");
  EXPECT_EQ(k.sha256_hex, sha256_hex(k.key));
}

TEST(Keygen, ConfigEntryHasExactlyIdProjectAndHash) {
  GeneratedKey k = generate_key("customer-support", "support-bot");
  rapidjson::Document doc;
  doc.Parse(k.config_entry.c_str());
  ASSERT_FALSE(doc.HasParseError());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(doc.MemberCount(), 3u);
  EXPECT_STREQ(doc["id"].GetString(), "support-bot");
  EXPECT_STREQ(doc["project"].GetString(), "customer-support");
  EXPECT_EQ(doc["sha256"].GetString(), k.sha256_hex);
}

TEST(Keygen, ConfigEntryNeverHoldsTheKey) {
  GeneratedKey k = generate_key("support");
  EXPECT_EQ(k.config_entry.find(k.key.substr(kKeyPrefix.size())), std::string::npos);
}

TEST(Keygen, DefaultIdIsProjectAndHashPrefix) {
  GeneratedKey k = generate_key("support");
  EXPECT_EQ(k.id, "support-" + k.sha256_hex.substr(0, 8));
}

TEST(Keygen, NamesAreJsonEscaped) {
  GeneratedKey k = generate_key("te\"am\\x", "bot\n1");
  rapidjson::Document doc;
  doc.Parse(k.config_entry.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["project"].GetString(), "te\"am\\x");
  EXPECT_STREQ(doc["id"].GetString(), "bot\n1");
}

TEST(Keygen, EmptyProjectThrows) { EXPECT_THROW(generate_key(""), std::invalid_argument); }

TEST(Keygen, InvalidUtf8NameThrows) {
  EXPECT_THROW(generate_key("bad\xff"), std::invalid_argument);
}

TEST(Keygen, OutputIsKeyLineThenEntryLine) {
  std::string out = keygen_output("customer-support", "support-bot");
  ASSERT_EQ(out.back(), '\n');
  size_t first_nl = out.find('\n');
  ASSERT_NE(first_nl, std::string::npos);
  std::string key = out.substr(0, first_nl);
  std::string entry = out.substr(first_nl + 1, out.size() - first_nl - 2);
  EXPECT_EQ(entry.find('\n'), std::string::npos);
  EXPECT_EQ(key.substr(0, kKeyPrefix.size()), kKeyPrefix);
  EXPECT_EQ(entry, "{\"id\": \"support-bot\", \"project\": \"customer-support\", \"sha256\": \"" +
                       sha256_hex(key) + "\"}");
}

TEST(Base62, KnownValue) {
  // 0x0100 = 256 = 4 * 62 + 8; two bytes need three digits.
  EXPECT_EQ(base62(std::string("\x01\x00", 2)), "048");
}

TEST(Base62, ZeroBytesAreAllZeroDigits) {
  EXPECT_EQ(base62(std::string(32, '\0')), std::string(43, '0'));
}

TEST(Base62, LargestValueFitsWidth) {
  std::string max = base62(std::string(32, '\xff'));
  EXPECT_EQ(max.size(), 43u);
  EXPECT_NE(max[0], '0');
}

}  // namespace
}  // namespace sluice::auth
