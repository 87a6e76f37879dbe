#pragma once
// The request ledger: one SQLite row per request that reached admission.
//
// Shards hand finished records to their own LedgerQueue (a lock-free SPSC ring); one
// writer thread drains every queue each `flush_ms`, or sooner when a queue passes half
// full, and inserts what it drained in one transaction. The request path never blocks
// and never touches SQLite. When a ring is full the record goes to a small shared
// overflow list (a mutex held only for a push or a swap); when that is full too the
// record is dropped. Both are counted and logged, never silent (docs/LEDGER.md).

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

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::ledger {

class Ledger;

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
  // Wake the writer when a ring passes half full. false: only the flush_ms timer,
  // flush() and stop() wake it (tests that need a full ring).
  bool early_wake = true;
};

class Ledger {
 public:
  // Opens or creates the database at `config.path` (and its directory), sets up WAL and
  // the schema, and starts the writer thread with `queues` queues, one per shard.
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
  // COMMITs seen by SQLite on the write connection (a commit hook): equals batches()
  // when every batch is exactly one transaction.
  uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }

  // Read side, control thread (see usage_report.h).
  UsageReport usage_report(int64_t from_ms, int64_t to_ms, const std::vector<std::string>& group_by,
                           const UsageFilter& filter = {}) const {
    return reader_->usage_report(from_ms, to_ms, group_by, filter);
  }
  Spend spend_since(int64_t since_ms) const { return reader_->spend_since(since_ms); }

  const std::string& path() const { return path_; }

 private:
  friend class LedgerQueue;

  Submitted overflow(Record&& record) noexcept;
  void wake_writer() noexcept;
  void run_writer();
  bool write_cycle();
  void collect();
  bool insert_batch();
  void log_losses(bool force);
  void close_writer();
  static int on_commit(void* self);

  const std::string path_;
  const uint32_t flush_ms_;
  std::vector<std::unique_ptr<LedgerQueue>> queues_;

  // Shared overflow list; the writer swaps it with its spare under the mutex.
  std::mutex overflow_mu_;
  std::vector<Record> overflow_;
  std::vector<Record> overflow_spare_;  // writer only
  const size_t overflow_capacity_;

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
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<Record> batch_;  // drained, not yet committed
  size_t max_pending_;         // stop draining beyond this while writes fail
  uint64_t logged_overflowed_ = 0;
  uint64_t logged_dropped_ = 0;
  uint64_t logged_errors_ = 0;
  uint64_t last_log_ns_ = 0;
  std::string last_error_;  // of the last failed write

  std::atomic<uint64_t> overflowed_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> rows_written_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> transactions_{0};

  std::unique_ptr<UsageReader> reader_;
  std::thread writer_;
};

}  // namespace sluice::ledger
