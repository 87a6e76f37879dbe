// Specification of how the admin API's answers print: exact money, readable times,
// the columns a person looks for, and CSV a spreadsheet reads.

#include "sluice/cli/reports.h"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

constexpr const char* kUsage =
    R"({"from":1765000000000,"to":1765003600000,"group_by":["project","model"],"rows":[)"
    R"({"project":"team","model":"gpt-4o-mini","requests":3,"input_tokens":30,)"
    R"("output_tokens":60,"cached_tokens":0,"reasoning_tokens":0,"cost_nusd":40500,)"
    R"("cost_usd":0.0000405},)"
    R"({"project":"a, \"b\"","model":"claude","requests":1,"input_tokens":10,)"
    R"("output_tokens":20,"cached_tokens":5,"reasoning_tokens":0,"cost_nusd":100000000000,)"
    R"("cost_usd":100}]})";

TEST(CliReports, UsageTableKeepsExactMoneyAndAddsATotal) {
  Rendered r = render_usage(kUsage, false);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.text,
            "usage from 2025-12-06 05:46:40 UTC to 2025-12-06 06:46:40 UTC\n"
            "PROJECT  MODEL        REQUESTS  INPUT TOKENS  OUTPUT TOKENS  CACHED TOKENS  "
            "REASONING TOKENS      COST USD\n"
            "team     gpt-4o-mini         3            30             60              0  "
            "               0    $0.0000405\n"
            "a, \"b\"   claude              1            10             20              5  "
            "               0          $100\n"
            "total                        4            40             80              5  "
            "               0  $100.0000405\n");
}

TEST(CliReports, UsageCsvHasRawNumbersAndQuotesPerRfc4180) {
  Rendered r = render_usage(kUsage, true);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.text,
            "project,model,requests,input_tokens,output_tokens,cached_tokens,reasoning_tokens,"
            "cost_nusd,cost_usd\r\n"
            "team,gpt-4o-mini,3,30,60,0,0,40500,0.0000405\r\n"
            "\"a, \"\"b\"\"\",claude,1,10,20,5,0,100000000000,100\r\n");
}

TEST(CliReports, UsageWithoutGroupingIsOneRowWithoutTotal) {
  Rendered r = render_usage(
      R"({"from":0,"to":5,"group_by":[],"rows":[{"requests":2,"input_tokens":1,)"
      R"("output_tokens":1,"cached_tokens":0,"reasoning_tokens":0,"cost_nusd":1,"cost_usd":1E-9}]})",
      false);
  ASSERT_EQ(r.error, "");
  EXPECT_NE(r.text.find("$0.000000001"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.substr(0, 30), "usage from the first record to");
  EXPECT_EQ(r.text.find("total"), std::string::npos);
}

TEST(CliReports, KeysListShowsModelsSourceAndCreation) {
  const char* body =
      R"({"object":"list","data":[{"id":"from-config","project":"default","models":[],)"
      R"("source":"config"},{"id":"bot","project":"team","models":["gpt-4o-mini","claude"],)"
      R"("source":"admin","created_ms":1765000000000}]})";
  Rendered t = render_keys(body, false);
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.text,
            "ID           PROJECT  MODELS              SOURCE  CREATED\n"
            "from-config  default  (all)               config  -\n"
            "bot          team     gpt-4o-mini,claude  admin   2025-12-06 05:46:40 UTC\n");
  Rendered c = render_keys(body, true);
  EXPECT_EQ(c.text,
            "id,project,models,source,created_ms\r\n"
            "from-config,default,,config,\r\n"
            "bot,team,\"gpt-4o-mini,claude\",admin,1765000000000\r\n");
}

