// The server section becomes each shard's limits: the process-wide connection limit is
// shared evenly, the body budget is per shard.
#include <gtest/gtest.h>

#include "sluice/server/shard.h"

namespace sluice::server {
namespace {

TEST(ServerLimits, ConnectionLimitIsSharedAmongShardsRoundingUp) {
  config::Server s;
  s.max_connections = 1000;
  EXPECT_EQ(server_limits(s, 1).max_connections, 1000u);
  EXPECT_EQ(server_limits(s, 4).max_connections, 250u);
  EXPECT_EQ(server_limits(s, 3).max_connections, 334u);
}

TEST(ServerLimits, NoConnectionLimitStaysNone) {
  config::Server s;
  EXPECT_EQ(server_limits(s, 8).max_connections, 0u);
}

TEST(ServerLimits, BodyBudgetIsPerShard) {
  config::Server s;
  s.max_buffered_body_bytes = 1 << 20;
  EXPECT_EQ(server_limits(s, 8).max_buffered_body_bytes, uint64_t{1} << 20);
}

}  // namespace
}  // namespace sluice::server
