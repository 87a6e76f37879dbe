// keep_fixed_settings: what a reload may change and what only a restart can.

#include "sluice/server/reload.h"

#include <gtest/gtest.h>

namespace sluice::server {
namespace {

config::Config base() {
  config::Config c;
  c.listen.push_back({});
  c.shards = 2;
  c.server.drain_ms = 1000;
  config::Model m;
  m.alias = "a";
  c.models.push_back(m);
  return c;
}

TEST(KeepFixedSettings, NothingToKeepWhenOnlyMutableFieldsChange) {
  config::Config running = base(), next = base();
  config::Model m;
  m.alias = "b";
  next.models.push_back(m);
  next.server.drain_ms = 5000;
  next.cors.allowed_origins = {"*"};
  EXPECT_TRUE(keep_fixed_settings(running, next).empty());
  EXPECT_EQ(next.models.size(), 2u);
  EXPECT_EQ(next.server.drain_ms, 5000u);
  EXPECT_EQ(next.cors.allowed_origins.size(), 1u);
}

TEST(KeepFixedSettings, ListenShardsLedgerAndServerLimitsAreKept) {
  config::Config running = base(), next = base();
  next.listen[0].port = 9999;
  next.shards = 8;
  next.ledger.path = "elsewhere.db";
  next.server.max_body_bytes = 1;
  next.server.drain_ms = 7;
  auto warnings = keep_fixed_settings(running, next);
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_NE(warnings[0].find("listen"), std::string::npos);
  EXPECT_NE(warnings[1].find("shards"), std::string::npos);
  EXPECT_NE(warnings[2].find("ledger"), std::string::npos);
  EXPECT_NE(warnings[3].find("server"), std::string::npos);
  EXPECT_EQ(next.listen, running.listen);
  EXPECT_EQ(next.shards, 2u);
  EXPECT_EQ(next.ledger.path, running.ledger.path);
  EXPECT_EQ(next.server.max_body_bytes, running.server.max_body_bytes);
  EXPECT_EQ(next.server.drain_ms, 7u);  // the one server field a reload may change
}

}  // namespace
}  // namespace sluice::server
