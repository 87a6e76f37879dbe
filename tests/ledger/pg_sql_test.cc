// The SQL the postgres ledger sends (src/ledger/pg_sql.cc), checked without a server:
// the multi-row INSERT's placeholders and conflict clause, and text cleaning.
#include "../../src/ledger/pg_sql.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::ledger::pg {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(PgSql, InsertOfOneRowHasTwentyTwoPlaceholdersInOrder) {
  const std::string sql = insert_sql(1);
  EXPECT_NE(sql.find("($1,$2,$3,"), std::string::npos) << sql;
  EXPECT_NE(sql.find(",$22)"), std::string::npos) << sql;
  EXPECT_EQ(sql.find("$23"), std::string::npos) << sql;
  EXPECT_EQ(count(sql, "$"), kColumnsPerRow);
}

TEST(PgSql, InsertOfManyRowsNumbersParametersRowByRow) {
  const std::string sql = insert_sql(3);
  EXPECT_NE(sql.find("($23,$24,"), std::string::npos) << sql;
  EXPECT_NE(sql.find(",$66)"), std::string::npos) << sql;
  EXPECT_EQ(count(sql, "),("), 2u);
}

TEST(PgSql, InsertSkipsRowsAlreadyThereByRowId) {
  const std::string sql = insert_sql(2);
  EXPECT_NE(sql.find("INSERT INTO requests (row_id, request_id, ts_ms,"), std::string::npos);
  EXPECT_EQ(sql.substr(sql.size() - 31), "ON CONFLICT (row_id) DO NOTHING");
}

TEST(PgSql, AFullStatementStaysUnderThePostgresParameterLimit) {
  EXPECT_LE(kRowsPerStatement * kColumnsPerRow, 65535u);
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
