// The SQL the postgres ledger sends (src/ledger/pg_sql.cc), checked without a server:
// the multi-row INSERT's placeholders and conflict clause, and text cleaning.
#include "../../src/ledger/pg_sql.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace sluice::ledger::pg {
namespace {

Record record() {
  Record r;
  r.request_id = "req-1";
  r.ts_ms = 1795305600123;
  r.key_id = "k";
  r.project = "support";
  r.model = "gpt-4o";
  r.provider = "openai";
  r.upstream_model = "gpt-4o-mini";
  r.stream = true;
  r.status = 200;
  r.input_tokens = 1200;
  r.output_tokens = 350;
  r.cached_tokens = 1024;
  r.reasoning_tokens = 7;
  r.cost_nusd = 4780000;
  r.latency_ms = 2100;
  r.ttft_ms = 190;
  r.attempts = 1;
  return r;
}

TEST(PgSql, CopyRowHasTwentyFourFieldsInColumnOrder) {
  std::string line;
  Record r = record();
  r.overhead_us = 6;
  r.instance = "gw-a";
  append_copy_row(line, "abc-1", r);
  EXPECT_EQ(line,
            "abc-1\treq-1\t1795305600123\tk\tsupport\tgpt-4o\topenai\tgpt-4o-mini\t1\t200\tok\t"
            "1200\t350\t1024\t7\tprovider\t4780000\t2100\t190\t1\t\t\t6\tgw-a\n");
}

TEST(PgSql, CopyRowOfAProcessWithoutAFleetEndsWithAnEmptyInstance) {
  std::string line;
  append_copy_row(line, "abc-4", record());
  EXPECT_TRUE(line.ends_with("\t\n")) << line;
}

TEST(PgSql, CopyRowWritesNullForNoFirstByte) {
  Record r = record();
  r.ttft_ms = -1;
  std::string line;
  append_copy_row(line, "abc-2", r);
  EXPECT_NE(line.find("\t2100\t\\N\t1\t"), std::string::npos) << line;
}

TEST(PgSql, CopyRowWritesNullForNoOverhead) {
  Record r = record();
  r.overhead_us = -1;  // never dispatched
  std::string line;
  append_copy_row(line, "abc-3", r);
  EXPECT_TRUE(line.ends_with("\t\\N\t\n")) << line;
}

TEST(PgSql, CopyRowEscapesWhatCopyTextFormatReserves) {
  Record r = record();
  r.request_id = std::string("a\tb\nc\rd\\e\0f\xff", 12);
  std::string line;
  append_copy_row(line, "x", r);
  EXPECT_EQ(line.substr(0, line.find("\t1795305600123")),
            "x\ta\\tb\\nc\\rd\\\\e\xef\xbf\xbd"
            "f\xef\xbf\xbd");
  EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 23);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST(PgSql, MergeSkipsRowsAlreadyThereByRowId) {
  const std::string sql = kMergeSql;
  EXPECT_EQ(sql.find("INSERT INTO requests (row_id, request_id, ts_ms,"), 0u) << sql;
  EXPECT_NE(sql.find("FROM requests_in ON CONFLICT (row_id) DO NOTHING"), std::string::npos);
  EXPECT_NE(std::string(kCopySql).find("COPY requests_in (row_id, request_id,"), std::string::npos);
  EXPECT_NE(std::string(kStageSql).find("ON COMMIT DELETE ROWS"), std::string::npos);
}

TEST(PgSql, SchemaKeysRowsByRowIdAndDerivesCostUsdFromTheInteger) {
  const std::string sql = kMigrateSql;
  EXPECT_NE(sql.find("row_id           TEXT    PRIMARY KEY"), std::string::npos);
  EXPECT_NE(sql.find("cost_nusd        BIGINT  NOT NULL"), std::string::npos);
  EXPECT_NE(sql.find("GENERATED ALWAYS AS (cost_nusd::numeric / 1000000000) STORED"),
            std::string::npos);
  EXPECT_NE(sql.find("pg_advisory_xact_lock"), std::string::npos);
}

TEST(PgSql, CleanTextKeepsValidUtf8) {
  EXPECT_EQ(clean_text("req-1"), "req-1");
  EXPECT_EQ(clean_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(PgSql, CleanTextReplacesWhatPostgresRefuses) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(clean_text(std::string("a\0b", 3)), "a" + fffd + "b");       // NUL
  EXPECT_EQ(clean_text("a\xff"), "a" + fffd);                            // not UTF-8
  EXPECT_EQ(clean_text("\xc0\xaf"), fffd + fffd);                        // overlong
  EXPECT_EQ(clean_text("\xed\xa0\x80"), fffd + fffd + fffd);             // surrogate
  EXPECT_EQ(clean_text("\xe2\x82"), fffd + fffd);                        // cut short
  EXPECT_EQ(clean_text("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // past U+10FFFF
}

}  // namespace
}  // namespace sluice::ledger::pg
