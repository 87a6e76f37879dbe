#pragma once
// Where the writer thread puts a drained batch: the SQLite file, or PostgreSQL with a
// local spool in front of it. Private to src/ledger; only the writer thread calls a sink.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "sluice/ledger/ledger.h"
#include "sluice/ledger/record.h"

namespace sluice::ledger {

// Counts failures by cause and logs each cause once until writes succeed again, so a
// long outage is one line, not one per batch.
class FailureLog {
 public:
  FailureLog(LedgerStats& stats, std::string name) : stats_(stats), name_(std::move(name)) {}
  void failed(FailureCause cause, const std::string& message);
  // Writes that failed for these causes work again: the next failure is logged anew.
  void recovered(std::initializer_list<FailureCause> causes);
  LedgerStats& stats() { return stats_; }

 private:
  LedgerStats& stats_;
  std::string name_;
  bool logged_[kFailureCauses] = {};
};

struct SinkResult {
  bool ok = true;
  FailureCause cause = FailureCause::other;  // when !ok
  std::string error;                         // when !ok
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes `rows` durably, all or nothing; ids[i] is rows[i]'s row id (unique per row,
  // stable across retries, so a replay never doubles a row).
  virtual SinkResult write(const std::vector<Record>& rows,
                           const std::vector<std::string>& ids) = 0;
  // Every writer cycle, rows or not: reconnect and replay what waits (postgres).
  virtual void tick() {}
  // Deletes rows with ts_ms < before_ms, `chunk` rows per statement; rows deleted.
  virtual uint64_t delete_before(int64_t before_ms, int chunk) = 0;
};

// SQLite file at `path` (created with its schema). Throws on setup failure.
std::unique_ptr<Sink> make_sqlite_sink(const std::string& path, FailureLog& log);
// PostgreSQL at `url`, spooling to the SQLite file `spool_path` while it is unreachable.
// Connects at once if it can; an unreachable server is not a setup failure.
std::unique_ptr<Sink> make_pg_sink(const std::string& url, const std::string& spool_path,
                                   FailureLog& log);

}  // namespace sluice::ledger
