#include "sluice/fleet/fleet_view.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace sluice::fleet {
namespace {

constexpr int64_t kNowUs = 1'796'626'923'000'000;

rapidjson::Document view(const std::vector<HashField>& hash) {
  std::string out;
  append_limit_view(out, "sluice:fleet:model:gpt:requests", hash, kNowUs);
  rapidjson::Document doc;
  doc.Parse(out.data(), out.size());
  EXPECT_FALSE(doc.HasParseError()) << out;
  return doc;
}

TEST(FleetView, LiveLeasesByInstanceWithTheirTimeLeft) {
  const auto doc = view({{"tat", "1796626923000000"},
                         {"l:gw-a:4242:1796626900000:0", "3 1796626923800000"},
                         {"l:gw-b:17:1796626900000:2", "1 1796626923100000"}});
  EXPECT_STREQ(doc["key"].GetString(), "sluice:fleet:model:gpt:requests");
  const auto& leases = doc["leases"];
  ASSERT_EQ(leases.Size(), 2u);
  EXPECT_STREQ(leases[0]["instance"].GetString(), "gw-a");
  EXPECT_EQ(leases[0]["units"].GetInt(), 3);
  EXPECT_EQ(leases[0]["expires_in_ms"].GetInt(), 800);
  EXPECT_STREQ(leases[1]["instance"].GetString(), "gw-b");
  EXPECT_EQ(leases[1]["expires_in_ms"].GetInt(), 100);
}

TEST(FleetView, ExpiredLeasesAndDemandAreLeftOut) {
  const auto doc =
      view({{"l:gw-a:1:2:0", "5 1796626922000000"}, {"d:gw-a", "1796626922000000 default 1 4.0"}});
  EXPECT_EQ(doc["leases"].Size(), 0u);
  EXPECT_EQ(doc["demand"].Size(), 0u);
  EXPECT_EQ(doc["demand_by_project"].MemberCount(), 0u);
}

TEST(FleetView, DemandPerInstanceAndProjectAndItsFleetSum) {
  const auto doc = view({{"d:gw-a", "1796626924000000 default 1 1.5;team 3 0.25"},
                         {"d:gw-b", "1796626924000000 default 1 2"},
                         {"u:gw-a", "1.2 1796626923000000"}});
  const auto& demand = doc["demand"];
  ASSERT_EQ(demand.Size(), 3u);
  EXPECT_STREQ(demand[1]["instance"].GetString(), "gw-a");
  EXPECT_STREQ(demand[1]["project"].GetString(), "team");
  EXPECT_EQ(demand[1]["weight"].GetInt(), 3);
  EXPECT_DOUBLE_EQ(demand[1]["per_s"].GetDouble(), 0.25);
  EXPECT_DOUBLE_EQ(doc["demand_by_project"]["default"].GetDouble(), 3.5);
  EXPECT_DOUBLE_EQ(doc["demand_by_project"]["team"].GetDouble(), 0.25);
}

TEST(FleetView, GarbageInRedisStillMakesValidJson) {
  const auto doc = view({{"l:", ""},
                         {"l:\xff\"x", "nan 99999999999999999999999"},
                         {"d:q\n", "99999999999999999999 p 1 nan;;q 9e999 inf;\xc3"}});
  EXPECT_TRUE(doc.IsObject());
  EXPECT_EQ(doc["leases"].Size(), 1u);  // the second: its expiry reads as far away
}

}  // namespace
}  // namespace sluice::fleet
