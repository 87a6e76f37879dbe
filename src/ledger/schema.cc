#include "schema.h"

#include <stdexcept>
#include <string>

#include "sqlite_db.h"

namespace sluice::ledger::schema {
namespace {

// Column order is Record's field order; kInsertSql binds in the same order. Columns
// added by a later version come last, with a default, so older rows stay readable.
// ttft_ms is NULL when no byte reached the client. No key on request_id: clients
// choose it and may reuse it.
constexpr const char* kCreateSql = R"sql(
CREATE TABLE IF NOT EXISTS requests (
  request_id       TEXT    NOT NULL,
  ts_ms            INTEGER NOT NULL,
  key_id           TEXT    NOT NULL,
  project          TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  provider         TEXT    NOT NULL,
  upstream_model   TEXT    NOT NULL,
  stream           INTEGER NOT NULL,
  status           INTEGER NOT NULL,
  outcome          TEXT    NOT NULL,
  input_tokens     INTEGER NOT NULL,
  output_tokens    INTEGER NOT NULL,
  cached_tokens    INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  usage_source     TEXT    NOT NULL,
  cost_usd         REAL    NOT NULL,
  latency_ms       INTEGER NOT NULL,
  ttft_ms          INTEGER,
  attempts         INTEGER NOT NULL,
  error_class      TEXT    NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS requests_ts_ms ON requests (ts_ms);
)sql";

[[noreturn]] void fail(const char* path, const std::string& what) {
  throw std::runtime_error(std::string("ledger ") + path + ": " + what);
}

void run(sqlite3* db, const char* path, const char* sql) {
  std::string error;
  if (!sqlite::exec(db, sql, &error)) fail(path, error);
}

// A single-value PRAGMA, read as text.
std::string pragma_text(sqlite3* db, const char* path, const char* sql) {
  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(db, sql, &error);
  if (!stmt) fail(path, error);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) fail(path, sqlite::last_error(db));
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return text ? reinterpret_cast<const char*>(text) : "";
}

// Version 2 added upstream_request_id. A table created by version 1 (CREATE TABLE IF
// NOT EXISTS leaves it as it is) gets the column, its rows the empty default.
void add_missing_columns(sqlite3* db, const char* path) {
  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(
      db, "SELECT 1 FROM pragma_table_info('requests') WHERE name = 'upstream_request_id'", &error);
  if (!stmt) fail(path, error);
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return;
  if (rc != SQLITE_DONE) fail(path, sqlite::last_error(db));
  stmt.reset();
  run(db, path, "ALTER TABLE requests ADD COLUMN upstream_request_id TEXT NOT NULL DEFAULT ''");
}

}  // namespace

const char* const kInsertSql =
    "INSERT INTO requests (request_id, ts_ms, key_id, project, model, provider, upstream_model, "
    "stream, status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "usage_source, cost_usd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21)";

void prepare_for_writing(sqlite3* db, const char* path) {
  // WAL: readers never block the writer, and a killed process leaves every committed
  // transaction readable. NORMAL: commits do not fsync; a power loss (not a crash) may
  // lose the last transactions, never corrupt the file.
  if (pragma_text(db, path, "PRAGMA journal_mode=WAL") != "wal") {
    fail(path, "cannot switch to WAL mode (is it on a network file system?)");
  }
  run(db, path, "PRAGMA synchronous=NORMAL");
  const int version = std::stoi(pragma_text(db, path, "PRAGMA user_version"));
  if (version > kVersion) {
    fail(path, "schema version " + std::to_string(version) + " is newer than this sluice (" +
                   std::to_string(kVersion) + ")");
  }
  run(db, path, "BEGIN IMMEDIATE");
  std::string error;
  if (!sqlite::exec(db, kCreateSql, &error)) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    fail(path, error);
  }
  try {
    add_missing_columns(db, path);
  } catch (...) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    throw;
  }
  if (!sqlite::exec(db, ("PRAGMA user_version=" + std::to_string(kVersion)).c_str(), &error) ||
      !sqlite::exec(db, "COMMIT", &error)) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    fail(path, error);
  }
}

}  // namespace sluice::ledger::schema
