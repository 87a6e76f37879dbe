#pragma once
// The request ledger: one row per request that reached admission, in SQLite or in
// PostgreSQL (docs/LEDGER.md).
//
// Shards hand finished records to their own LedgerQueue (a lock-free SPSC ring); one
// writer thread drains every queue each `flush_ms`, or sooner when a queue passes half
// full, and inserts what it drained in one transaction. The request path never blocks
// and never touches SQLite. When a ring is full the record goes to a small shared
// overflow list (a mutex held only for a push or a swap); when that is full too the
// record is dropped. Both are counted and logged, never silent (docs/LEDGER.md).

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/ledger/record.h"
#include "sluice/ledger/spsc_ring.h"
#include "sluice/ledger/usage_report.h"

namespace sluice::ledger {

class Ledger;
class Sink;
class FailureLog;

// Why a write failed; each is counted (sluice_ledger_write_errors_total{cause}).
enum class FailureCause : uint8_t {
  connect,    // postgres: cannot connect, or the connection broke
  write,      // postgres: the server refused the statement
  disk_full,  // SQLite (ledger or spool): SQLITE_FULL
  read_only,  // SQLite: the file or its folder is read-only
  locked,     // SQLite: another process holds the lock past the busy timeout
  io,         // SQLite: an I/O error
  other,
};
inline constexpr size_t kFailureCauses = 7;
const char* cause_name(FailureCause cause);

// What the writer did, read by metrics and /readyz from any thread.
struct LedgerStats {
  std::array<std::atomic<uint64_t>, kFailureCauses> errors{};  // failed writes by cause
  std::atomic<uint64_t> spooled{0};                            // rows written to the spool (total)
  std::atomic<uint64_t> replayed{0};       // spooled rows written to postgres (total)
  std::atomic<uint64_t> spool_backlog{0};  // rows in the spool now
  std::atomic<uint64_t> retention_deleted{0};
  std::atomic<uint64_t> transactions{0};  // commits on the backend (one per batch)
  std::atomic<bool> backend_down{false};  // postgres unreachable: spooling
  std::atomic<bool> failing{false};       // the last write found nowhere to go
};

// What became of a submitted record.
enum class Submitted : uint8_t {
  queued,      // in the shard's ring
  overflowed,  // ring full: in the shared overflow list, will be written all the same
  dropped,     // ring and overflow list full, or the ledger stopped: lost, and counted
};

// One shard's way into the ledger. Only the owning shard's thread may call submit().
class LedgerQueue {
 public:
  LedgerQueue(const LedgerQueue&) = delete;
  LedgerQueue& operator=(const LedgerQueue&) = delete;

  // Never blocks on the writer, never touches SQLite, never allocates.
  Submitted submit(Record&& record) noexcept;

  size_t capacity() const { return ring_.capacity(); }

 private:
  friend class Ledger;
  LedgerQueue(Ledger& ledger, size_t capacity, bool early_wake);

  Ledger& ledger_;
  SpscRing<Record> ring_;
  size_t wake_threshold_;  // fill level that wakes the writer early; 0: never
};

struct LedgerOptions {
  // Records that may wait in the shared overflow list; beyond it they are dropped.
  size_t overflow_capacity = 4096;
  // Wake the writer when a ring passes half full or a record overflows. false: only the
  // flush_ms timer, flush() and stop() wake it (tests that need a full ring).
  bool early_wake = true;
  // How often retention (ledger.retention_days) runs on the writer thread.
  uint32_t retention_interval_ms = 60'000;
  // The fleet instance name written on every row (Record::instance); empty: no fleet.
  std::string instance;
};

class Ledger {
 public:
  // sqlite: opens or creates the database at `config.path` (and its directory), sets up
  // WAL and the schema. postgres: resolves the URL, opens the spool, and connects,
  // creating or migrating the schema (an unreachable server only starts the spooling).
  // Then starts the writer thread with `queues` queues, one per shard.
  // Setup code: throws std::runtime_error on failure.
  Ledger(const config::Ledger& config, uint32_t queues, LedgerOptions options = {});
  ~Ledger();  // stop()
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // The queue of shard `shard_index` (< queue_count()).
  LedgerQueue& queue(uint32_t shard_index) { return *queues_[shard_index]; }
  uint32_t queue_count() const { return static_cast<uint32_t>(queues_.size()); }

