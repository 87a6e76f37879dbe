#pragma once
// The `requests` table of CONTRACT.md "Ledger (SQLite)" and how a connection is set up
// for it. Private to src/ledger.

#include <sqlite3.h>

namespace sluice::ledger::schema {

// PRAGMA user_version of the schema this code writes. A database with a higher
// version was written by a newer sluice and is refused rather than misread.
// 2: upstream_request_id; 3: cost_nusd; 4: overhead_us; 5: instance
inline constexpr int kVersion = 5;

// WAL, synchronous=NORMAL, then the table and its index (idempotent), the migration of a
// table of an older version (in the same transaction), then the version.
// Throws std::runtime_error on failure (setup code).
void prepare_for_writing(sqlite3* db, const char* path);

// The INSERT the writer prepares once; parameters ?1..?23 in Record field order.
extern const char* const kInsertSql;

}  // namespace sluice::ledger::schema