TEST(CliReports, CreatedKeyPrintsTheSecretOnItsOwnLine) {
  Rendered r = render_key_created(
      R"({"id":"bot","project":"team","models":[],"created_ms":1765000000000,"key":"sk-sluice-abc"})");
  ASSERT_EQ(r.error, "");
  EXPECT_NE(r.text.find("\nsk-sluice-abc\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("created key bot for project team (models: all)"), std::string::npos);
}

TEST(CliReports, RevokedKeySaysWhen) {
  EXPECT_EQ(render_key_revoked(R"({"id":"bot","revoked":true,"revoked_ms":1765000000000})").text,
            "revoked key bot at 2025-12-06 05:46:40 UTC\n");
}

TEST(CliReports, LimitsShowBucketsBudgetsAndQueues) {
  const char* body =
      R"({"limits":[{"id":"project:team","level":"project","requests":{"per_minute":60,)"
      R"("burst":60,"remaining":57,"leased":3},"concurrent":{"limit":4,"leased":1},)"
      R"("reserved_tokens":120,"in_flight":1,"queued":{"team":2}}],)"
      R"("budgets":[{"id":"project:team","day":{"limit_usd":0.3,"spent_usd":0.1,)"
      R"("limit_nusd":300000000,"spent_nusd":100000000},"month":{"limit_usd":0,)"
      R"("spent_usd":0.1,"limit_nusd":0,"spent_nusd":100000000}}],)"
      R"("queues":{"team":2,"default":0},"queue_waits":{"team":{"waited":5,"total_ms":12.500,)"
      R"("max_ms":4.000},"default":{"waited":0,"total_ms":0.000,"max_ms":0.000}}})";
  Rendered r = render_limits(body);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.text,
            "LIMIT         LEVEL    REQ/MIN  REQ LEFT  TOK/MIN  TOK LEFT  CONCURRENT  IN FLIGHT  "
            "RESERVED TOK  QUEUED\n"
            "project:team  project       60        57        -         -         1/4          1  "
            "         120       2\n"
            "\n"
            "BUDGET        SPENT TODAY  PER DAY  SPENT THIS MONTH  PER MONTH\n"
            "project:team         $0.1     $0.3              $0.1          -\n"
            "\n"
            "PROJECT  QUEUED  WAITED  TOTAL WAIT MS  LONGEST WAIT MS\n"
            "team          2       5         12.500            4.000\n"
            "default       0       0          0.000            0.000\n");
}

TEST(CliReports, BreakersShowStateAndCooldown) {
  Rendered r = render_breakers(
      R"({"status":"ready","providers":{"mock":{"breaker":"closed","failures":0,)"
      R"("cooldown_until_ms":0,"cooldown_left_ms":0},"other":{"breaker":"open","failures":5,)"
      R"("cooldown_until_ms":1765000000000,"cooldown_left_ms":12500}}})");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.text,
            "PROVIDER  BREAKER  FAILURES  COOLDOWN LEFT  COOLDOWN UNTIL\n"
            "mock      closed          0              -  -\n"
            "other     open            5         12.5 s  2025-12-06 05:46:40 UTC\n");
}

TEST(CliReports, AnswersOfTheWrongShapeAreErrorsNotCrashes) {
  for (const char* body : {"", "[]", "{", "null", R"({"rows":5,"group_by":[]})", R"({"data":{}})",
                           R"({"providers":[]})"}) {
    EXPECT_NE(render_usage(body, false).error, "") << body;
    EXPECT_NE(render_keys(body, false).error, "") << body;
    EXPECT_NE(render_limits(body).error, "") << body;
    EXPECT_NE(render_breakers(body).error, "") << body;
    EXPECT_NE(render_key_created(body).error, "") << body;
  }
}

TEST(CliReports, ErrorMessageComesFromTheEnvelope) {
  EXPECT_EQ(error_message(R"({"error":{"message":"admin key required","type":"x"}})"),
            "admin key required");
  EXPECT_EQ(error_message(R"({"type":"error","error":{"type":"x","message":"nope"}})"), "nope");
  EXPECT_EQ(error_message("plain\ntext"), "plain text");
}

}  // namespace
}  // namespace sluice::cli
