// listen, shards, admin, ledger, server and cors.
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

// The two sections every config needs, on lines 2 and 3, so the field under test
// sits on line 4.
constexpr std::string_view kHead = R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
)";

std::string doc(std::string_view line4) { return std::string(kHead) + std::string(line4) + "\n}"; }

TEST(ConfigServerSections, DefaultsApplyWhenSectionsAreAbsent) {
  Config c = loaded(doc(R"("keys": [])"));
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].address, "127.0.0.1");
  EXPECT_EQ(c.listen[0].port, 8080);
  EXPECT_EQ(c.shards, 0u);
  EXPECT_EQ(c.admin.key_env, "SLUICE_ADMIN_KEY");
  EXPECT_EQ(c.ledger, Ledger{});
  EXPECT_EQ(c.server, Server{});
  EXPECT_TRUE(c.cors.allowed_origins.empty());
  EXPECT_EQ(c.source, "t.json");
}

TEST(ConfigServerSections, ListenEntriesAreRead) {
  Config c = loaded(doc(R"("listen": [{ "address": "::", "port": 443,
              "tls": { "cert": "/etc/c.pem", "key": "/etc/k.pem" } },
             { "port": 8080 }])"));
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[0].address, "::");
  EXPECT_EQ(c.listen[0].port, 443);
  EXPECT_EQ(c.listen[0].tls_cert, "/etc/c.pem");
  EXPECT_EQ(c.listen[0].tls_key, "/etc/k.pem");
  EXPECT_EQ(c.listen[1].address, "127.0.0.1");
  EXPECT_EQ(c.listen[1].tls_cert, "");
}

TEST(ConfigServerSections, ListenAddressMustBeALiteral) {
  EXPECT_THAT(errors_of(doc(R"("listen": [{ "address": "localhost", "port": 8080 }])")),
              ElementsAre("t.json:4:25: /listen/0/address: expected an IPv4 or IPv6 address such "
                          "as 127.0.0.1, 0.0.0.0 or ::1 (no host names, no brackets)"));
}

TEST(ConfigServerSections, ListenPortMustBeInRange) {
  EXPECT_THAT(errors_of(doc(R"("listen": [{ "port": 65536 }])")),
              ElementsAre("t.json:4:22: /listen/0/port: must be between 0 and 65535"));
}

TEST(ConfigServerSections, ListenPortZeroLetsTheKernelChoose) {
  Config c = loaded(doc(R"("listen": [{ "port": 0 }, { "port": 0 }])"));
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[0].port, 0);
}

TEST(ConfigServerSections, ListenPortIsRequired) {
  EXPECT_THAT(errors_of(doc(R"("listen": [{ "address": "0.0.0.0" }])")),
              ElementsAre("t.json:4:12: /listen/0: missing required field \"port\""));
}

TEST(ConfigServerSections, ListenMustNotBeEmpty) {
  EXPECT_THAT(errors_of(doc(R"("listen": [])")),
              ElementsAre("t.json:4:11: /listen: must have at least one entry"));
}

TEST(ConfigServerSections, DuplicateListenAddressIsReported) {
  EXPECT_THAT(
      errors_of(
          doc(R"("listen": [{ "address": "::1", "port": 1 }, { "address": "0::1", "port": 1 }])")),
      ElementsAre("t.json:4:45: /listen/1: duplicate listen address 0::1 port 1"));
}

TEST(ConfigServerSections, TlsNeedsCertAndKey) {
  EXPECT_THAT(errors_of(doc(R"("listen": [{ "port": 443, "tls": { "cert": "c.pem" } }])")),
              ElementsAre("t.json:4:34: /listen/0/tls: missing required field \"key\""));
}

TEST(ConfigServerSections, ShardsTakesANumber) {
  EXPECT_EQ(loaded(doc(R"("shards": 12)")).shards, 12u);
}

TEST(ConfigServerSections, ShardsRefusesOtherWords) {
  EXPECT_THAT(errors_of(doc(R"("shards": "all")")),
              ElementsAre("t.json:4:11: /shards: expected \"auto\" or an integer, got \"all\""));
}

TEST(ConfigServerSections, ShardsAboveLimitIsRefused) {
  EXPECT_THAT(errors_of(doc(R"("shards": 1025)")),
              ElementsAre("t.json:4:11: /shards: must be between 1 and 1024"));
}

TEST(ConfigServerSections, AdminKeyEnvMustBeAVariableName) {
  EXPECT_THAT(errors_of(doc(R"("admin": { "key_env": "$ADMIN" })")),
              ElementsAre("t.json:4:23: /admin/key_env: expected an environment variable name "
                          "(letters, digits and '_', not starting with a digit)"));
}

