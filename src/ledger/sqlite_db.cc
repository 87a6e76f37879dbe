#include "sqlite_db.h"

#include <stdexcept>

namespace sluice::ledger::sqlite {

Db open(const std::string& path, bool read_only, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the writer, or the
  // control thread behind the reader's mutex), so SQLite's own locking is overhead.
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("ledger " + path + ": " +
                             (raw ? last_error(raw) : std::string(sqlite3_errstr(rc))));
  }
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

bool exec(sqlite3* db, const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  if (error) *error = message ? message : last_error(db);
  sqlite3_free(message);
  return false;
}

Stmt prepare(sqlite3* db, const std::string& sql, std::string* error) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &raw, nullptr) != SQLITE_OK) {
    if (error) *error = last_error(db);
    return Stmt();
  }
  return Stmt(raw);
}

std::string last_error(sqlite3* db) { return sqlite3_errmsg(db); }

}  // namespace sluice::ledger::sqlite
