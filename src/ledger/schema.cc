#include "schema.h"

#include <stdexcept>
#include <string>

#include "sqlite_db.h"

namespace sluice::ledger::schema {
namespace {

// Column order is Record's field order; kInsertSql binds in the same order. ttft_ms is
// NULL when no byte reached the client. No key on request_id: clients choose it and may
// reuse it. cost_usd is derived from cost_nusd by SQLite itself (a virtual generated
// column, never written), so the two can never disagree; it is a REAL for the queries
// written before version 3, and exact sums use cost_nusd. overhead_us (version 4) comes
// last, where ALTER TABLE puts it in an older table, and is NULL for a request never
// dispatched upstream. instance (version 5) follows it, '' on older rows and on a
// process without a fleet.
constexpr const char* kColumns = R"sql((
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
  cost_nusd        INTEGER NOT NULL,
  latency_ms       INTEGER NOT NULL,
  ttft_ms          INTEGER,
  attempts         INTEGER NOT NULL,
  error_class      TEXT    NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT '',
  cost_usd         REAL    GENERATED ALWAYS AS (cost_nusd / 1e9) VIRTUAL,
  overhead_us      INTEGER,
  instance         TEXT    NOT NULL DEFAULT ''
))sql";

const std::string kCreateSql = std::string("CREATE TABLE IF NOT EXISTS requests ") + kColumns +
                               ";\nCREATE INDEX IF NOT EXISTS requests_ts_ms ON requests (ts_ms);";

// Version 3: cost in integer nano-USD. SQLite cannot turn a stored column into a
// generated one, so the table is rebuilt (inside the caller's transaction): every row is
// copied, its REAL cost_usd rounded to the nearest nano-USD. Old costs were doubles of
// at most a few dollars, well inside the 15 significant digits a double holds, so the
// rounding recovers the cost the old code meant.
const std::string kToNanoSql =
    std::string("CREATE TABLE requests_v3 ") + kColumns +
    ";\n"
    "INSERT INTO requests_v3 (request_id, ts_ms, key_id, project, model, provider, "
    "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
    "reasoning_tokens, usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, "
    "upstream_request_id) "
    "SELECT request_id, ts_ms, key_id, project, model, provider, upstream_model, stream, "
    "status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "usage_source, CAST(round(cost_usd * 1e9) AS INTEGER), latency_ms, ttft_ms, attempts, "
    "error_class, upstream_request_id FROM requests ORDER BY rowid;\n"
    "DROP TABLE requests;\n"
    "ALTER TABLE requests_v3 RENAME TO requests;\n"
    "CREATE INDEX requests_ts_ms ON requests (ts_ms);";

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

bool has_column(sqlite3* db, const char* path, const char* name) {
  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(
      db, std::string("SELECT 1 FROM pragma_table_xinfo('requests') WHERE name = '") + name + "'",
      &error);
  if (!stmt) fail(path, error);
  const int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(path, sqlite::last_error(db));
  return rc == SQLITE_ROW;
}

// Brings a table written by an older version (CREATE TABLE IF NOT EXISTS leaves it as it
// is) to this one, by what it lacks rather than by its version number, so a file whose
// version and columns disagree is still repaired.
void migrate(sqlite3* db, const char* path) {
  // Version 2 added upstream_request_id; version 1 rows get the empty default.
  if (!has_column(db, path, "upstream_request_id"))
    run(db, path, "ALTER TABLE requests ADD COLUMN upstream_request_id TEXT NOT NULL DEFAULT ''");
  // Version 3: integer nano-USD.
  if (!has_column(db, path, "cost_nusd")) run(db, path, kToNanoSql.c_str());
  // Version 4 added overhead_us; older rows keep NULL (not measured).
  if (!has_column(db, path, "overhead_us"))
    run(db, path, "ALTER TABLE requests ADD COLUMN overhead_us INTEGER");
  // Version 5 added instance; older rows were written before fleets named their rows.
  if (!has_column(db, path, "instance"))
    run(db, path, "ALTER TABLE requests ADD COLUMN instance TEXT NOT NULL DEFAULT ''");
}

}  // namespace

const char* const kInsertSql =
    "INSERT INTO requests (request_id, ts_ms, key_id, project, model, provider, upstream_model, "
    "stream, status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id, "
    "overhead_us, instance) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19, ?20, ?21, ?22, ?23)";

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
  if (!sqlite::exec(db, kCreateSql.c_str(), &error)) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    fail(path, error);
  }
  try {
    migrate(db, path);
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
