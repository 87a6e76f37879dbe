#pragma once
// The SQL the ledger sends PostgreSQL, built here so it can be tested without a server.
// Private to src/ledger.

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::ledger::pg {

// Schema version this code writes into sluice_schema_version (the same number as the
// SQLite file's user_version; a newer one is refused).
inline constexpr int kVersion = 3;
// Columns per row in an INSERT: row_id, then Record's 21 fields in order.
inline constexpr size_t kColumnsPerRow = 22;
// Rows per INSERT statement: 22,000 parameters, well under PostgreSQL's 65,535.
inline constexpr size_t kRowsPerStatement = 1000;

// Creates the version table and `requests` if missing and adds columns an older table
// lacks, under a transaction-scoped advisory lock so two instances starting together do
// not race. Run inside BEGIN .. COMMIT.
extern const char* const kMigrateSql;

// INSERT of `rows` rows ($1..$rows*22, row by row) that skips a row whose row_id is
// already there, so a replayed batch never doubles a row.
std::string insert_sql(size_t rows);

// Deletes at most $2 rows with ts_ms < $1.
extern const char* const kDeleteBeforeSql;

// `text` as PostgreSQL accepts it in a UTF8 database: NUL bytes and invalid UTF-8
// (a client-chosen request id may hold anything) become U+FFFD, so one odd row can
// never block a batch, or the spool behind it, forever.
std::string clean_text(std::string_view text);

}  // namespace sluice::ledger::pg