  // Blocks until every record submitted before the call is committed. false if a write
  // failed (the records stay pending and are retried) or the ledger has stopped with
  // records unwritten.
  bool flush();

  // Writes everything still queued, stops the writer and closes the write connection
  // (SIGTERM path). Producers must have stopped submitting: a later submit() is counted
  // as dropped. Idempotent. The read side stays usable.
  void stop();

  // Counters since start (monotonic; metrics read them from any thread).
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  const LedgerStats& stats() const { return stats_; }
  // on_ledger_failure "refuse" and the last write found nowhere to go: new requests
  // should be answered 503 until a write succeeds.
  bool refusing() const {
    return refuse_on_failure_ && stats_.failing.load(std::memory_order_relaxed);
  }
  // "ok", "spooling" (postgres unreachable, rows safe in the spool) or "failing".
  const char* state() const;
  bool postgres() const { return postgres_; }
  // COMMITs on the backend (SQLite: a commit hook): equals batches() when every batch
  // is exactly one transaction.
  uint64_t transactions() const { return stats_.transactions.load(std::memory_order_relaxed); }

  // Read side, control thread (see usage_report.h).
  UsageReport usage_report(int64_t from_ms, int64_t to_ms, const std::vector<std::string>& group_by,
                           const UsageFilter& filter = {}) const {
    return reader_->usage_report(from_ms, to_ms, group_by, filter);
  }
  // `instance` non-empty: only the rows that instance wrote (a fleet's own spend). A
  // SQLite file is one instance's own, so its rows written before they named their
  // instance (schema v4) count too; in a PostgreSQL ledger shared by a fleet they
  // cannot be told apart and count for nobody (docs/FLEET.md "Budgets").
  Spend spend_since(int64_t since_ms, const std::string& instance = {}) const {
    return reader_->spend_since(since_ms, instance, /*with_unnamed=*/!postgres_);
  }

  const std::string& path() const { return path_; }

 private:
  friend class LedgerQueue;

  Submitted overflow(Record&& record) noexcept;
  void wake_writer() noexcept;
  void run_writer();
  bool write_cycle();
  void collect();
  void retain();
  void log_losses(bool force);

  const std::string path_;
  const uint32_t flush_ms_;
  const bool postgres_;
  const bool refuse_on_failure_;
  const uint32_t retention_days_;
  const uint32_t retention_interval_ms_;
  const std::string instance_;  // stamped on every row the writer collects
  std::vector<std::unique_ptr<LedgerQueue>> queues_;

  // Shared overflow list; the writer swaps it with its spare under the mutex.
  std::mutex overflow_mu_;
  std::vector<Record> overflow_;
  std::vector<Record> overflow_spare_;  // writer only
  const size_t overflow_capacity_;
  const bool early_wake_;

  // Writer coordination.
  std::mutex mu_;
  std::condition_variable wake_cv_;     // writer waits here
  std::condition_variable flushed_cv_;  // flush() waits here
  bool stop_requested_ = false;         // under mu_
  bool writer_done_ = false;            // under mu_
  uint64_t flush_requested_ = 0;        // under mu_
  uint64_t flush_completed_ = 0;        // under mu_
  bool last_cycle_ok_ = true;           // under mu_
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> stopped_{false};  // submit() checks it: no writer will come

  // Writer thread state.
  LedgerStats stats_;
  std::unique_ptr<FailureLog> failure_log_;
  std::unique_ptr<Sink> sink_;
  std::vector<Record> batch_;  // drained, not yet committed
  std::vector<std::string> batch_ids_;
  std::string row_id_prefix_;     // unique to this process: random, then the start time
  uint64_t batch_first_seq_ = 0;  // row id sequence of batch_[0]
  uint64_t last_retention_ns_ = 0;
  size_t max_pending_;  // stop draining beyond this while writes fail
  uint64_t logged_overflowed_ = 0;
  uint64_t logged_dropped_ = 0;
  uint64_t last_log_ns_ = 0;

  std::atomic<uint64_t> overflowed_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> rows_written_{0};
  std::atomic<uint64_t> write_errors_{0};

  std::unique_ptr<UsageReader> reader_;
  std::thread writer_;
};

}  // namespace sluice::ledger
