// Specification of the command line's tables, CSV (RFC 4180) and time forms.

#include "sluice/cli/table.h"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

Table sample() {
  Table t;
  t.add_column("ID");
  t.add_column("REQUESTS", true);
  t.rows = {{"support-bot", "7"}, {"x", "1234"}};
  return t;
}

TEST(CliTable, ColumnsAlignAndNumbersSitRight) {
  EXPECT_EQ(render_table(sample()),
            "ID           REQUESTS\n"
            "support-bot         7\n"
            "x                1234\n");
}

TEST(CliTable, NoTrailingSpacesAndAnEmptyTableSaysNone) {
  Table t;
  t.add_column("ID");
  t.add_column("PROJECT");
  t.rows = {{"a", ""}};
  EXPECT_EQ(render_table(t), "ID  PROJECT\na\n");
  t.rows.clear();
  EXPECT_EQ(render_table(t), "ID  PROJECT\n(none)\n");
}

TEST(CliTable, WidthCountsCodePointsNotBytes) {
  Table t;
  t.add_column("P");
  t.add_column("N", true);
  t.rows = {{"café", "1"}, {"abcde", "2"}};
  EXPECT_EQ(render_table(t), "P      N\ncafé   1\nabcde  2\n");
}

TEST(CliTable, ControlCharactersCannotReachTheTerminal) {
  Table t;
  t.add_column("ID");
  t.rows = {{"a\x1b[2Jb\n"}};
  EXPECT_EQ(render_table(t), "ID\na?[2Jb?\n");
}

TEST(CliCsv, PlainFieldsStayBareAndRecordsEndInCrLf) {
  EXPECT_EQ(render_csv(sample()), "ID,REQUESTS\r\nsupport-bot,7\r\nx,1234\r\n");
}

TEST(CliCsv, CommaQuoteAndLineBreaksAreQuoted) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("0.00243"), "0.00243");
}

TEST(CliCsv, ShortRowsGetEmptyFields) {
  Table t;
  t.add_column("a");
  t.add_column("b");
  t.add_column("c");
  t.rows = {{"1"}};
  EXPECT_EQ(render_csv(t), "a,b,c\r\n1,,\r\n");
}

TEST(CliTime, MillisecondsPrintAsUtcDateTime) {
  EXPECT_EQ(format_time_ms(1765000000000), "2025-12-06 05:46:40 UTC");
  EXPECT_EQ(format_time_ms(0), "-");
  EXPECT_EQ(format_time_ms(-5), "-");
}

TEST(CliTime, DurationsPickAReadableUnit) {
  EXPECT_EQ(format_duration_ms(950), "950 ms");
  EXPECT_EQ(format_duration_ms(12500), "12.5 s");
  EXPECT_EQ(format_duration_ms(30000), "30 s");
  EXPECT_EQ(format_duration_ms(200000), "3 min 20 s");
  EXPECT_EQ(format_duration_ms(7500000), "2 h 5 min");
}

}  // namespace
}  // namespace sluice::cli
