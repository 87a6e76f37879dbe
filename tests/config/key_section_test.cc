// `keys`: virtual keys, stored as SHA-256 only.
#include "config_test_util.h"
#include "sluice/config/key_hash.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

// Project "default" and model "m" on lines 2-4; the keys array starts on line 5.
std::string doc(std::string_view keys) {
  return std::string(R"({
  "providers": { "a": { "kind": "openai", "base_url": "http://a" } },
  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }] } },
  "projects": { "default": {} },
  "keys": )") +
         std::string(keys) + "\n}";
}

// Computed independently: printf %s sk-dev-only | sha256sum
constexpr std::string_view kDevOnlySha256 =
    "c460829fdcd7e1adac8fba3a8fa9c7ccac23d34b30d90ab2bd5b60d96ad48d3e";

TEST(ConfigKeys, PlaintextKeyIsStoredAsItsSha256) {
  Config c = loaded(doc(R"([{ "id": "dev", "project": "default", "key": "sk-dev-only" }])"));
  ASSERT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys[0].sha256_hex, kDevOnlySha256);
  EXPECT_TRUE(c.keys[0].plaintext);
}

TEST(ConfigKeys, Sha256HelperMatchesCoreutils) {
  EXPECT_EQ(sha256_hex("sk-dev-only"), kDevOnlySha256);
  // printf '' | sha256sum
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ConfigKeys, HashedKeyIsStoredLowercase) {
  Config c = loaded(doc(R"([{ "id": "bot", "project": "default",
     "sha256": "C460829FDCD7E1ADAC8FBA3A8FA9C7CCAC23D34B30D90AB2BD5B60D96AD48D3E",
     "models": ["m"], "limits": { "concurrent_requests": 5 }, "budget": { "usd_per_day": 1 } }])"));
  const Key& k = c.keys.at(0);
  EXPECT_EQ(k.id, "bot");
  EXPECT_EQ(k.project, "default");
  EXPECT_EQ(k.sha256_hex, kDevOnlySha256);
  EXPECT_FALSE(k.plaintext);
  EXPECT_EQ(k.models, std::vector<std::string>{"m"});
  EXPECT_EQ(k.limits.concurrent_requests, 5u);
  EXPECT_EQ(k.budget.nusd_per_day, 1'000'000'000);
  EXPECT_EQ(c.key("bot"), &k);
}

TEST(ConfigKeys, MalformedSha256IsRefused) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "k", "project": "default", "sha256": "abc" }])")),
              ElementsAre("t.json:5:57: /keys/0/sha256: expected 64 hexadecimal characters (the "
                          "SHA-256 of the key)"));
}

TEST(ConfigKeys, BothSha256AndKeyAreRefused) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "k", "project": "default", "key": "x", "sha256": "y" }])")),
              ElementsAre("t.json:5:59: /keys/0/sha256: set only one of \"sha256\" and \"key\""));
}

TEST(ConfigKeys, NeitherSha256NorKeyIsAMissingField) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "k", "project": "default" }])")),
              ElementsAre("t.json:5:12: /keys/0: missing required field \"sha256\" (or \"key\" "
                          "for a plaintext development key)"));
}

TEST(ConfigKeys, UnknownProjectIsRefused) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "k", "project": "prod", "key": "x" }])")),
              ElementsAre("t.json:5:36: /keys/0/project: unknown project \"prod\""));
}

TEST(ConfigKeys, UnknownModelIsRefused) {
  EXPECT_THAT(
      errors_of(doc(R"([{ "id": "k", "project": "default", "key": "x", "models": ["m", "n"] }])")),
      ElementsAre("t.json:5:75: /keys/0/models/1: unknown model alias \"n\""));
}

TEST(ConfigKeys, IdIsRequiredAndNonEmpty) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "", "project": "default", "key": "x" }])")),
              ElementsAre("t.json:5:20: /keys/0/id: must not be empty"));
}

TEST(ConfigKeys, DuplicateIdIsRefused) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "k", "project": "default", "key": "x" },
         { "id": "k", "project": "default", "key": "y" }])")),
              ElementsAre("t.json:6:18: /keys/1/id: duplicate key id \"k\" (first at /keys/0)"));
}

TEST(ConfigKeys, SameSecretOnTwoKeysIsRefused) {
  EXPECT_THAT(errors_of(doc(R"([{ "id": "a", "project": "default", "key": "sk-dev-only" },
         { "id": "b", "project": "default", "sha256": "c460829fdcd7e1adac8fba3a8fa9c7ccac23d34b30d90ab2bd5b60d96ad48d3e" }])")),
              ElementsAre("t.json:6:55: /keys/1/sha256: same key as key \"a\""));
}

TEST(ConfigKeys, KeysMustBeAnArray) {
  EXPECT_THAT(errors_of(doc(R"({ "k": {} })")),
              ElementsAre("t.json:5:11: /keys: expected an array, got an object"));
}

}  // namespace
}  // namespace sluice::config::config_test
