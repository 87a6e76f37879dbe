// The fleet section (docs/FLEET.md).
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kHead = R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
)";

std::string doc(std::string_view line4) { return std::string(kHead) + std::string(line4) + "\n}"; }

TEST(ConfigFleet, AbsentMeansEveryProcessAlone) {
  Config c = loaded(doc(R"("keys": [])"));
  EXPECT_FALSE(c.fleet.enabled);
}

TEST(ConfigFleet, FieldsAreRead) {
  Config c = loaded(doc(R"("fleet": { "redis": "redis://10.0.0.7:6380/2", "instance": "gw-a",
    "lease_ms": 500, "on_redis_down": "refuse", "password_env": "REDIS_PASSWORD" })"));
  EXPECT_TRUE(c.fleet.enabled);
  EXPECT_EQ(c.fleet.host, "10.0.0.7");
  EXPECT_EQ(c.fleet.port, 6380);
  EXPECT_EQ(c.fleet.db, 2u);
  EXPECT_EQ(c.fleet.instance, "gw-a");
  EXPECT_EQ(c.fleet.lease_ms, 500u);
  EXPECT_EQ(c.fleet.on_redis_down, OnRedisDown::refuse);
  EXPECT_EQ(c.fleet.password_env, "REDIS_PASSWORD");
}

TEST(ConfigFleet, DefaultsApplyToOmittedFields) {
  Config c = loaded(doc(R"("fleet": { "redis": "redis://localhost" })"));
  EXPECT_EQ(c.fleet.port, 6379);
  EXPECT_EQ(c.fleet.db, 0u);
  EXPECT_EQ(c.fleet.lease_ms, 1000u);
  EXPECT_EQ(c.fleet.on_redis_down, OnRedisDown::local_share);
  EXPECT_TRUE(c.fleet.instance.empty());
}

TEST(ConfigFleet, UnixSocketWithDatabase) {
  Config c = loaded(doc(R"("fleet": { "redis": "unix:///run/redis/redis.sock?db=3" })"));
  EXPECT_EQ(c.fleet.unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(c.fleet.db, 3u);
  EXPECT_TRUE(c.fleet.host.empty());
}

TEST(ConfigFleet, RedisIsRequired) {
  EXPECT_THAT(errors_of(doc(R"("fleet": { "lease_ms": 1000 })")),
              ElementsAre(HasSubstr("/fleet: missing required field \"redis\"")));
}

TEST(ConfigFleet, BadUrlsAreReportedAtTheField) {
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "http://h" })")),
              ElementsAre("t.json:4:21: /fleet/redis: expected redis://HOST[:PORT][/DB] or "
                          "unix:///PATH"));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h:0" })")),
              ElementsAre(HasSubstr("/fleet/redis: the port must be a number")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://[::1]:0/5" })")),
              ElementsAre(HasSubstr("/fleet/redis: the port must be a number")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h/x" })")),
              ElementsAre(HasSubstr("/fleet/redis: the database must be a number")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "unix://relative.sock" })")),
              ElementsAre(HasSubstr("absolute path")));
}

TEST(ConfigFleet, PasswordsNeverInTheFile) {
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://u:pw@h" })")),
              ElementsAre(HasSubstr("use password_env or password_file")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h", "password": "x" })")),
              ElementsAre(HasSubstr("/fleet/password: secrets do not belong")));
  EXPECT_THAT(
      errors_of(
          doc(R"("fleet": { "redis": "redis://h", "password_env": "A", "password_file": "f" })")),
      ElementsAre(HasSubstr("set only one of")));
}

TEST(ConfigFleet, OutOfRangeAndUnknownValues) {
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h", "lease_ms": 10 })")),
              ElementsAre(HasSubstr("/fleet/lease_ms: must be between 100 and 60000")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h", "on_redis_down": "panic" })")),
              ElementsAre(HasSubstr("expected \"local_share\" or \"refuse\"")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h", "instance": "a b" })")),
              ElementsAre(HasSubstr("/fleet/instance:")));
  EXPECT_THAT(errors_of(doc(R"("fleet": { "redis": "redis://h", "leases": 1 })")).size(), 1u);
}

}  // namespace
}  // namespace sluice::config::config_test
