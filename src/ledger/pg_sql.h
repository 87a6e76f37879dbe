#pragma once
// The SQL the ledger sends PostgreSQL, built here so it can be tested without a server.
// Private to src/ledger.

#include <cstddef>
#include <string>
#include <string_view>

#include "sluice/ledger/record.h"

namespace sluice::ledger::pg {

// Schema version this code writes into sluice_schema_version (the same number as the
// SQLite file's user_version; a newer one is refused).
inline constexpr int kVersion = 5;
// Rows per COPY when the spool is replayed (and read from it in one go).
inline constexpr size_t kRowsPerStatement = 1000;

// Creates the version table and `requests` if missing and adds columns an older table
// lacks, under a transaction-scoped advisory lock so two instances starting together do
// not race. Run inside BEGIN .. COMMIT.
extern const char* const kMigrateSql;

// A batch goes in as COPY into a per-connection temporary table (emptied at each commit),
// then one INSERT .. SELECT into `requests` that skips a row whose row_id is already
// there, so a replayed batch never doubles a row. COPY's text format carries a batch
// with no per-row statement and no parameter limit.
extern const char* const kStageSql;  // CREATE TEMP TABLE requests_in, once per connection
extern const char* const kCopySql;   // COPY requests_in (...) FROM STDIN
extern const char* const kMergeSql;  // INSERT INTO requests SELECT .. ON CONFLICT DO NOTHING

// One line of COPY text format for `r` with `row_id`: 24 tab-separated fields in
// kCopySql's column order, \N for a NULL ttft_ms, backslash, tab, newline and carriage
// return escaped, text cleaned as clean_text() does.
void append_copy_row(std::string& out, std::string_view row_id, const Record& r);

// Deletes at most $2 rows with ts_ms < $1.
extern const char* const kDeleteBeforeSql;

// `text` as PostgreSQL accepts it in a UTF8 database: NUL bytes and invalid UTF-8
// (a client-chosen request id may hold anything) become U+FFFD, so one odd row can
// never block a batch, or the spool behind it, forever.
std::string clean_text(std::string_view text);

}  // namespace sluice::ledger::pg
