#pragma once
// `sluice ledger export`: the ledger's `requests` rows in a time range, in ts_ms order,
// as CSV (RFC 4180) or JSON Lines, read from the ledger the config names (its SQLite
// file or its PostgreSQL database) and streamed: rows are written as they are read.
// docs/LEDGER.md "Export".

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

enum class ExportFormat : uint8_t { csv, jsonl };

struct ExportOptions {
  int64_t from_ms = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t to_ms = std::numeric_limits<int64_t>::max();    // exclusive
  ExportFormat format = ExportFormat::csv;
  std::string config_path;  // empty: the gateway's default
  std::string output;       // empty: stdout
  bool help = false;
};

// A --from / --to value as Unix milliseconds: digits (Unix ms), or an ISO-8601 date or
// date and time, UTC unless an offset is given: 2026-12-01, 2026-12-01T10:00Z,
// 2026-12-01T10:00:00Z, 2026-12-01 10:00:00.250, 2026-12-01T12:00:00+02:00. False with
// `error` set on anything else (an impossible date included: 2026-02-30).
bool parse_time_ms(std::string_view text, int64_t& out, std::string& error);

// The arguments after `sluice ledger export`. Empty, or the message for a bad one.
std::string parse_export_args(const std::vector<std::string_view>& args, ExportOptions& out);

// One column of the export: its name and how its value is written.
enum class ColumnKind : uint8_t {
  text,          // a JSON string
  integer,       // a JSON number
  nullable_int,  // a JSON number or null (CSV: empty)
  usd,           // cost_usd: derived from cost_nusd, an exact decimal
};
struct Column {
  const char* name;
  ColumnKind kind;
};
// Every column of `requests`, in export order; cost_usd is computed, not read.
const std::vector<Column>& export_columns();
// The columns read from the database, in the order the reader returns them: every
// export column but cost_usd.
std::string select_list();

// A row as read: one value per select_list() column, nullopt for NULL.
using Row = std::vector<std::optional<std::string>>;

// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled.
void append_csv_field(std::string& out, std::string_view v);
// The header line and a row, each ending in CRLF (CSV) or LF (JSONL; no header).
void append_header(std::string& out, ExportFormat format);
void append_row(std::string& out, ExportFormat format, const Row& row);

// `sluice ledger ...`, argv as main got it (argv[1] == "ledger"). The exit status:
// 0, 1 (missing ledger, database or write error), 2 (bad arguments).
int ledger_command(int argc, char** argv);

}  // namespace sluice::cli
