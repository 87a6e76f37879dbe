#include "sluice/auth/virtual_keys.h"

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <stdexcept>

namespace sluice::auth {
namespace {

config::Key make_key(std::string id, std::string_view secret, std::string project = "p") {
  config::Key k;
  k.id = std::move(id);
  k.project = std::move(project);
  k.sha256_hex = sha256_hex(secret);
  return k;
}

config::Config two_keys() {
  config::Config c;
  c.keys.push_back(make_key("bot", "sk-bot-secret", "support"));
  c.keys.push_back(make_key("laptop", "sk-dev-only", "experiments"));
  return c;
}

TEST(VirtualKeys, FindsKeyByPresentedSecret) {
  VirtualKeys keys(two_keys());
  const config::Key* k = keys.find("sk-bot-secret");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->id, "bot");
  EXPECT_EQ(k->project, "support");
}

TEST(VirtualKeys, UnknownKeyIsNotFound) {
  VirtualKeys keys(two_keys());
  EXPECT_EQ(keys.find("sk-bot-secreT"), nullptr);
}

TEST(VirtualKeys, EmptyKeyIsNotFound) {
  VirtualKeys keys(two_keys());
  EXPECT_EQ(keys.find(""), nullptr);
}

TEST(VirtualKeys, HashAsPresentedIsNotAKey) {
  // Someone who read the config must not be able to authenticate with the digest.
  VirtualKeys keys(two_keys());
  EXPECT_EQ(keys.find(sha256_hex("sk-bot-secret")), nullptr);
}

TEST(VirtualKeys, EmptySetFindsNothing) {
  VirtualKeys keys;
  EXPECT_EQ(keys.size(), 0u);
  EXPECT_EQ(keys.find("sk-bot-secret"), nullptr);
}

TEST(VirtualKeys, UppercaseHexDigestMatches) {
  config::Config c;
  config::Key k = make_key("bot", "sk-bot-secret");
  for (char& ch : k.sha256_hex) ch = static_cast<char>(std::toupper(ch));
  c.keys.push_back(k);
  VirtualKeys keys(c);
  EXPECT_NE(keys.find("sk-bot-secret"), nullptr);
}

TEST(VirtualKeys, InvalidHashThrowsAtSetup) {
  config::Config c;
  config::Key k = make_key("bot", "x");
  k.sha256_hex = "abc";
  c.keys.push_back(k);
  EXPECT_THROW(VirtualKeys{c}, std::invalid_argument);
}

TEST(VirtualKeys, DuplicateSecretThrowsAtSetup) {
  config::Config c;
  c.keys.push_back(make_key("a", "same"));
  c.keys.push_back(make_key("b", "same"));
  EXPECT_THROW(VirtualKeys{c}, std::invalid_argument);
}

TEST(VirtualKeys, DuplicateIdThrowsAtSetup) {
  config::Config c;
  c.keys.push_back(make_key("a", "one"));
  c.keys.push_back(make_key("a", "two"));
  EXPECT_THROW(VirtualKeys{c}, std::invalid_argument);
}

TEST(VirtualKeys, FindIdReturnsEntry) {
  VirtualKeys keys(two_keys());
  ASSERT_NE(keys.find_id("laptop"), nullptr);
  EXPECT_EQ(keys.find_id("laptop")->project, "experiments");
  EXPECT_EQ(keys.find_id("nobody"), nullptr);
}

TEST(VirtualKeys, SnapshotOutlivesTheConfigItCameFrom) {
  auto config = std::make_unique<config::Config>(two_keys());
  VirtualKeys keys(*config);
  config.reset();
  ASSERT_NE(keys.find("sk-dev-only"), nullptr);
  EXPECT_EQ(keys.find("sk-dev-only")->id, "laptop");
}

TEST(VirtualKeys, AddedKeyIsFoundInNewSnapshotOnly) {
  VirtualKeys before(two_keys());
  VirtualKeys after;
  ASSERT_EQ(before.with_added(make_key("new", "sk-new"), after), KeyChange::ok);
  EXPECT_NE(after.find("sk-new"), nullptr);
  EXPECT_NE(after.find("sk-bot-secret"), nullptr);
  EXPECT_EQ(before.find("sk-new"), nullptr);
  EXPECT_EQ(after.size(), 3u);
}

TEST(VirtualKeys, NewSnapshotSharesUnchangedEntries) {
  VirtualKeys before(two_keys());
  VirtualKeys after;
  ASSERT_EQ(before.with_added(make_key("new", "sk-new"), after), KeyChange::ok);
  EXPECT_EQ(before.find("sk-bot-secret"), after.find("sk-bot-secret"));
}

TEST(VirtualKeys, RevokedKeyIsNotFoundInNewSnapshot) {
  VirtualKeys before(two_keys());
  VirtualKeys after;
  ASSERT_EQ(before.with_revoked("bot", after), KeyChange::ok);
  EXPECT_EQ(after.find("sk-bot-secret"), nullptr);
  EXPECT_EQ(after.find_id("bot"), nullptr);
  EXPECT_NE(after.find("sk-dev-only"), nullptr);
  EXPECT_NE(before.find("sk-bot-secret"), nullptr);  // in-flight requests keep theirs
}

TEST(VirtualKeys, DerivedSnapshotOutlivesItsSource) {
  auto before = std::make_unique<VirtualKeys>(two_keys());
  VirtualKeys after;
  ASSERT_EQ(before->with_revoked("bot", after), KeyChange::ok);
  const config::Key* laptop = after.find("sk-dev-only");
  before.reset();
  ASSERT_NE(laptop, nullptr);
  EXPECT_EQ(laptop->id, "laptop");
}

TEST(VirtualKeys, AddRefusesDuplicateId) {
  VirtualKeys keys(two_keys());
  VirtualKeys out;
  EXPECT_EQ(keys.with_added(make_key("bot", "sk-other"), out), KeyChange::duplicate_id);
  EXPECT_EQ(out.size(), 0u);  // untouched
}

TEST(VirtualKeys, AddRefusesDuplicateSecret) {
  VirtualKeys keys(two_keys());
  VirtualKeys out;
  EXPECT_EQ(keys.with_added(make_key("bot2", "sk-bot-secret"), out), KeyChange::duplicate_key);
}

TEST(VirtualKeys, AddRefusesInvalidHash) {
  VirtualKeys keys(two_keys());
  config::Key k = make_key("x", "y");
  k.sha256_hex.pop_back();
  VirtualKeys out;
  EXPECT_EQ(keys.with_added(k, out), KeyChange::invalid_hash);
}

TEST(VirtualKeys, RevokeUnknownIdIsRefused) {
  VirtualKeys keys(two_keys());
  VirtualKeys out;
  EXPECT_EQ(keys.with_revoked("nobody", out), KeyChange::unknown_id);
}

TEST(VirtualKeys, RevokedIdCanBeAddedAgainWithNewSecret) {
  VirtualKeys keys(two_keys());
  VirtualKeys revoked;
  VirtualKeys rotated;
  ASSERT_EQ(keys.with_revoked("bot", revoked), KeyChange::ok);
  ASSERT_EQ(revoked.with_added(make_key("bot", "sk-rotated"), rotated), KeyChange::ok);
  EXPECT_EQ(rotated.find("sk-bot-secret"), nullptr);
  ASSERT_NE(rotated.find("sk-rotated"), nullptr);
  EXPECT_EQ(rotated.find("sk-rotated")->id, "bot");
}

}  // namespace
}  // namespace sluice::auth
