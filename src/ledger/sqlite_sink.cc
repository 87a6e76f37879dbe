// The SQLite backend of the ledger: one transaction per batch on the writer's own
// connection, and the shared helpers of sqlite_rows.h.

#include <stdexcept>
#include <string>
#include <string_view>

#include "schema.h"
#include "sink.h"
#include "sqlite_db.h"
#include "sqlite_rows.h"

namespace sluice::ledger {
namespace sqlite {
namespace {

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  // STATIC: the record outlives the step that reads it.
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string column_string(sqlite3_stmt* stmt, int index) {
  const unsigned char* text = sqlite3_column_text(stmt, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, index)));
}

}  // namespace

void bind_record(sqlite3_stmt* stmt, const Record& r, int first) {
  const int o = first - 1;
  bind_text(stmt, o + 1, r.request_id);
  sqlite3_bind_int64(stmt, o + 2, r.ts_ms);
  bind_text(stmt, o + 3, r.key_id);
  bind_text(stmt, o + 4, r.project);
  bind_text(stmt, o + 5, r.model);
  bind_text(stmt, o + 6, r.provider);
  bind_text(stmt, o + 7, r.upstream_model);
  sqlite3_bind_int(stmt, o + 8, r.stream ? 1 : 0);
  sqlite3_bind_int(stmt, o + 9, r.status);
  bind_text(stmt, o + 10, to_text(r.outcome));
  sqlite3_bind_int64(stmt, o + 11, r.input_tokens);
  sqlite3_bind_int64(stmt, o + 12, r.output_tokens);
  sqlite3_bind_int64(stmt, o + 13, r.cached_tokens);
  sqlite3_bind_int64(stmt, o + 14, r.reasoning_tokens);
  bind_text(stmt, o + 15, to_text(r.usage_source));
  sqlite3_bind_int64(stmt, o + 16, r.cost_nusd);
  sqlite3_bind_int64(stmt, o + 17, r.latency_ms);
  if (r.ttft_ms < 0) {
    sqlite3_bind_null(stmt, o + 18);
  } else {
    sqlite3_bind_int64(stmt, o + 18, r.ttft_ms);
  }
  sqlite3_bind_int(stmt, o + 19, r.attempts);
  bind_text(stmt, o + 20, r.error_class);
  bind_text(stmt, o + 21, r.upstream_request_id);
  if (r.overhead_us < 0) {
    sqlite3_bind_null(stmt, o + 22);
  } else {
    sqlite3_bind_int64(stmt, o + 22, r.overhead_us);
  }
  bind_text(stmt, o + 23, r.instance);
}

Record read_record(sqlite3_stmt* stmt, int first) {
  const int o = first;
  Record r;
  r.request_id = column_string(stmt, o + 0);
  r.ts_ms = sqlite3_column_int64(stmt, o + 1);
  r.key_id = column_string(stmt, o + 2);
  r.project = column_string(stmt, o + 3);
  r.model = column_string(stmt, o + 4);
  r.provider = column_string(stmt, o + 5);
  r.upstream_model = column_string(stmt, o + 6);
  r.stream = sqlite3_column_int(stmt, o + 7) != 0;
  r.status = static_cast<uint16_t>(sqlite3_column_int(stmt, o + 8));
  r.outcome = parse_outcome(column_string(stmt, o + 9)).value_or(Outcome::ok);
  r.input_tokens = static_cast<uint32_t>(sqlite3_column_int64(stmt, o + 10));
  r.output_tokens = static_cast<uint32_t>(sqlite3_column_int64(stmt, o + 11));
  r.cached_tokens = static_cast<uint32_t>(sqlite3_column_int64(stmt, o + 12));
  r.reasoning_tokens = static_cast<uint32_t>(sqlite3_column_int64(stmt, o + 13));
  r.usage_source = parse_usage_source(column_string(stmt, o + 14)).value_or(UsageSource::provider);
  r.cost_nusd = sqlite3_column_int64(stmt, o + 15);
  r.latency_ms = static_cast<uint32_t>(sqlite3_column_int64(stmt, o + 16));
  r.ttft_ms = sqlite3_column_type(stmt, o + 17) == SQLITE_NULL
                  ? -1
                  : static_cast<int32_t>(sqlite3_column_int64(stmt, o + 17));
  r.attempts = static_cast<uint16_t>(sqlite3_column_int(stmt, o + 18));
  r.error_class = column_string(stmt, o + 19);
  r.upstream_request_id = column_string(stmt, o + 20);
  r.overhead_us = sqlite3_column_type(stmt, o + 21) == SQLITE_NULL
                      ? -1
                      : static_cast<int32_t>(sqlite3_column_int64(stmt, o + 21));
  r.instance = column_string(stmt, o + 22);
  return r;
}

FailureCause cause_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return FailureCause::disk_full;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return FailureCause::read_only;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return FailureCause::locked;
    case SQLITE_IOERR:
      return FailureCause::io;
    default:
      return FailureCause::other;
  }
}

}  // namespace sqlite

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int kColumnsPerRow = 23;  // of kInsertSql, in bind_record's order
// Rows per execution of the batch insert. SQLite opens the table's and the index's
// cursors and sizes each record buffer once per execution (Debian's build has no
// lookaside memory, so each of those is a malloc): one execution per 16 rows instead of
// one per row. 16 × 23 parameters, far below SQLite's limit of 32,766.
constexpr int kRowsPerInsert = 16;

