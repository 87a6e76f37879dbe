// What `sluice ledger export` writes and how it reads its arguments.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sluice/cli/ledger_export.h"

namespace sluice::cli {
namespace {

int64_t ms(std::string_view text) {
  int64_t out = -1;
  std::string err;
  EXPECT_TRUE(parse_time_ms(text, out, err)) << text << ": " << err;
  return out;
}

std::string refused(std::string_view text) {
  int64_t out = 0;
  std::string err;
  EXPECT_FALSE(parse_time_ms(text, out, err)) << text;
  return err;
}

TEST(ExportTime, UnixMillisecondsAreTakenAsIs) {
  EXPECT_EQ(ms("0"), 0);
  EXPECT_EQ(ms("1796083200000"), 1796083200000);
}

TEST(ExportTime, DatesAreMidnightUtc) {
  EXPECT_EQ(ms("1970-01-01"), 0);
  EXPECT_EQ(ms("2026-12-01"), 1796083200000);  // date -u -d 2026-12-01 +%s
  EXPECT_EQ(ms("2000-02-29"), 951782400000);
  EXPECT_EQ(ms("1969-12-31"), -86400000);
}

TEST(ExportTime, TimesWithZoneAndFraction) {
  EXPECT_EQ(ms("2026-12-01T10:00:00Z"), 1796083200000 + 10 * 3600000);
  EXPECT_EQ(ms("2026-12-01T10:00Z"), 1796083200000 + 10 * 3600000);
  EXPECT_EQ(ms("2026-12-01 10:00:00"), 1796083200000 + 10 * 3600000);
  EXPECT_EQ(ms("2026-12-01t10:00:00.25z"), 1796083200000 + 10 * 3600000 + 250);
  EXPECT_EQ(ms("2026-12-01T10:00:00.123456789Z"), 1796083200000 + 10 * 3600000 + 123);
  EXPECT_EQ(ms("2026-12-01T12:00:00+02:00"), 1796083200000 + 10 * 3600000);
  EXPECT_EQ(ms("2026-12-01T08:30:00-01:30"), 1796083200000 + 10 * 3600000);
}

TEST(ExportTime, ImpossibleOrMalformedTimesAreRefused) {
  for (const char* bad : {"",
                          "yesterday",
                          "2026-13-01",
                          "2026-02-29",
                          "2026-02-30",
                          "2026-04-31",
                          "2026-12-00",
                          "2026-12-01T24:00:00Z",
                          "2026-12-01T10:60Z",
                          "2026-12-01T10:00:60Z",
                          "2026-12-01T10",
                          "2026-12-01T10:00:00.Z",
                          "2026-12-01T10:00:00+2",
                          "2026-12-01X",
                          "2026-12-01T10:00:00ZZ",
                          "26-12-01",
                          "2026-1-01",
                          "99999999999999999999",
                          "-5",
                          "1.5e3"})
    EXPECT_NE(refused(bad), "") << bad;
  EXPECT_NE(refused("2026-02-30").find("no such date"), std::string::npos);
}

TEST(ExportArgs, ReadsEveryOption) {
  ExportOptions o;
  std::vector<std::string_view> args = {"--from",   "2026-12-01", "--to=1796169600000",
                                        "--format", "jsonl",      "--config",
                                        "c.json",   "-o",         "out.jsonl"};
  ASSERT_EQ(parse_export_args(args, o), "");
  EXPECT_EQ(o.from_ms, 1796083200000);
  EXPECT_EQ(o.to_ms, 1796169600000);
  EXPECT_EQ(o.format, ExportFormat::jsonl);
  EXPECT_EQ(o.config_path, "c.json");
  EXPECT_EQ(o.output, "out.jsonl");
}

TEST(ExportArgs, BadArgumentsSayWhy) {
  auto err = [](std::vector<std::string_view> args) {
    ExportOptions o;
    return parse_export_args(args, o);
  };
  EXPECT_NE(err({"--format", "xml"}).find("csv or jsonl"), std::string::npos);
  EXPECT_NE(err({"--from"}).find("needs a value"), std::string::npos);
  EXPECT_NE(err({"--colour", "red"}).find("unknown argument"), std::string::npos);
  EXPECT_NE(err({"--from", "2026-12-02", "--to", "2026-12-01"}).find("before"), std::string::npos);
  EXPECT_NE(err({"--to", "tomorrow"}).find("--to: bad time"), std::string::npos);
  EXPECT_EQ(err({}), "");
}

TEST(ExportCsv, FieldsWithSeparatorsAreQuotedAndQuotesDoubled) {
  std::string out;
  append_csv_field(out, "plain");
  out += '|';
  append_csv_field(out, "a,b");
  out += '|';
  append_csv_field(out, "say \"hi\"");
  out += '|';
  append_csv_field(out, "line\r\nbreak");
  out += '|';
  append_csv_field(out, "");
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"line\r\nbreak\"|");
}

Row sample() {
  // The select_list() order: every column but cost_usd.
  return {std::string("id,\"1\""),
          std::string("1796083200000"),
          std::string("k1"),
          std::string("team"),
          std::string("gpt-4o-mini"),
          std::string("mock"),
          std::string("gpt-4o-mini-2024-07-18"),
          std::string("0"),
          std::string("200"),
          std::string("ok"),
          std::string("14"),
          std::string("37"),
          std::string("0"),
          std::string("0"),
          std::string("provider"),
          std::string("24300"),
          std::string("12"),
          std::nullopt,
          std::string("1"),
          std::string(""),
          std::string("req\n\t\x01"),
          std::string("3"),
          std::string("gw-a")};
}

TEST(ExportCsv, HeaderAndRowCarryEveryColumnAndExactCost) {
  std::string out;
  append_header(out, ExportFormat::csv);
  EXPECT_EQ(out,
            "request_id,ts_ms,key_id,project,model,provider,upstream_model,stream,status,outcome,"
            "input_tokens,output_tokens,cached_tokens,reasoning_tokens,usage_source,cost_usd,"
            "cost_nusd,latency_ms,ttft_ms,attempts,error_class,upstream_request_id,overhead_us,"
            "instance\r\n");
  out.clear();
  append_row(out, ExportFormat::csv, sample());
  EXPECT_EQ(out,
            "\"id,\"\"1\"\"\",1796083200000,k1,team,gpt-4o-mini,mock,gpt-4o-mini-2024-07-18,0,200,"
            "ok,14,37,0,0,provider,0.0000243,24300,12,,1,,\"req\n\t\x01\",3,gw-a\r\n");
  EXPECT_EQ(select_list().find("cost_usd"), std::string::npos);
}

TEST(ExportJsonl, OneObjectPerLineWithEscapesNumbersAndNull) {
  std::string out;
  append_header(out, ExportFormat::jsonl);
  EXPECT_EQ(out, "");
  append_row(out, ExportFormat::jsonl, sample());
  EXPECT_EQ(out,
            "{\"request_id\":\"id,\\\"1\\\"\",\"ts_ms\":1796083200000,\"key_id\":\"k1\","
            "\"project\":\"team\",\"model\":\"gpt-4o-mini\",\"provider\":\"mock\","
            "\"upstream_model\":\"gpt-4o-mini-2024-07-18\",\"stream\":0,\"status\":200,"
            "\"outcome\":\"ok\",\"input_tokens\":14,\"output_tokens\":37,\"cached_tokens\":0,"
            "\"reasoning_tokens\":0,\"usage_source\":\"provider\",\"cost_usd\":0.0000243,"
            "\"cost_nusd\":24300,\"latency_ms\":12,\"ttft_ms\":null,\"attempts\":1,"
            "\"error_class\":\"\",\"upstream_request_id\":\"req\\n\\t\\u0001\","
            "\"overhead_us\":3,\"instance\":\"gw-a\"}\n");
}

TEST(ExportJsonl, NumberColumnHoldingTextStaysValidJson) {
  Row r = sample();
  r[8] = std::string("two hundred");  // status
  r[15] = std::string("007");         // cost_nusd: not a JSON number
  std::string out;
  append_row(out, ExportFormat::jsonl, r);
  EXPECT_NE(out.find("\"status\":\"two hundred\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"cost_usd\":null,\"cost_nusd\":\"007\""), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::cli
