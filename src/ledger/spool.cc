#include "spool.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "sqlite_rows.h"

namespace sluice::ledger {
namespace {

constexpr const char* kCreateSql = R"sql(
CREATE TABLE IF NOT EXISTS spool (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  row_id           TEXT    NOT NULL,
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
  error_class      TEXT    NOT NULL,
  upstream_request_id TEXT NOT NULL,
  overhead_us      INTEGER,
  instance         TEXT    NOT NULL DEFAULT ''
))sql";

// Columns a spool file left by an older sluice lacks, added in order: overhead_us (its
// rows keep NULL), then instance (its rows keep '', as in a v4 ledger).
constexpr std::pair<const char*, const char*> kAddedColumns[] = {
    {"overhead_us", "ALTER TABLE spool ADD COLUMN overhead_us INTEGER"},
    {"instance", "ALTER TABLE spool ADD COLUMN instance TEXT NOT NULL DEFAULT ''"},
};

constexpr const char* kFields =
    "request_id, ts_ms, key_id, project, model, provider, upstream_model, stream, status, "
    "outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, usage_source, "
    "cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id, overhead_us, "
    "instance";

}  // namespace

Spool::Spool(const std::string& path) : path_(path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  db_ = sqlite::open(path, /*read_only=*/false, /*busy_timeout_ms=*/5000);
  sqlite3_extended_result_codes(db_.get(), 1);
  std::string error;
  if (!sqlite::exec(db_.get(), "PRAGMA journal_mode=WAL", &error) ||
      !sqlite::exec(db_.get(), "PRAGMA synchronous=NORMAL", &error) ||
      !sqlite::exec(db_.get(), kCreateSql, &error))
    throw std::runtime_error("ledger spool " + path + ": " + error);
  for (const auto& [column, add_sql] : kAddedColumns) {
    sqlite::Stmt has = sqlite::prepare(
        db_.get(),
        std::string("SELECT 1 FROM pragma_table_info('spool') WHERE name = '") + column + "'",
        &error);
    if (!has) throw std::runtime_error("ledger spool " + path + ": " + error);
    const int rc = sqlite3_step(has.get());
    if (rc == SQLITE_DONE && !sqlite::exec(db_.get(), add_sql, &error))
      throw std::runtime_error("ledger spool " + path + ": " + error);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      throw std::runtime_error("ledger spool " + path + ": " + sqlite::last_error(db_.get()));
  }
  insert_ = sqlite::prepare(db_.get(),
                            std::string("INSERT INTO spool (row_id, ") + kFields +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                            &error);
  if (insert_)
    select_ = sqlite::prepare(db_.get(),
                              std::string("SELECT seq, row_id, ") + kFields +
                                  " FROM spool WHERE seq > ?2 ORDER BY seq LIMIT ?1",
                              &error);
  if (select_) delete_ = sqlite::prepare(db_.get(), "DELETE FROM spool WHERE seq <= ?1", &error);
  if (!delete_) throw std::runtime_error("ledger spool " + path + ": " + error);
  sqlite::Stmt count = sqlite::prepare(db_.get(), "SELECT count(*) FROM spool", &error);
  if (!count || sqlite3_step(count.get()) != SQLITE_ROW)
    throw std::runtime_error("ledger spool " + path + ": " + sqlite::last_error(db_.get()));
  backlog_ = static_cast<uint64_t>(sqlite3_column_int64(count.get(), 0));
}

SinkResult Spool::fail(int rc) {
  SinkResult r;
  r.ok = false;
  r.cause = sqlite::cause_of(rc);
  r.error = "ledger spool " + path_ + ": " + sqlite::last_error(db_.get());
  sqlite::exec(db_.get(), "ROLLBACK", nullptr);
  return r;
}

SinkResult Spool::append(const std::vector<Record>& rows, const std::vector<std::string>& ids) {
  int rc = sqlite3_exec(db_.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(rc);
  for (size_t i = 0; i < rows.size(); ++i) {
    sqlite3_bind_text(insert_.get(), 1, ids[i].data(), static_cast<int>(ids[i].size()),
                      SQLITE_STATIC);
    sqlite::bind_record(insert_.get(), rows[i], 2);
    rc = sqlite3_step(insert_.get());
    sqlite3_reset(insert_.get());
    if (rc != SQLITE_DONE) return fail(rc);
  }
  rc = sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(rc);
  backlog_ += rows.size();
  return {};
}

SinkResult Spool::oldest(size_t limit, std::vector<Record>& rows, std::vector<std::string>& ids,
                         int64_t& last) {
  rows.clear();
  ids.clear();
  sqlite3_bind_int64(select_.get(), 1, static_cast<int64_t>(limit));
  sqlite3_bind_int64(select_.get(), 2, sent_through_);
  int rc;
  while ((rc = sqlite3_step(select_.get())) == SQLITE_ROW) {
    last = sqlite3_column_int64(select_.get(), 0);
    const unsigned char* id = sqlite3_column_text(select_.get(), 1);
    ids.emplace_back(id ? reinterpret_cast<const char*>(id) : "");
    rows.push_back(sqlite::read_record(select_.get(), 2));
  }
  sqlite3_reset(select_.get());
  if (rc != SQLITE_DONE) return fail(rc);
  return {};
}

SinkResult Spool::remove_through(int64_t last, size_t rows) {
  sent_through_ = std::max(sent_through_, last);
  backlog_ = backlog_ > rows ? backlog_ - rows : 0;
  const int rc = delete_sent();
  if (rc != SQLITE_DONE) return fail(rc);
  return {};
}

bool Spool::tidy() {
  if (!undeleted_) return true;
  if (delete_sent() == SQLITE_DONE) return true;
  sqlite::exec(db_.get(), "ROLLBACK", nullptr);
  return false;
}

int Spool::delete_sent() {
  sqlite3_bind_int64(delete_.get(), 1, sent_through_);
  const int rc = sqlite3_step(delete_.get());
  sqlite3_reset(delete_.get());
  undeleted_ = rc != SQLITE_DONE;
  return rc;
}

}  // namespace sluice::ledger
