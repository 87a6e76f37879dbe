// OriginRegistry: the same provider settings give the very same Origin (pools key on
// it); anything resolve_origin reads gives a new one.

#include "sluice/upstream/origin_registry.h"

#include <gtest/gtest.h>

namespace sluice::upstream {
namespace {

config::Provider provider(uint16_t port) {
  config::Provider p;
  p.name = "mock";
  p.scheme = "http";
  p.host = "127.0.0.1";
  p.port = port;
  return p;
}

TEST(OriginRegistry, SameSettingsSameOrigin) {
  OriginRegistry reg;
  std::string err;
  auto a = reg.get(provider(9000), err);
  ASSERT_TRUE(a) << err;
  config::Provider renamed = provider(9000);
  renamed.name = "other";              // not part of the origin
  renamed.timeouts.first_byte_ms = 1;  // read per request, not by the origin
  auto b = reg.get(renamed, err);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(reg.size(), 1u);
  EXPECT_EQ(a->host_header, "127.0.0.1:9000");
}

TEST(OriginRegistry, ChangedAddressOrPoolGivesANewOrigin) {
  OriginRegistry reg;
  std::string err;
  auto a = reg.get(provider(9000), err);
  auto b = reg.get(provider(9001), err);
  config::Provider pooled = provider(9000);
  pooled.pool.max_idle_per_shard = 3;
  auto c = reg.get(pooled, err);
  EXPECT_NE(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(c->pool.max_idle_per_shard, 3u);
  EXPECT_EQ(reg.size(), 3u);
}

}  // namespace
}  // namespace sluice::upstream
