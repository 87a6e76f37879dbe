#pragma once
// Output for people and for scripts: aligned text tables, RFC 4180 CSV, and the
// time forms both use. Cells are strings as the admin API gave them (money stays the
// exact decimal text it arrived as).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

struct Table {
  std::vector<std::string> columns;  // header cells
  std::vector<bool> numeric;         // per column: right-aligned (missing: left)
  std::vector<std::vector<std::string>> rows;

  void add_column(std::string name, bool is_numeric = false) {
    columns.push_back(std::move(name));
    numeric.push_back(is_numeric);
  }
};

// Columns separated by two spaces, padded to the widest cell (counted in UTF-8 code
// points), numbers right-aligned, no trailing spaces, one '\n' per line. Control
// characters in cells print as '?', so a name cannot move the terminal's cursor.
// A table without rows prints its header and "(none)".
std::string render_table(const Table& table);

// RFC 4180: CRLF line ends, a header record, and a field quoted when it holds a comma,
// a double quote, CR or LF (quotes doubled inside).
std::string render_csv(const Table& table);
std::string csv_field(std::string_view field);

// Unix milliseconds as "2026-12-07 03:10:23 UTC"; "-" for 0 or less.
std::string format_time_ms(int64_t ms);
// A span of milliseconds as "950 ms", "12.5 s", "3 min 20 s", "2 h 5 min".
std::string format_duration_ms(int64_t ms);

}  // namespace sluice::cli