TEST(ConfigServerSections, AdminKeyItselfIsRefusedAsASecret) {
  EXPECT_THAT(errors_of(doc(R"("admin": { "key": "hunter2" })")),
              ElementsAre("t.json:4:12: /admin/key: secrets do not belong in the config file: "
                          "put the admin key in an environment variable and name it with "
                          "\"key_env\""));
}

TEST(ConfigServerSections, LedgerFieldsAreRead) {
  Config c = loaded(doc(
      R"("ledger": { "path": "/var/lib/sluice/l.db", "flush_ms": 250, "queue_capacity": 1024 })"));
  EXPECT_EQ(c.ledger.path, "/var/lib/sluice/l.db");
  EXPECT_EQ(c.ledger.flush_ms, 250u);
  EXPECT_EQ(c.ledger.queue_capacity, 1024u);
}

TEST(ConfigServerSections, PostgresLedgerFieldsAreRead) {
  Config c = loaded(doc(R"("ledger": { "kind": "postgres", "url_env": "SLUICE_PG_URL",
  "spool": "/var/lib/sluice/spool.db", "on_ledger_failure": "refuse", "retention_days": 90 })"));
  EXPECT_EQ(c.ledger.kind, LedgerKind::postgres);
  EXPECT_EQ(c.ledger.url_env, "SLUICE_PG_URL");
  EXPECT_EQ(c.ledger.spool, "/var/lib/sluice/spool.db");
  EXPECT_EQ(c.ledger.on_failure, OnLedgerFailure::refuse);
  EXPECT_EQ(c.ledger.retention_days, 90u);
  Config d =
      loaded(doc(R"("ledger": { "kind": "postgres", "url": "postgresql://sluice@db/sluice" })"));
  EXPECT_EQ(d.ledger.url, "postgresql://sluice@db/sluice");
  EXPECT_EQ(d.ledger.on_failure, OnLedgerFailure::keep_serving);
}

TEST(ConfigServerSections, PostgresLedgerMistakesAreNamed) {
  EXPECT_THAT(errors_of(doc(R"("ledger": { "kind": "mysql" })")),
              ElementsAre("t.json:4:21: /ledger/kind: must be \"sqlite\" or \"postgres\""));
  EXPECT_THAT(errors_of(doc(R"("ledger": { "kind": "postgres" })")),
              ElementsAre("t.json:4:11: /ledger: a postgres ledger needs \"url\", \"url_env\" or "
                          "\"url_file\""));
  EXPECT_THAT(
      errors_of(doc(R"("ledger": { "kind": "postgres", "url": "postgresql://u:pw@db/s" })")),
      ElementsAre(::testing::HasSubstr("/ledger/url: secrets do not belong in the config file")));
  EXPECT_THAT(errors_of(doc(R"("ledger": { "kind": "postgres", "url": "postgresql://db/s",
  "url_env": "X" })")),
              ElementsAre(::testing::HasSubstr(
                  "/ledger/url_env: set only one of \"url\", \"url_env\" and \"url_file\"")));
  EXPECT_THAT(errors_of(doc(R"("ledger": { "url": "postgresql://db/s" })")),
              ElementsAre(::testing::HasSubstr("/ledger/url: only a postgres ledger")));
  EXPECT_THAT(errors_of(doc(R"("ledger": { "on_ledger_failure": "ignore" })")),
              ElementsAre(::testing::HasSubstr(
                  "/ledger/on_ledger_failure: must be \"continue\" or \"refuse\"")));
}

TEST(ConfigServerSections, ServerFieldsAreRead) {
  Config c =
      loaded(doc(R"("server": { "drain_ms": 0, "header_timeout_ms": 5000, "keepalive_timeout_ms": 0,
  "max_header_bytes": 32768, "max_uri_bytes": 4096, "max_body_bytes": 1073741824,
  "access_log": "off" })"));
  EXPECT_EQ(c.server.drain_ms, 0u);
  EXPECT_EQ(c.server.header_timeout_ms, 5000u);
  EXPECT_EQ(c.server.keepalive_timeout_ms, 0u);
  EXPECT_EQ(c.server.max_header_bytes, 32768u);
  EXPECT_EQ(c.server.max_uri_bytes, 4096u);
  EXPECT_EQ(c.server.max_body_bytes, 1073741824u);
  EXPECT_EQ(c.server.access_log, "off");
}

TEST(ConfigServerSections, ConnectionAndBodyCapsAreRead) {
  Config c = loaded(
      doc(R"("server": { "max_connections": 10000, "max_buffered_body_bytes": 536870912 })"));
  EXPECT_EQ(c.server.max_connections, 10000u);
  EXPECT_EQ(c.server.max_buffered_body_bytes, 536870912u);
}

TEST(ConfigServerSections, ConnectionsAreUnlimitedAndBodiesCappedByDefault) {
  Config c = loaded(doc(R"("keys": [])"));
  EXPECT_EQ(c.server.max_connections, 0u);
  EXPECT_EQ(c.server.max_buffered_body_bytes, uint64_t{256} << 20);
}

TEST(ConfigServerSections, DefaultBodyBudgetGrowsToALargerBodyLimit) {
  Config c = loaded(doc(R"("server": { "max_body_bytes": 1073741824 })"));
  EXPECT_EQ(c.server.max_buffered_body_bytes, 1073741824u);
}

TEST(ConfigServerSections, BodyBudgetBelowTheBodyLimitIsRefused) {
  EXPECT_THAT(errors_of(doc(R"("server": { "max_buffered_body_bytes": 1000 })")),
              ElementsAre("t.json:4:40: /server/max_buffered_body_bytes: must be at least "
                          "max_body_bytes (16777216)"));
}

TEST(ConfigServerSections, MaxConnectionsMustBeAnInteger) {
  EXPECT_THAT(errors_of(doc(R"("server": { "max_connections": "many" })")),
              ElementsAre(::testing::StartsWith("t.json:4:32: /server/max_connections: ")));
}

TEST(ConfigServerSections, UriLimitAboveHeaderLimitIsRefused) {
  EXPECT_THAT(errors_of(doc(R"("server": { "max_header_bytes": 4096, "max_uri_bytes": 8000 })")),
              ElementsAre("t.json:4:56: /server/max_uri_bytes: must not exceed max_header_bytes "
                          "(4096)"));
}

TEST(ConfigServerSections, DefaultUriLimitShrinksToASmallerHeaderLimit) {
  Config c = loaded(doc(R"("server": { "max_header_bytes": 4096 })"));
  EXPECT_EQ(c.server.max_uri_bytes, 4096u);
}

TEST(ConfigServerSections, CorsOriginsAreRead) {
  Config c =
      loaded(doc(R"("cors": { "allowed_origins": ["https://a.example", "http://[::1]:3000"] })"));
  EXPECT_EQ(c.cors.allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://[::1]:3000"}));
}

TEST(ConfigServerSections, CorsOriginWithAPathIsRefused) {
  EXPECT_THAT(errors_of(doc(R"("cors": { "allowed_origins": ["*", "https://a.example/"] })")),
              ElementsAre("t.json:4:36: /cors/allowed_origins/1: expected \"*\" or an origin such "
                          "as \"https://app.example.com\" (scheme, host and optional port, no "
                          "path)"));
}

TEST(ConfigServerSections, AdminListenersAndMetricsAuthAreRead) {
  Config c = loaded(doc(R"("admin": { "listen": [{ "port": 9090 }], "metrics_auth": true })"));
  ASSERT_EQ(c.admin.listen.size(), 1u);
  EXPECT_EQ(c.admin.listen[0].address, "127.0.0.1");  // loopback unless told otherwise
  EXPECT_EQ(c.admin.listen[0].port, 9090);
  EXPECT_TRUE(c.admin.metrics_auth);
  Config d = loaded(doc(R"("keys": [])"));
  EXPECT_TRUE(d.admin.listen.empty());
  EXPECT_FALSE(d.admin.metrics_auth);
  EXPECT_FALSE(d.allow_anonymous);
}

TEST(ConfigServerSections, AdminListenerMayNotShareThePublicPort) {
  EXPECT_THAT(
      errors_of(doc(R"("listen": [{ "port": 8080 }], "admin": { "listen": [{ "port": 8080 }] })")),
      ElementsAre("t.json:4:53: /admin/listen/0: the admin listener must not share an "
                  "address and port with `listen`"));
}

TEST(ConfigServerSections, AllowAnonymousIsABoolean) {
  EXPECT_TRUE(loaded(doc(R"("allow_anonymous": true)")).allow_anonymous);
  EXPECT_THAT(errors_of(doc(R"("allow_anonymous": "yes")")),
              ElementsAre("t.json:4:20: /allow_anonymous: expected a boolean, got a string"));
}

TEST(ConfigServerSections, AllowedHostsAreLowercasedNames) {
  Config c = loaded(doc(R"("server": { "allowed_hosts": ["GW.example.com", "10.0.0.5:8080"] })"));
  EXPECT_THAT(c.server.allowed_hosts, ElementsAre("gw.example.com", "10.0.0.5:8080"));
  EXPECT_THAT(errors_of(doc(R"("server": { "allowed_hosts": ["a b"] })")),
              ElementsAre("t.json:4:31: /server/allowed_hosts/0: expected a host name or "
                          "address, optionally with :port"));
}

}  // namespace
}  // namespace sluice::config::config_test