// kInsertSql with kRowsPerInsert rows of parameters, numbered in order.
std::string batch_insert_sql() {
  std::string sql = schema::kInsertSql;
  sql.resize(sql.find("VALUES") + 7);
  for (int row = 0; row < kRowsPerInsert; ++row) {
    sql += row ? ",(" : "(";
    for (int col = 0; col < kColumnsPerRow; ++col) sql += col ? ",?" : "?";
    sql += ')';
  }
  return sql;
}

class SqliteSink final : public Sink {
 public:
  SqliteSink(const std::string& path, FailureLog& log) : path_(path), log_(log) {
    sqlite::Db db = sqlite::open(path_, /*read_only=*/false, kBusyTimeoutMs);
    schema::prepare_for_writing(db.get(), path_.c_str());
    std::string error;
    sqlite::Stmt insert = sqlite::prepare(db.get(), schema::kInsertSql, &error);
    if (!insert) throw std::runtime_error("ledger " + path_ + ": " + error);
    sqlite::Stmt batch = sqlite::prepare(db.get(), batch_insert_sql(), &error);
    if (!batch) throw std::runtime_error("ledger " + path_ + ": " + error);
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_commit_hook(db.get(), &SqliteSink::on_commit, &log_.stats());
    db_ = std::move(db);
    insert_ = std::move(insert);
    batch_ = std::move(batch);
  }
  ~SqliteSink() override {
    // Finalize before close: the last connection to close checkpoints the WAL.
    insert_.reset();
    batch_.reset();
    delete_stmt_.reset();
    db_.reset();
  }

  SinkResult write(const std::vector<Record>& rows, const std::vector<std::string>&) override {
    SinkResult result = insert(rows);
    if (result.ok) {
      log_.recovered({FailureCause::disk_full, FailureCause::read_only, FailureCause::locked,
                      FailureCause::io, FailureCause::other});
    } else {
      log_.failed(result.cause, result.error);
    }
    return result;
  }

  uint64_t delete_before(int64_t before_ms, int chunk) override {
    std::string error;
    if (!delete_stmt_) {
      delete_stmt_ = sqlite::prepare(db_.get(),
                                     "DELETE FROM requests WHERE rowid IN "
                                     "(SELECT rowid FROM requests WHERE ts_ms < ?1 LIMIT ?2)",
                                     &error);
      if (!delete_stmt_) return 0;
    }
    sqlite3_bind_int64(delete_stmt_.get(), 1, before_ms);
    sqlite3_bind_int(delete_stmt_.get(), 2, chunk);
    const int rc = sqlite3_step(delete_stmt_.get());
    sqlite3_reset(delete_stmt_.get());
    if (rc != SQLITE_DONE) {
      log_.failed(sqlite::cause_of(rc), "retention: " + sqlite::last_error(db_.get()));
      return 0;
    }
    return static_cast<uint64_t>(sqlite3_changes(db_.get()));
  }

 private:
  static int on_commit(void* stats) {
    static_cast<LedgerStats*>(stats)->transactions.fetch_add(1, std::memory_order_relaxed);
    return 0;  // let the commit proceed
  }

  SinkResult fail(int rc) {
    SinkResult r;
    r.ok = false;
    r.cause = sqlite::cause_of(rc);
    r.error = "ledger " + path_ + ": " + sqlite::last_error(db_.get());
    sqlite::exec(db_.get(), "ROLLBACK", nullptr);
    return r;
  }

  SinkResult insert(const std::vector<Record>& rows) {
    sqlite3* db = db_.get();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(rc);
    size_t i = 0;
    for (; rows.size() - i >= kRowsPerInsert; i += kRowsPerInsert) {
      for (int row = 0; row < kRowsPerInsert; ++row)
        sqlite::bind_record(batch_.get(), rows[i + static_cast<size_t>(row)],
                            1 + row * kColumnsPerRow);
      rc = sqlite3_step(batch_.get());
      sqlite3_reset(batch_.get());
      if (rc != SQLITE_DONE) return fail(rc);
    }
    for (; i < rows.size(); ++i) {
      sqlite::bind_record(insert_.get(), rows[i], 1);
      rc = sqlite3_step(insert_.get());
      sqlite3_reset(insert_.get());
      if (rc != SQLITE_DONE) return fail(rc);
    }
    rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(rc);
    return {};
  }

  const std::string path_;
  FailureLog& log_;
  sqlite::Db db_;
  sqlite::Stmt insert_;  // one row
  sqlite::Stmt batch_;   // kRowsPerInsert rows
  sqlite::Stmt delete_stmt_;
};

}  // namespace

std::unique_ptr<Sink> make_sqlite_sink(const std::string& path, FailureLog& log) {
  return std::make_unique<SqliteSink>(path, log);
}

}  // namespace sluice::ledger
