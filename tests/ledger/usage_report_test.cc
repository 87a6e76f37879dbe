#include "sluice/ledger/usage_report.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "sluice/ledger/ledger.h"
#include "temp_dir.h"

namespace sluice::ledger {
namespace {

using testing::ledger_config;
using testing::make_record;
using testing::TempDir;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNov22 = 1'795'305'600'000;  // 2026-11-22T00:00:00Z
constexpr int64_t kNov23 = kNov22 + kDay;

Record usage(std::string project, int64_t ts_ms, uint32_t input, uint32_t output, int64_t nusd,
             std::string model = "gpt-4o", std::string key = "k1") {
  Record r = make_record("r", ts_ms, std::move(project), std::move(model));
  r.key_id = std::move(key);
  r.input_tokens = input;
  r.output_tokens = output;
  r.cached_tokens = input / 2;
  r.reasoning_tokens = output / 4;
  r.cost_nusd = nusd;
  return r;
}

class UsageReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = std::make_unique<Ledger>(ledger_config(dir_.file("l.db")), 1);
    // $0.1 + $0.2 is 0.3 exactly: costs are integer nano-USD.
    submit(usage("support", kNov22 + 1, 100, 40, 100'000'000));
    submit(usage("support", kNov22 + 2, 200, 80, 200'000'000, "claude-sonnet", "k2"));
    submit(usage("support", kNov23 + 5, 400, 160, 125'000'000));
    submit(usage("experiments", kNov22 + 3, 1000, 400, 1'000'000'000, "gpt-4o", "k3"));
    submit(usage("experiments", kNov23 + kDay, 7, 7, 2'000'000'000, "gpt-4o", "k3"));  // Nov 24
    ASSERT_TRUE(ledger_->flush());
  }
  void submit(Record r) { ledger_->queue(0).submit(std::move(r)); }

  rapidjson::Document report(int64_t from, int64_t to, const std::vector<std::string>& group_by,
                             const UsageFilter& filter = {}) {
    const UsageReport r = ledger_->usage_report(from, to, group_by, filter);
    EXPECT_TRUE(r.ok()) << r.error;
    rapidjson::Document doc;
    doc.Parse(r.json.c_str(), r.json.size());
    EXPECT_FALSE(doc.HasParseError()) << r.json;
    return doc;
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(UsageReportTest, GroupsByProjectAndDayWithExactSums) {
  const auto doc = report(kNov22, kNov23 + 2 * kDay, {"project", "day"});
  EXPECT_EQ(doc["from"].GetInt64(), kNov22);
  EXPECT_EQ(doc["to"].GetInt64(), kNov23 + 2 * kDay);
  ASSERT_EQ(doc["group_by"].Size(), 2u);
  EXPECT_STREQ(doc["group_by"][0].GetString(), "project");
  EXPECT_STREQ(doc["group_by"][1].GetString(), "day");
  const auto& rows = doc["rows"];
  ASSERT_EQ(rows.Size(), 4u);  // sorted by project, then day
  EXPECT_STREQ(rows[0]["project"].GetString(), "experiments");
  EXPECT_STREQ(rows[0]["day"].GetString(), "2026-11-22");
  EXPECT_STREQ(rows[1]["project"].GetString(), "experiments");
  EXPECT_STREQ(rows[1]["day"].GetString(), "2026-11-24");
  EXPECT_STREQ(rows[2]["project"].GetString(), "support");
  EXPECT_STREQ(rows[2]["day"].GetString(), "2026-11-22");
  const auto& support_22 = rows[2];
  EXPECT_EQ(support_22["requests"].GetInt64(), 2);
  EXPECT_EQ(support_22["input_tokens"].GetInt64(), 300);
  EXPECT_EQ(support_22["output_tokens"].GetInt64(), 120);
  EXPECT_EQ(support_22["cached_tokens"].GetInt64(), 150);
  EXPECT_EQ(support_22["reasoning_tokens"].GetInt64(), 30);
  EXPECT_EQ(support_22["cost_nusd"].GetInt64(), 300'000'000);
  EXPECT_STREQ(rows[3]["day"].GetString(), "2026-11-23");
  EXPECT_EQ(rows[3]["cost_nusd"].GetInt64(), 125'000'000);
}

TEST_F(UsageReportTest, CostIsPrintedAsAnExactDecimalBesideItsInteger) {
  // The text itself, not a parsed double: 0.1 + 0.2 prints as 0.3, never 0.30000000000000004.
  const UsageReport r = ledger_->usage_report(kNov22, kNov23, {"project"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_NE(r.json.find(R"("project":"support",)"), std::string::npos) << r.json;
  EXPECT_NE(r.json.find(R"("cost_nusd":300000000,"cost_usd":0.3})"), std::string::npos) << r.json;
  EXPECT_NE(r.json.find(R"("cost_nusd":1000000000,"cost_usd":1})"), std::string::npos) << r.json;
}

TEST_F(UsageReportTest, TimeRangeIncludesFromAndExcludesTo) {
  const auto doc = report(kNov22 + 2, kNov23 + 5, {});
  ASSERT_EQ(doc["rows"].Size(), 1u);
  EXPECT_EQ(doc["rows"][0]["requests"].GetInt64(), 2);  // ts +2 and +3; not +1, not Nov23+5
  EXPECT_EQ(doc["rows"][0]["cost_nusd"].GetInt64(), 1'200'000'000);
}

TEST_F(UsageReportTest, NoGroupByGivesOneRowOfTotals) {
  const auto doc = report(0, kNov23 + 2 * kDay, {});
  ASSERT_EQ(doc["rows"].Size(), 1u);
  EXPECT_EQ(doc["rows"][0]["requests"].GetInt64(), 5);
  EXPECT_EQ(doc["rows"][0]["input_tokens"].GetInt64(), 1707);
  EXPECT_EQ(doc["rows"][0]["cost_nusd"].GetInt64(), 3'425'000'000);
}

TEST_F(UsageReportTest, EmptyRangeGivesZeroTotals) {
  const auto doc = report(0, 1, {});
  ASSERT_EQ(doc["rows"].Size(), 1u);
  EXPECT_EQ(doc["rows"][0]["requests"].GetInt64(), 0);
  EXPECT_EQ(doc["rows"][0]["cost_nusd"].GetInt64(), 0);
}

TEST_F(UsageReportTest, GroupsByModelKeyAndProviderInTheOrderAsked) {
  const auto doc = report(0, kNov23 + 2 * kDay, {"key", "model", "provider"});
  const auto& rows = doc["rows"];
  ASSERT_EQ(rows.Size(), 3u);
  EXPECT_STREQ(rows[0]["key"].GetString(), "k1");
  EXPECT_STREQ(rows[0]["model"].GetString(), "gpt-4o");
  EXPECT_STREQ(rows[0]["provider"].GetString(), "openai");
  EXPECT_EQ(rows[0]["requests"].GetInt64(), 2);
  EXPECT_STREQ(rows[1]["key"].GetString(), "k2");
  EXPECT_STREQ(rows[1]["model"].GetString(), "claude-sonnet");
  EXPECT_STREQ(rows[2]["key"].GetString(), "k3");
  EXPECT_EQ(rows[2]["cost_nusd"].GetInt64(), 3'000'000'000);
  // Object keys follow group_by order.
  EXPECT_STREQ(rows[0].MemberBegin()->name.GetString(), "key");
}

TEST_F(UsageReportTest, FiltersKeepOnlyMatchingRequests) {
  UsageFilter filter;
  filter.project = "support";
  filter.model = "gpt-4o";
  const auto doc = report(0, kNov23 + 2 * kDay, {}, filter);
  EXPECT_EQ(doc["rows"][0]["requests"].GetInt64(), 2);
  EXPECT_EQ(doc["rows"][0]["cost_nusd"].GetInt64(), 225'000'000);
}

TEST_F(UsageReportTest, GroupsByHourMinuteOutcomeAndErrorClass) {
  Record refused = usage("support", kNov22 + 5 * 3'600'000 + 7 * 60'000 + 9, 0, 0, 0);
  refused.outcome = Outcome::rejected;
  refused.error_class = "rate_limited";
  submit(std::move(refused));
  ASSERT_TRUE(ledger_->flush());

  const auto by_hour = report(kNov22, kNov23, {"hour", "outcome", "error_class"});
  const auto& rows = by_hour["rows"];
  ASSERT_EQ(rows.Size(), 2u);
  EXPECT_STREQ(rows[0]["hour"].GetString(), "2026-11-22T00:00Z");
  EXPECT_STREQ(rows[0]["outcome"].GetString(), "ok");
  EXPECT_STREQ(rows[0]["error_class"].GetString(), "");
  EXPECT_EQ(rows[0]["requests"].GetInt64(), 3);
  EXPECT_STREQ(rows[1]["hour"].GetString(), "2026-11-22T05:00Z");
  EXPECT_STREQ(rows[1]["outcome"].GetString(), "rejected");
  EXPECT_STREQ(rows[1]["error_class"].GetString(), "rate_limited");
  EXPECT_EQ(rows[1]["requests"].GetInt64(), 1);

  const auto by_minute = report(kNov22 + 3'600'000, kNov23, {"minute"});
  ASSERT_EQ(by_minute["rows"].Size(), 1u);
  EXPECT_STREQ(by_minute["rows"][0]["minute"].GetString(), "2026-11-22T05:07Z");
}

TEST_F(UsageReportTest, UnknownGroupByIsAnInvalidQueryNamingIt) {
  const UsageReport r = ledger_->usage_report(0, kNov23, {"project", "team"});
  EXPECT_EQ(r.status, UsageReport::Status::invalid_query);
  EXPECT_NE(r.error.find("\"team\""), std::string::npos) << r.error;
  EXPECT_TRUE(r.json.empty());
}

TEST_F(UsageReportTest, RepeatedGroupByIsAnInvalidQuery) {
  EXPECT_EQ(ledger_->usage_report(0, kNov23, {"day", "day"}).status,
            UsageReport::Status::invalid_query);
}

TEST_F(UsageReportTest, FromAfterToIsAnInvalidQuery) {
  EXPECT_EQ(ledger_->usage_report(kNov23, kNov22, {}).status, UsageReport::Status::invalid_query);
}

TEST_F(UsageReportTest, SpendSinceSumsCostPerProjectAndPerKey) {
  const Spend spend = ledger_->spend_since(kNov22 + 2);
  ASSERT_TRUE(spend.ok) << spend.error;
  EXPECT_EQ(spend.by_project, (std::map<std::string, int64_t>{{"experiments", 3'000'000'000},
                                                              {"support", 325'000'000}}));
  EXPECT_EQ(spend.by_key, (std::map<std::string, int64_t>{
                              {"k1", 125'000'000}, {"k2", 200'000'000}, {"k3", 3'000'000'000}}));
}

TEST(UtcWindows, DayStartsAtUtcMidnight) {
  EXPECT_EQ(utc_day_start_ms(kNov22), kNov22);
  EXPECT_EQ(utc_day_start_ms(kNov22 + kDay - 1), kNov22);
  EXPECT_EQ(utc_day_start_ms(kNov23 + 1), kNov23);
}

TEST(UtcWindows, MonthStartsOnTheFirstAtUtcMidnight) {
  constexpr int64_t kNov1 = kNov22 - 21 * kDay;  // 2026-11-01T00:00:00Z
  constexpr int64_t kDec1 = kNov1 + 30 * kDay;   // 2026-12-01T00:00:00Z
  EXPECT_EQ(utc_month_start_ms(kNov22 + 12345), kNov1);
  EXPECT_EQ(utc_month_start_ms(kNov1), kNov1);
  EXPECT_EQ(utc_month_start_ms(kDec1 - 1), kNov1);
  EXPECT_EQ(utc_month_start_ms(kDec1), kDec1);
}

}  // namespace
}  // namespace sluice::ledger
