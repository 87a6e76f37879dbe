#pragma once
// Small RAII layer over the SQLite C API for the ledger's two connections (the writer
// thread's and the control thread's read-only one). Private to src/ledger.

#include <sqlite3.h>

#include <memory>
#include <string>

namespace sluice::ledger::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Opens `path` (read-write and created if missing, or read-only) with a busy timeout.
// Throws std::runtime_error naming the path and SQLite's message.
Db open(const std::string& path, bool read_only, int busy_timeout_ms);

// Runs statements that return no rows. On failure: false, `error` holds the message.
bool exec(sqlite3* db, const char* sql, std::string* error);

// Prepares one statement; a null Stmt and `error` on failure.
Stmt prepare(sqlite3* db, const std::string& sql, std::string* error);

// Message of the last failed call on `db`.
std::string last_error(sqlite3* db);

}  // namespace sluice::ledger::sqlite
