// The PostgreSQL backend of the ledger: batches copied in (COPY, then one INSERT ..
// SELECT .. ON CONFLICT DO NOTHING) on the writer thread's connection, a local spool while the
// server cannot be reached, and a replay of that spool, oldest first, once it can.

#include <algorithm>
#include <string_view>

#include "pg_conn.h"
#include "pg_sql.h"
#include "sink.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "spool.h"

namespace sluice::ledger {
namespace pg {

Conn connect(const std::string& url, std::string* error) {
  // expand_dbname: `dbname` carries the whole URL; the keywords after it win over it.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), "3", "sluice", nullptr};
  Conn conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn) {
    *error = "out of memory";
    return nullptr;
  }
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    *error = error_of(conn.get());
    return nullptr;
  }
  // Notices ("relation already exists, skipping" at every migration) are not errors;
  // libpq would print each on stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

std::string error_of(PGconn* conn) {
  std::string text = conn ? PQerrorMessage(conn) : "no connection";
  for (char& c : text)
    if (c == '\n') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

bool ok(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace pg

namespace {

constexpr uint64_t kFirstBackoffNs = 100'000'000;  // 100 ms, doubling
constexpr uint64_t kMaxBackoffNs = 2'000'000'000;  // a returning server is seen within 2 s
// Spooled rows replayed per writer cycle before new rows may go straight to PostgreSQL
// again (they join the spool's end meanwhile, so order holds).
constexpr size_t kReplayRowsPerCycle = 20 * pg::kRowsPerStatement;

class PgSink final : public Sink {
 public:
  PgSink(const std::string& url, const std::string& spool_path, FailureLog& log)
      : url_(url), spool_(spool_path), log_(log), stats_(log.stats()) {
    stats_.spool_backlog.store(spool_.backlog(), std::memory_order_relaxed);
    try_connect(core::mono_ns());
    if (spool_.backlog() != 0)
      SLUICE_LOG_WARN("ledger: %llu rows wait in the spool %s; they go to PostgreSQL first",
                      static_cast<unsigned long long>(spool_.backlog()), spool_path.c_str());
  }

  SinkResult write(const std::vector<Record>& rows, const std::vector<std::string>& ids) override {
    const uint64_t now = core::mono_ns();
    if (!conn_) try_connect(now);
    if (conn_ && replay()) {
      std::string error;
      if (insert(rows, ids, &error)) {
        stats_.transactions.fetch_add(1, std::memory_order_relaxed);
        return {};
      }
      lost_connection(error);
    }
    SinkResult spooled = spool_.append(rows, ids);
    if (!spooled.ok) {
      log_.failed(spooled.cause, spooled.error);
      return spooled;
    }
    log_.recovered({FailureCause::disk_full, FailureCause::read_only, FailureCause::locked,
                    FailureCause::io, FailureCause::other});
    stats_.spooled.fetch_add(rows.size(), std::memory_order_relaxed);
    stats_.spool_backlog.store(spool_.backlog(), std::memory_order_relaxed);
    return {};
  }

  void tick() override {
    if (spool_.backlog() == 0) {
      spool_.tidy();
      return;
    }
    if (!conn_) try_connect(core::mono_ns());
    if (conn_) replay();
  }

  uint64_t delete_before(int64_t before_ms, int chunk) override {
    if (!conn_) return 0;
    const std::string before = std::to_string(before_ms);
    const std::string limit = std::to_string(chunk);
    const char* values[] = {before.c_str(), limit.c_str()};
    pg::Result result(
        PQexecParams(conn_.get(), pg::kDeleteBeforeSql, 2, nullptr, values, nullptr, nullptr, 0));
    if (!pg::ok(result.get())) {
      lost_connection("retention: " + pg::error_of(conn_.get()));
      return 0;
    }
    return std::strtoull(PQcmdTuples(result.get()), nullptr, 10);
  }

 private:
  void try_connect(uint64_t now) {
    if (now < next_try_ns_) return;
    std::string error;
    pg::Conn conn = pg::connect(url_, &error);
    if (conn && !migrate(conn.get(), &error)) conn.reset();
    if (conn) {
      pg::Result staged(PQexec(conn.get(), pg::kStageSql));
      if (!pg::ok(staged.get())) {
        error = "creating the staging table: " + pg::error_of(conn.get());
        conn.reset();
      }
    }
    if (!conn) {
      backoff_ns_ = backoff_ns_ ? std::min(backoff_ns_ * 2, kMaxBackoffNs) : kFirstBackoffNs;
      next_try_ns_ = now + backoff_ns_;
      stats_.backend_down.store(true, std::memory_order_relaxed);
      log_.failed(FailureCause::connect, "PostgreSQL: " + error + "; rows go to the spool");
      return;
    }
    conn_ = std::move(conn);
    backoff_ns_ = 0;
    next_try_ns_ = 0;
    stats_.backend_down.store(false, std::memory_order_relaxed);
    log_.recovered({FailureCause::connect, FailureCause::write});
  }

  // The schema, created or brought up to date; refused when a newer sluice wrote it.
  static bool migrate(PGconn* conn, std::string* error) {
    const std::string sql =
        std::string("BEGIN;") + pg::kMigrateSql +
        "UPDATE sluice_schema_version SET version = " + std::to_string(pg::kVersion) +
        " WHERE version < " + std::to_string(pg::kVersion) + ";COMMIT;";
    pg::Result result(PQexec(conn, sql.c_str()));
    if (!pg::ok(result.get())) {
      *error = "creating the schema: " + pg::error_of(conn);
      return false;
    }
    result.reset(PQexec(conn, "SELECT max(version) FROM sluice_schema_version"));
    if (!pg::ok(result.get()) || PQntuples(result.get()) != 1) {
      *error = "reading the schema version: " + pg::error_of(conn);
      return false;
    }
    const int version = std::atoi(PQgetvalue(result.get(), 0, 0));
    if (version > pg::kVersion) {
      *error = "schema version " + std::to_string(version) + " is newer than this sluice (" +
               std::to_string(pg::kVersion) + ")";
      return false;
    }
    return true;
  }

  void lost_connection(const std::string& error) {
    const bool broken = !conn_ || PQstatus(conn_.get()) == CONNECTION_BAD;
    log_.failed(broken ? FailureCause::connect : FailureCause::write,
                "PostgreSQL: " + error + "; rows go to the spool");
    // Either way start over on a fresh connection, after the backoff: a server that
    // refuses a statement is not asked again at once.
    conn_.reset();
    stats_.backend_down.store(true, std::memory_order_relaxed);
    backoff_ns_ = backoff_ns_ ? std::min(backoff_ns_ * 2, kMaxBackoffNs) : kFirstBackoffNs;
    next_try_ns_ = core::mono_ns() + backoff_ns_;
  }

  // Writes spooled rows, oldest first; true once the spool is empty.
  bool replay() {
    spool_.tidy();
    size_t replayed = 0;
    while (spool_.backlog() != 0) {
      if (replayed >= kReplayRowsPerCycle) return false;
      int64_t last = 0;
      SinkResult read = spool_.oldest(pg::kRowsPerStatement, replay_rows_, replay_ids_, last);
      if (!read.ok) {
        log_.failed(read.cause, read.error);
        return false;
      }
      if (replay_rows_.empty()) break;
      std::string error;
      if (!insert(replay_rows_, replay_ids_, &error)) {
        lost_connection(error);
        return false;
      }
      // Written: they are no longer waiting even if the file cannot delete them now (a
      // full disk refuses deletes too). They stay behind until tidy() can, never read
      // again; after a restart they would be sent again, and skipped by their ids.
      SinkResult removed = spool_.remove_through(last, replay_rows_.size());
      if (!removed.ok) log_.failed(removed.cause, removed.error);
      replayed += replay_rows_.size();
      stats_.replayed.fetch_add(replay_rows_.size(), std::memory_order_relaxed);
      stats_.spool_backlog.store(spool_.backlog(), std::memory_order_relaxed);
    }
    if (replayed != 0)
      SLUICE_LOG_INFO("ledger: replayed %zu spooled rows into PostgreSQL", replayed);
    return true;
  }

  // One transaction: COPY into the staging table, then merge into `requests`.
  bool insert(const std::vector<Record>& rows, const std::vector<std::string>& ids,
              std::string* error) {
    PGconn* conn = conn_.get();
    copy_.clear();
    for (size_t i = 0; i < rows.size(); ++i) pg::append_copy_row(copy_, ids[i], rows[i]);
    pg::Result result(PQexec(conn, "BEGIN"));
    bool ok = pg::ok(result.get());
    if (ok) {
      result.reset(PQexec(conn, pg::kCopySql));
      ok = PQresultStatus(result.get()) == PGRES_COPY_IN;
    }
    if (ok) {
      ok = PQputCopyData(conn, copy_.data(), static_cast<int>(copy_.size())) == 1;
      // End the copy even after a failed put, so the connection leaves COPY state.
      ok = PQputCopyEnd(conn, ok ? nullptr : "sluice: sending the batch failed") == 1 && ok;
      // The COPY's outcome, then nothing more.
      for (PGresult* r; (r = PQgetResult(conn)) != nullptr;) {
        ok = ok && pg::ok(r);
        PQclear(r);
      }
    }
    if (ok) {
      result.reset(PQexec(conn, pg::kMergeSql));
      ok = pg::ok(result.get());
    }
    if (ok) {
      result.reset(PQexec(conn, "COMMIT"));
      ok = pg::ok(result.get());
    }
    if (!ok) {
      *error = pg::error_of(conn);
      result.reset(PQexec(conn, "ROLLBACK"));
    }
    return ok;
  }

  const std::string url_;
  Spool spool_;
  FailureLog& log_;
  LedgerStats& stats_;
  pg::Conn conn_;
  uint64_t next_try_ns_ = 0;
  uint64_t backoff_ns_ = 0;
  std::string copy_;  // COPY text of the batch being written
  std::vector<Record> replay_rows_;
  std::vector<std::string> replay_ids_;
};

}  // namespace

std::unique_ptr<Sink> make_pg_sink(const std::string& url, const std::string& spool_path,
                                   FailureLog& log) {
  return std::make_unique<PgSink>(url, spool_path, log);
}

}  // namespace sluice::ledger
